/*
 * vg_engine.h - the Valgrind engine: the
 * program runs under memcheck, driven through valgrind's gdbserver (the
 * Valgrind target), with the same stepper and value reader as ptrace, so
 * it gives the whole trace where ptrace is denied (AWS Lambda), and in
 * memcheck mode a second run beside ptrace whose findings are merged in.
 */
#ifndef SPP_RUN_VG_ENGINE_H
#define SPP_RUN_VG_ENGINE_H

#include "run/engine.h"

struct tr_result;
struct tr_engine_mc; /* a background memcheck run */

/* The engine alone: appends the steps to res->trace (whose code is set),
   sets res->engine, memcheck_ran, ms_trace. TR_OK whenever a trace was
   produced, even a partial one; else errbuf says why. */
enum tr_err vg_engine_trace(const struct tr_engine_job *job, struct tr_result *res,
                            char *errbuf) TR_WUR;

/* Does memcheck mode's Valgrind run go unstopped (errors only, placed on
   the native steps by the runtime's clock; the program must then be
   compiled with tr_compile_opts.clock)? Yes unless SPP_MEMCHECK_UNSTOPPED=0,
   which keeps the run stepped per line and merged step by step (merge.c):
   what tests/e2e/test_memcheck_unstopped.py compares the placement with. */
int vg_mc_unstopped(void);

/* While memcheck mode waits for Valgrind, is the response's trace encoded
   ahead (job.encode_early, vg_mc_finish)? Yes unless
   SPP_MEMCHECK_ENCODE_EARLY=0: the reference the e2e test compares the
   responses with. */
int vg_mc_encode_early(void);

/* Memcheck mode: start the Valgrind run in the background. NULL when it
   could not start (res->memcheck_note then says why). The job's strings
   must stay valid until vg_mc_finish. */
struct tr_engine_mc *vg_mc_start(const struct tr_engine_job *job, struct tr_result *res);

/* After the native run (its program gone): wait for the Valgrind run
   within its own time limit, then merge it into res (findings into
   res->trace, or res->trace replaced by the Valgrind trace when the runs
   differ); sets res->memcheck_ran, memcheck_note, ms_memcheck. With
   job.encode_early, encodes the response's trace while it waits
   (tr_enc_response_prepare), dropped again when findings land on it. Kills and
   reaps everything of the background run whatever happens, frees mc. mc
   may be NULL. */
void vg_mc_finish(struct tr_engine_mc *mc, struct tr_result *res);

#endif
