/*
 * compile.h - compile the user's source into a traceable program.
 *
 * Fixed flags only (no user-chosen flags): g++ -std=c++17 / gcc -std=c11,
 * -g -O0 -fno-omit-frame-pointer, no PIE and no CET instrumentation (the
 * stepper relies on `push %rbp` at every entry), linked with the runtime
 * object (tracer/rt). The compiler runs sandboxed with the compile limits
 * of security.md, as the run's uid when it has one (the source is written
 * world-readable into the run's 0700 directory for that). When a precompiled header for exactly the standard
 * headers the source includes is available (or can be built once into the
 * PCH cache), it is used: include order and contents stay as written.
 */
#ifndef SPP_TRACER_COMPILE_H
#define SPP_TRACER_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/err.h"
#include "tracer/request.h"

struct tr_sandbox;

struct tr_compile_opts {
    const char *run_dir;  /* where main.cpp / main.c and the program go */
    const char *code;     /* as received; a first line `#define union struct`
                             is replaced by an empty line */
    size_t code_len;
    enum tr_lang lang;
    const char *rt_obj;   /* the runtime object to link (sppmon.o) */
    const char *pch_dir;  /* precompiled-header cache, NULL = none */
    const char *pch_origin; /* where pch_dir really lives, for messages; NULL: pch_dir */
    const char *pch_spill_dir; /* writable PCH cache for the include lists pch_dir lacks
                                  when pch_dir cannot be written (a read-only install, as
                                  in Lambda): a list is built there the second time it is
                                  seen; the compiler runs as us. NULL = none */
    int64_t deadline_ms;  /* CLOCK_MONOTONIC; 0 = the default compile limit */
    int clock;            /* count basic blocks into the runtime's logical
                             clock (-fsanitize-coverage=trace-pc, sppmon.h) */
    const struct tr_sandbox *sandbox; /* isolation for the compiler; NULL: none */
};

struct tr_compile_result {
    int ok;             /* the program was built */
    int limit_hit;      /* the compiler ran out of time or memory */
    char exe[4096];     /* absolute path of the program */
    char src_name[16];  /* "main.cpp" or "main.c": the compile unit's name */
    char *diagnostics;  /* everything the compiler printed (capped), malloc'd */
    size_t diag_len;
    int diag_truncated;
    int error_line;     /* line of the first error, 0 if none */
    char *error_msg;    /* first error text ("error: ..."), malloc'd or NULL */
    int used_pch;
};

/* Build the program. TR_OK when the compiler ran (r->ok says whether it
   succeeded); an error only when it could not be run, or when a PCH it
   would be given cannot be read by the sandbox's uid (errbuf names it). Free r's strings
   with tr_compile_result_free. */
enum tr_err tr_compile(const struct tr_compile_opts *o, struct tr_compile_result *r,
                       char *errbuf) TR_WUR;
void tr_compile_result_free(struct tr_compile_result *r);

/* Does code start with See++'s `#define union struct` line (which is
   compiled as an empty line, so every line of the code keeps its number)? */
int tr_compile_has_shim(const char *code, size_t len);

/* Build the PCHs for the common header sets ahead of time (make, image
   build): later compiles then skip the slow first build. */
enum tr_err tr_compile_warm_pch(const char *pch_dir, char *errbuf) TR_WUR;

#endif
