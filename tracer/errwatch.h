/*
 * errwatch.h - a checking tool's run without steps: the program runs
 * unstopped from main to its end, and each error the tool reports is
 * recorded with the program's logical clock (spp_rt.clock) and its heap
 * table at that moment, so the parent can place it on a step of another
 * run of the same program (run/place.c).
 *
 * The result is a SPARSE trace: one step per error - event stepLine,
 * line and function of the error's innermost user frame, frames = the
 * error's user frames (outermost first, names only, no variables; pc = 1
 * when memcheck cut the stack, so their number is a lower bound), clock,
 * the one finding, and heap = the live blocks and the recently freed ones
 * (addresses of this run, allocation order, no values) - then the end as
 * in any trace (exit status or signal, leak records in end_errors).
 * It knows only the target interface and the runtime's layout.
 */
#ifndef SPP_TRACER_ERRWATCH_H
#define SPP_TRACER_ERRWATCH_H

#include "dwarf/dw_index.h"
#include "tracer/model.h"
#include "tracer/step.h" /* the mc_convert hook */
#include "tracer/target.h"

struct tr_errwatch_cfg {
    int64_t deadline_ms; /* CLOCK_MONOTONIC; 0 = none */
    int wall_limit_s;    /* for the time-limit message */
    struct tr_mc_error *(*mc_convert)(void *ctx, struct tr_arena *a, const struct dw_index *ix,
                                      const struct tr_tool_error *e, size_t n);
    void *mc_ctx;
    uint32_t max_errors; /* error records kept; later errors are not recorded */
};

/* Runs the program behind t (a target with TR_CAP_TOOL_ERRORS) to its end
   and appends the sparse steps to trace. Stops only at main's entry, at
   main's return and at the tool's errors. Sets trace->outcome, exit_code,
   signo, end_errors. TR_OK whenever the run went to its end (or a limit). */
enum tr_err tr_errwatch_run(struct tr_target *t, const struct dw_index *ix,
                            const struct tr_errwatch_cfg *cfg, struct tr_trace *trace,
                            char *errbuf) TR_WUR;

#endif
