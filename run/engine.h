/*
 * engine.h - engines built outside tracer/, as run.c reaches them.
 *
 * The Valgrind engine lives in vgmode/, which depends on tracer/ and not the
 * other way round (style.md: dwarf <- tracer <- vgmode). So run.c never
 * calls vgmode: the program's entry point, which links everything, puts
 * vgmode's table of hooks in struct tr_run_opts (vg_engine_hooks()), and
 * run.c calls through it. A run without the table has no Valgrind engine
 * (unit tests, a build without vgmode).
 *
 * Two ways the engine runs:
 *  - alone (`--engine valgrind`, or auto where ptrace is denied, as on AWS
 *    Lambda): the Valgrind target with the stepper and the value reader
 *    produce the whole trace, memcheck findings included;
 *  - memcheck mode beside ptrace: mc_start starts a Valgrind run of the same
 *    program in the background right before the ptrace run, mc_finish waits
 *    for it afterwards and folds its findings into the ptrace trace (or
 *    serves the Valgrind trace when the two runs differ).
 */
#ifndef SPP_RUN_ENGINE_H
#define SPP_RUN_ENGINE_H

#include <stdint.h>

#include "tracer/err.h"

struct dw_index;
struct tr_request;
struct tr_result;
struct tr_sandbox;
struct tr_engine_mc; /* a background memcheck run, the engine's own */

/* One built program to run, as run.c prepared it. Everything is borrowed
   from the caller for the duration of the call. */
struct tr_engine_job {
    const struct tr_request *r;
    const struct dw_index *ix;        /* the program's index */
    const char *exe;                  /* absolute path of the program */
    const char *src_name;             /* its compile unit ("main.cpp"), for an index */
    const char *run_dir;              /* the run directory (owned by uid) */
    const char *stdin_path;           /* the program's input; NULL: none */
    const struct tr_sandbox *sandbox; /* the run's isolation */
    unsigned nproc;                   /* RLIMIT_NPROC for the program */
};

struct tr_engine_hooks {
    const char *name; /* "valgrind" */
    /* The engine alone: appends the steps to res->trace (whose code is
       set), sets res->engine, memcheck_ran, ms_trace. TR_OK whenever a
       trace was produced, even a partial one; else errbuf says why. */
    enum tr_err (*trace)(const struct tr_engine_job *job, struct tr_result *res, char *errbuf);
    /* Memcheck mode: start the Valgrind run in the background. NULL when
       it could not start (res->memcheck_note then says why). The job's
       strings must stay valid until mc_finish. */
    struct tr_engine_mc *(*mc_start)(const struct tr_engine_job *job, struct tr_result *res);
    /* After the ptrace run (its program gone): wait for the Valgrind run
       within its own time limit, then merge it into res (findings into
       res->trace, or res->trace replaced by the Valgrind trace when the
       runs differ); sets res->memcheck_ran, memcheck_note, ms_memcheck.
       Kills and reaps everything of the background run whatever happens,
       frees mc. mc may be NULL. */
    void (*mc_finish)(struct tr_engine_mc *mc, struct tr_result *res);
};

#endif
