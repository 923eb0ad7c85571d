/*
 * engine.h - one built program as run.c hands it to an engine other than
 * its own ptrace loop (today the Valgrind engine, vg_engine.h).
 *
 * The Valgrind engine runs in two ways:
 *  - alone (`--engine valgrind`, or auto where ptrace is denied, as on AWS
 *    Lambda): the Valgrind target with the stepper and the value reader
 *    produce the whole trace, memcheck findings included;
 *  - memcheck mode beside ptrace: it starts a Valgrind run of the same
 *    program in the background right before the ptrace run, waits for it
 *    afterwards and folds its findings into the ptrace trace (or serves the
 *    Valgrind trace when the two runs differ).
 */
#ifndef SPP_RUN_ENGINE_H
#define SPP_RUN_ENGINE_H

#include <stdint.h>

#include "tracer/err.h"

struct dw_index;
struct tr_request;
struct tr_sandbox;

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
    int encode_early;                 /* memcheck mode: encode the response's trace
                                         while Valgrind still runs (result.h) */
};

#endif
