/*
 * model.h - the trace model: what one run of a program looked like, step by
 * step, independent of any output format.
 *
 * The stepper and value reader build it; the encoders (seepp, opt, vgtrace)
 * only read it; run/merge.c folds memcheck findings into it. One arena per trace
 * holds every step, frame, value and string, and is freed at once with
 * tr_trace_free(). Names of functions, variables and members may point
 * into the program's DWARF index, which the run result keeps alive as long
 * as the trace. Values are plain trees; a value is never shared between
 * two parents, so encoders may walk them without cycle checks.
 */
#ifndef SPP_TRACER_MODEL_H
#define SPP_TRACER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/err.h"

typedef uint64_t tr_addr;

/* ---- arena ------------------------------------------------------------ */

struct tr_arena;
struct tr_arena *tr_arena_new(size_t cap_bytes); /* cap: hard limit, 0 = none */
void tr_arena_free(struct tr_arena *a);          /* accepts NULL */
/* Zeroed memory, 16-byte aligned; NULL when the cap is reached. */
void *tr_arena_alloc(struct tr_arena *a, size_t n);
char *tr_arena_strdup(struct tr_arena *a, const char *s);
char *tr_arena_strndup(struct tr_arena *a, const char *s, size_t n);
char *tr_arena_printf(struct tr_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
size_t tr_arena_used(const struct tr_arena *a);

/* ---- values ----------------------------------------------------------- */

enum tr_vkind {
    TR_V_SCALAR,  /* ["C_DATA", addr, type, val] */
    TR_V_POINTER, /* ["C_DATA", addr, "pointer", "0xTARGET", declared type] */
    TR_V_REF,     /* ["C_DATA", addr, "ref", "0xTARGET", declared type] */
    TR_V_STRUCT,  /* ["C_STRUCT", addr, type, [name, Value]...] (also unions) */
    TR_V_ARRAY,   /* ["C_ARRAY", addr, Value...] */
    TR_V_MDARRAY  /* ["C_MULTIDIMENSIONAL_ARRAY", addr, [dims], Value...] */
};

/* How a scalar's text is written in JSON. */
enum tr_stext {
    TR_ST_NUMBER, /* text is a JSON number (exact integer or shortest float) */
    TR_ST_BOOL,   /* text is "true" or "false" */
    TR_ST_STRING, /* text is a string value ("nan", "<UNINITIALIZED>", enumerators) */
    TR_ST_CHAR    /* a character: text is its C spelling for terminals (a, \0,
                     \x96: no quotes), target its value as C has it (sign-extended); the
                     JSON encoders write the character itself (tr_enc_scalar) */
};

#define TR_UNINIT_TEXT  "<UNINITIALIZED>"
#define TR_UNALLOC_TEXT "<UNALLOCATED>"
/* Why a program jumps where there is no code, as both engines say it. */
#define TR_JUMP_WHY                                                                  \
    "a return address was overwritten (writing past the end of a local array?) or " \
    "a function pointer is wrong"

struct tr_value {
    enum tr_vkind kind;
    enum tr_stext stext;   /* SCALAR */
    uint8_t uninit;        /* memcheck: some bit of the value is undefined (text
                              is TR_UNINIT_TEXT; see value.h) */
    uint8_t is_heap_block; /* the root of a heap block */
    uint8_t shared;        /* a heap block's value several steps show (the block
                              did not change: val_reuse.c); clone before changing */
    tr_addr addr;
    uint64_t size;         /* bytes the value occupies */
    const char *name;      /* member name when the parent is a struct */
    const char *type;      /* SCALAR: C type name; STRUCT: type name;
                              POINTER/REF: declared type ("Node*", "int&") */
    const char *text;      /* SCALAR: value text; POINTER/REF: "0xTARGET" */
    tr_addr target;        /* POINTER/REF: the address pointed to; TR_ST_CHAR: the
                              character's value, (int64_t)target */
    struct tr_value **kids;/* STRUCT members, ARRAY/MDARRAY elements */
    uint32_t nkids;
    uint32_t ndims;        /* MDARRAY */
    const uint32_t *dims;
};

/* ---- steps ------------------------------------------------------------ */

enum tr_event {
    TR_EV_CALL,
    TR_EV_STEP_LINE,
    TR_EV_RETURN,
    TR_EV_EXCEPTION,
    TR_EV_LIMIT,          /* instruction_limit_reached */
    TR_EV_UNCAUGHT        /* compile/link error: the only step */
};

struct tr_var {
    const char *name;
    struct tr_value *value;
};

struct tr_frame {
    const char *func_name;
    tr_addr frame_id;      /* CFA of the activation */
    tr_addr sp;            /* for the vgtrace encoding */
    tr_addr pc;
    int line;              /* current line; callers: the call in progress */
    struct tr_var *vars;   /* declaration order; a return step adds __return__ last */
    uint32_t nvars;
};

struct tr_heap_block {
    tr_addr addr;              /* block base: the key the frontend uses */
    uint64_t size;             /* bytes allocated */
    struct tr_value *value;    /* a TR_V_ARRAY of the elements */
    uint64_t seq;              /* allocation number counted from main's start
                                  (0: unknown): how the blocks of two runs of
                                  one program correspond, whose addresses differ */
};

/* A memcheck finding attached to a step (see run/describe.c). */
struct tr_mc_frame {
    const char *func;
    int line;                 /* user line; 0 when the frame is not user code */
};

struct tr_mc_error {
    const char *kind;         /* "InvalidWrite", "UninitCondition", ... */
    const char *message;      /* readable, e.g. "Invalid write of size 4 ..." */
    struct tr_mc_frame *stack;/* user frames only, innermost first */
    uint32_t nstack;
    tr_addr addr;
    uint64_t size;            /* access size; leaks: bytes lost */
    const char *block;        /* e.g. "0 bytes after a block of 20 bytes allocated at line 6" */
    uint64_t blocks;          /* leaks: blocks lost */
    struct tr_mc_frame *alloc;/* where the block involved was allocated (user frames) */
    uint32_t nalloc;
    struct tr_mc_frame *freed;/* where it was freed, when it was */
    uint32_t nfreed;
};

struct tr_step {
    enum tr_event event;
    int line;
    const char *func_name;
    tr_addr pc;
    struct tr_frame *frames;   /* outermost (main) first */
    uint32_t nframes;
    struct tr_var *globals;    /* declaration order */
    uint32_t nglobals;
    struct tr_heap_block *heap;/* sorted by address */
    uint32_t nheap;
    size_t stdout_len;         /* bytes of trace->out visible at this step */
    const char *exception_msg; /* NULL when none */
    struct tr_mc_error *mc;    /* memcheck errors caused by this step's line */
    uint32_t nmc;
    int has_exit_code;
    int exit_code;             /* main's return value (last step) */
    uint64_t clock;            /* the runtime's logical clock (spp_rt.clock) at
                                  this step; 0 when the program has none */
    /* Dropped by See++'s rule "skip the caller's step right after a return
       to the same line": seepp/opt leave it out; vgtrace keeps it, because
       See++'s parser needs it to see the stack shrink and grow again. */
    uint8_t hidden;
};

enum tr_outcome {
    TR_OUT_OK,            /* ended normally */
    TR_OUT_COMPILE_ERROR,
    TR_OUT_COMPILE_LIMIT,
    TR_OUT_RUNTIME_ERROR, /* signal, uncaught exception, abort */
    TR_OUT_TIME_LIMIT,
    TR_OUT_MEMORY_LIMIT,
    TR_OUT_OUTPUT_LIMIT,
    TR_OUT_PROCESS_LIMIT,
    TR_OUT_STEP_LIMIT,
    TR_OUT_TRACER_ERROR,
    TR_OUT_INTERNAL_ERROR
};

const char *tr_outcome_name(enum tr_outcome o); /* "ok", "compile_error", ... */

struct tr_trace {
    struct tr_arena *arena;
    const char *code;          /* the source exactly as received */
    const char *build_output;  /* compiler diagnostics, NULL when none */
    struct tr_step *steps;
    size_t nsteps, cap_steps;
    char *out;                 /* everything the program wrote to stdout (capped) */
    size_t out_len;
    int out_truncated;
    char *err;                 /* stderr (capped) */
    size_t err_len;
    int err_truncated;
    enum tr_outcome outcome;
    int exit_code;             /* process exit status, -1 when none */
    int signo;                 /* fatal signal, 0 when none */
    const char *end_message;   /* why the trace ended, when not normally */
    struct tr_mc_error *end_errors; /* findings reported at exit (leaks) */
    uint32_t nend_errors;
    const char *engine;        /* "ptrace" or "valgrind" */
};

/* Marks d "<UNINITIALIZED>" (a scalar, pointer or reference; an aggregate
   is uninitialised member by member, so it is left alone). */
void tr_value_mark_uninit(struct tr_value *d);

/* Every part of s marked uninitialised, marked at the same path in d (the
   same variable in another snapshot or another run): members by name,
   elements by index. Shapes that differ (a container that read garbage
   differently) end the walk there. */
void tr_value_copy_uninit(struct tr_value *d, const struct tr_value *s);
/* Is v or a value inside it marked uninitialised? */
int tr_value_has_uninit(const struct tr_value *v);
/* A deep copy of v in a (names, types and texts shared: they never change),
   not shared; NULL when out of memory. */
struct tr_value *tr_value_clone(struct tr_arena *a, const struct tr_value *v);

struct tr_trace *tr_trace_new(size_t arena_cap);
void tr_trace_free(struct tr_trace *t); /* accepts NULL */
/* Append a zeroed step; NULL when out of memory. The pointer is valid until
   the next append. */
struct tr_step *tr_trace_append(struct tr_trace *t);

#endif
