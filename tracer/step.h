/*
 * step.h - the stepper: drives a target from main's first line to its
 * return, turning stops into trace steps.
 *
 * It plants breakpoints on every statement start of the user's file and on
 * every user function's entry, catches returns with a breakpoint on the
 * return address, and never single-steps: library code runs at full speed.
 * It knows nothing of how the target works (ptrace or Valgrind).
 */
#ifndef SPP_TRACER_STEP_H
#define SPP_TRACER_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "dwarf/dw_index.h"
#include "tracer/model.h"
#include "tracer/target.h"

struct tr_step_cfg {
    int max_steps;           /* trace length cap; the last step is the limit step */
    int64_t deadline_ms;     /* CLOCK_MONOTONIC ms; 0 = none */
    const char *stdout_path; /* the program's stdout file, read as it grows */
    const char *stderr_path;
    int stdout_fd, stderr_fd; /* > 0: read the files through (a dup of) these
                                 instead of opening the paths */
    size_t output_cap;       /* bytes of stdout/stderr kept; more = output limit */
    size_t trace_cap;        /* bytes of trace arena; more = stop with a message */
    int wall_limit_s;        /* for the time-limit message */
    int cpu_limit_s;         /* the program's CPU limit: a SIGKILL after less CPU
                                than this is not a time limit; 0: unknown */
    /* Optional: turns a tool's findings (memcheck) into the trace's records,
       in a's memory (run/describe.c's readable messages); NULL: the tool's own text.
       Returns NULL when out of memory. */
    struct tr_mc_error *(*mc_convert)(void *ctx, struct tr_arena *a, const struct dw_index *ix,
                                      const struct tr_tool_error *e, size_t n);
    void *mc_ctx;
};

/* Run the program behind t to its end (or a limit) and append the steps to
   trace (trace->code must be set by the caller). Fills trace->outcome,
   exit_code, signo, out/err. Returns TR_OK whenever a trace was produced,
   even a partial one; errbuf says what went wrong otherwise. */
enum tr_err tr_step_run(struct tr_target *t, const struct dw_index *ix,
                        const struct tr_step_cfg *cfg, struct tr_trace *trace,
                        char *errbuf) TR_WUR;

/* The deadline passed with the program still running: the trace ends as a
   time limit, in the same words whichever loop drove the program (this one
   or tracer/errwatch.c), and the program is killed. */
void tr_step_end_wall_limit(struct tr_target *t, struct tr_trace *trace, int wall_limit_s);

#endif
