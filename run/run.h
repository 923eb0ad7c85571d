/*
 * run.h - one request, start to end: run directory, compile, index, trace
 * with the engine chosen (and memcheck's run beside it), clean up. The
 * result (tracer/result.h) is what every encoder and front door reads.
 */
#ifndef SPP_RUN_RUN_H
#define SPP_RUN_RUN_H

#include "tracer/result.h"

struct tr_probe;

enum tr_engine { TR_ENGINE_AUTO, TR_ENGINE_PTRACE, TR_ENGINE_VALGRIND, TR_ENGINE_AGENT };

struct tr_run_opts {
    enum tr_engine engine;
    const char *work_root;   /* where run directories are made (default $TMPDIR or /tmp) */
    const char *cache_key;   /* echoed in the response, may be NULL */
    int verbose;             /* log progress to stderr */
    const struct tr_probe *probe; /* what this machine allows; NULL: tr_probe_get */
    int compile_wall_ms;     /* operator's compile limit; 0: the default (may only lower it) */
    size_t max_response;     /* operator's cap on the response JSON (AWS Lambda: 6 MiB);
                                0: TR_LIMIT_TRACE_JSON */
    int no_response;         /* no response will be made of the result (the CLI
                                printing a trace format, uncached): memcheck mode
                                then encodes nothing ahead */
};

/* Compile, trace and encode. Always produces a response object (JSON text,
   malloc'd, free with free()) unless memory runs out: a compile error, a
   crash or a time limit is a successful response whose trace says so.
   response_ok tells whether a trace was produced ("success" in the JSON);
   normal_end tells whether it ended normally within limits (cacheable). */
enum tr_err tr_run(const struct tr_request *r, const struct tr_run_opts *o, char **response,
                   int *response_ok, int *normal_end) TR_WUR;

/* Run r. Returns TR_OK with *out set whenever a result exists (check
   (*out)->ok); free it with tr_result_free. */
enum tr_err tr_run_result(const struct tr_request *r, const struct tr_run_opts *o,
                          struct tr_result **out) TR_WUR;
/* Where the runtime object and the PCH cache live (next to the binary,
   overridable with SPP_RT_OBJ / SPP_PCH_DIR). */
const char *tr_run_rt_obj(void);
const char *tr_run_pch_dir(void);
/* SPP_PCH_SPILL_DIR (absolute), else NULL: where the include lists that a
   read-only PCH cache lacks get their PCH (the bootstrap's cache, Lambda). */
const char *tr_run_pch_spill_dir(void);

#endif
