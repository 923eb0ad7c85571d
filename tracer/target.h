/*
 * target.h - the target interface: how the stepper drives a running program.
 *
 * Modelled on gdb's target_ops. A backend (ptrace, Valgrind's gdbserver)
 * fills one static const table of primitives; everything above this
 * interface - stepper, value reader, trace model, encoders - is written once
 * and never learns which backend runs. Callers use the tr_target_* wrappers,
 * which check arguments and enforce the shared rules below.
 *
 * Shared rules every backend honours:
 *  - A target is created stopped, before any code of the program has run.
 *  - Breakpoints are plain addresses; the target owns how they are planted
 *    and how a resume from a breakpoint address executes the original
 *    instruction. Every arrival at an inserted address is reported, also
 *    when the program jumps straight back to the address it just left (a
 *    one-line loop).
 *  - A SIGTRAP that is not one of our breakpoints is reported as a signal
 *    stop, so int3 in user code reaches the program as its own SIGTRAP.
 *  - A read never returns more than asked; a partial read is TR_ERR_MEM.
 *  - Everything a stop points to (tool errors) is owned by the target and
 *    valid until the next resume or destroy.
 *  - Children the program forks are never traced as steps; backends let them
 *    run without breakpoints, and kill() ends them with the process group.
 */
#ifndef SPP_TRACER_TARGET_H
#define SPP_TRACER_TARGET_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "tracer/clock.h" /* tr_now_ms: every deadline below is on it */
#include "tracer/err.h"

typedef uint64_t tr_addr; /* an address in the traced program */

/* A file shown at dst with src's content (a read-only bind mount). */
struct tr_bind {
    const char *src, *dst;
};

/* What ran: filled by the backend that spawned the program. */
struct tr_launch {
    const char *exe;         /* the program to run (absolute path) */
    const char *run_dir;     /* its working directory, HOME and TMPDIR */
    const char *stdin_path;  /* opened read-only as fd 0 (e.g. /dev/null) */
    const char *stdout_path; /* created as fd 1 */
    const char *stderr_path; /* created as fd 2 */
    const struct tr_limits *limits;
    const struct tr_sandbox *sandbox; /* optional extra isolation, may be NULL */
    int keep_stdio;          /* 1: descriptors 0-2 are set up already (a helper
                                talking over a socket); the paths are unused */
    int agent_fd;            /* > 2: the agent's channel, handed to the program
                                as SPP_AGENT_FD with SPP_AGENT_ENV set; 0: none */
    const char *narrow_dir;  /* with a private mount namespace only: this directory */
    const struct tr_bind *narrow; /* shows only these files (Valgrind's run: the
                                     debuginfo it needs, vg_debuginfo.c); */
    size_t nnarrow;          /* 0: the file system as it is */
};

enum tr_resume { TR_RESUME_CONT, TR_RESUME_STEP };

enum tr_stop_kind {
    TR_STOP_BREAKPOINT, /* at an inserted breakpoint; pc is its address */
    TR_STOP_STEP,       /* a single-step finished */
    TR_STOP_SIGNAL,     /* the program is about to receive signo; resume with
                           signo to deliver it, 0 to suppress it */
    TR_STOP_EXITED,     /* the program exited with status; it is gone */
    TR_STOP_KILLED,     /* the program died of signal signo; it is gone */
    TR_STOP_TOOL_ERROR  /* the tool (memcheck) found errors; pc is the
                           instruction that caused them */
};

/* One finding of a checking tool (memcheck). Strings are owned by the target. */
struct tr_tool_frame {
    tr_addr pc;
    const char *fn;   /* function name as the tool knows it, or NULL */
    const char *file; /* source file basename, or NULL */
    int line;         /* 0 when unknown */
};

struct tr_tool_error {
    const char *kind;    /* tool's kind, e.g. "InvalidWrite", "Leak_DefinitelyLost" */
    const char *what;    /* the tool's one-line description */
    const char *auxwhat; /* e.g. "Address 0x.. is 0 bytes after a block of size 20 alloc'd" */
    const struct tr_tool_frame *stack;     /* where it happened, innermost first */
    size_t nstack;
    const struct tr_tool_frame *aux_stack; /* where the block was allocated/freed */
    size_t naux_stack;
    const struct tr_tool_frame *alloc_stack; /* allocation site when aux is the free */
    size_t nalloc_stack;
    tr_addr addr;        /* address involved, 0 when none */
    uint64_t size;       /* access size, or bytes for leaks */
    uint64_t blocks;     /* leaks: number of blocks */
};

struct tr_stop {
    enum tr_stop_kind kind;
    tr_addr pc;
    int signo;           /* SIGNAL, KILLED */
    int status;          /* EXITED */
    tr_addr fault_addr;  /* SIGNAL with SIGSEGV/SIGBUS/SIGFPE: si_addr */
    int fault_code;      /* si_code of that signal */
    const struct tr_tool_error *errors; /* TOOL_ERROR, and EXITED (leaks) */
    size_t nerrors;
};

/* General registers the stepper needs (x86-64 names). */
struct tr_regs {
    uint64_t pc, sp, fp; /* rip, rsp, rbp */
    uint64_t rax, rdx, rdi, rsi;
};

/* Registers holding floating-point return values. */
struct tr_fpregs {
    uint8_t xmm0[16], xmm1[16];
    uint8_t st0[10];
};

/* Capability bits of a backend. */
#define TR_CAP_SINGLESTEP  0x01u
#define TR_CAP_TOOL_ERRORS 0x02u /* reports TR_STOP_TOOL_ERROR */
#define TR_CAP_VBITS       0x04u /* read_vbits works */
#define TR_CAP_WRITE_MEM   0x08u

struct tr_target_ops {
    const char *name; /* "ptrace", "valgrind" */
    unsigned caps;
    /* Continue or single-step; signo is delivered to the program (0: none). */
    enum tr_err (*resume)(void *st, enum tr_resume how, int signo);
    /* Block until the next stop or until deadline_ms (CLOCK_MONOTONIC, 0 =
       none): TR_ERR_TIMEOUT then, with the program still stopped or running. */
    enum tr_err (*wait)(void *st, int64_t deadline_ms, struct tr_stop *out);
    enum tr_err (*read_mem)(void *st, tr_addr addr, void *buf, size_t len);
    enum tr_err (*write_mem)(void *st, tr_addr addr, const void *buf, size_t len);
    enum tr_err (*get_regs)(void *st, struct tr_regs *out);
    enum tr_err (*get_fpregs)(void *st, struct tr_fpregs *out);
    enum tr_err (*insert_bp)(void *st, tr_addr addr);
    enum tr_err (*remove_bp)(void *st, tr_addr addr);
    /* Memcheck validity bits: out[i] has a bit set for each undefined bit of
       byte addr+i; a byte memcheck deems unaddressable (unmapped, freed,
       below the stack pointer) reads as 0, defined: what it holds is shown
       as is, and using it is an error of its own. TR_ERR_MEM when no byte
       of the range is addressable. NULL when the backend has no
       TR_CAP_VBITS. */
    enum tr_err (*read_vbits)(void *st, tr_addr addr, uint8_t *out, size_t len);
    /* Memcheck, the cheap question: *bad = addr+len when every bit of the
       range is defined, else the first byte that is not - undefined, or
       unaddressable (*unaddr = 1). Costs one round trip whatever len is,
       where read_vbits costs per byte. NULL without TR_CAP_VBITS. */
    enum tr_err (*check_defined)(void *st, tr_addr addr, size_t len, tr_addr *bad, int *unaddr);
    /* Kill the program and everything it started. Idempotent. */
    void (*kill)(void *st);
    /* Kill if alive, reap, release every resource. */
    void (*destroy)(void *st);
};

struct tr_target {
    const struct tr_target_ops *ops;
    void *state; /* backend-private */
    char errbuf[TR_ERRBUF_LEN]; /* detail of the last failure */
};

/* Wrappers: argument checks and shared rules, then the backend. */
enum tr_err tr_target_resume(struct tr_target *t, enum tr_resume how, int signo) TR_WUR;
enum tr_err tr_target_wait(struct tr_target *t, int64_t deadline_ms, struct tr_stop *out) TR_WUR;
enum tr_err tr_target_read(struct tr_target *t, tr_addr addr, void *buf, size_t len) TR_WUR;
enum tr_err tr_target_write(struct tr_target *t, tr_addr addr, const void *buf, size_t len) TR_WUR;
enum tr_err tr_target_regs(struct tr_target *t, struct tr_regs *out) TR_WUR;
enum tr_err tr_target_fpregs(struct tr_target *t, struct tr_fpregs *out) TR_WUR;
enum tr_err tr_target_insert_bp(struct tr_target *t, tr_addr addr) TR_WUR;
/* Failure to remove is harmless to callers: the address stops mattering. */
enum tr_err tr_target_remove_bp(struct tr_target *t, tr_addr addr);
enum tr_err tr_target_vbits(struct tr_target *t, tr_addr addr, uint8_t *out, size_t len) TR_WUR;
enum tr_err tr_target_check_defined(struct tr_target *t, tr_addr addr, size_t len, tr_addr *bad,
                                    int *unaddr) TR_WUR;
int tr_target_has(const struct tr_target *t, unsigned cap);
void tr_target_kill(struct tr_target *t);
/* Frees t itself too; accepts NULL. */
void tr_target_destroy(struct tr_target *t);

/* The backends' constructors are in their own folders (targets/NAME/). */


#endif
