/*
 * cli.h - the `spp-trace` command line (everything but `serve`).
 *
 * Parsing builds the same struct tr_request every front door uses; running
 * gives a tr_result; emitting prints the format asked for. The entry point
 * (cmd/spp_trace_main.c) puts the result cache around these steps.
 */
#ifndef SPP_CMD_CLI_H
#define SPP_CMD_CLI_H

#include <stddef.h>

#include "tracer/probe.h"
#include "tracer/request.h"
#include "run/run.h"

struct tr_cli {
    struct tr_request req;
    struct tr_run_opts opts;
    enum tr_format out_format; /* what goes to stdout */
    int request_mode;          /* --request: JSON in, response out */
    int use_cache;             /* local result cache (default on) */
    int warm_pch;              /* --warm-pch: build the common PCHs and exit */
    char cache_key_buf[80];
    struct tr_probe probe;     /* what this machine allows, once known (tr_cli_probe) */
};

/* Exit statuses. */
#define TR_EXIT_OK 0          /* a trace was produced (request mode: and cacheable) */
#define TR_EXIT_FAIL 1        /* no trace: internal failure */
#define TR_EXIT_USAGE 2       /* bad command line or bad request */
#define TR_EXIT_UNCACHEABLE 3 /* request mode: response printed, run did not end normally */

/* Parse argv. Returns -1 to go on, else an exit status (after --help,
   --version or an error, which it has printed). Free with tr_cli_free. */
int tr_cli_parse(int argc, char **argv, struct tr_cli *cli);
void tr_cli_free(struct tr_cli *cli);

/* Print res as asked and return the exit status. When response is not
   NULL it receives the response JSON (malloc'd) for the caller to cache. */
int tr_cli_emit(const struct tr_cli *cli, const struct tr_result *res, char **response,
                size_t *response_len);

/* Find out what this machine allows (TR_PROBE_ENV from a parent, else a
   probe now, logged with --verbose) and point cli->opts.probe at it. Call
   only when a run is about to happen: a cache hit needs none. */
void tr_cli_probe(struct tr_cli *cli);

/* Print a stored response as asked (a cache hit). Returns the exit status. */
int tr_cli_emit_cached(const struct tr_cli *cli, const char *response, size_t len);

#endif
