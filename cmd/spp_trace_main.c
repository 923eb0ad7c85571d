/*
 * spp_trace_main.c - entry point of the spp-trace binary.
 *
 * `spp-trace serve ...` is the local HTTP server (lambda/serve.c); anything
 * else is the command line (cmd/cli.c) with the local result cache put
 * around it: a cache hit prints the stored response (with "cached":true),
 * a normally-ended run is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/cache.h"
#include "lambda/serve.h"
#include "cmd/cli.h"
#include "tracer/compile.h"
#include "run/run.h"

#define CACHED_FALSE "{\"cached\":false,"
#define CACHED_TRUE  "{\"cached\":true ," /* same length: rewritten in place */

static void warn(const char *what, const char *detail)
{
    fprintf(stderr, "spp-trace: warning: %s: %s\n", what, detail);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return lam_serve_main(argc - 1, argv + 1);

    struct tr_cli cli;
    int status = tr_cli_parse(argc, argv, &cli);
    if (status >= 0) {
        tr_cli_free(&cli);
        return status;
    }
    if (cli.warm_pch) {
        char err[TR_ERRBUF_LEN];
        const char *dir = tr_run_pch_dir();
        status = dir && tr_compile_warm_pch(dir, err) == TR_OK ? 0 : 1;
        if (status)
            fprintf(stderr, "spp-trace: error: %s\n", dir ? err : "no PCH directory");
        tr_cli_free(&cli);
        return status;
    }

    struct lam_cache *cache = NULL;
    char key[LAM_CACHE_KEY_LEN + 1] = "";
    char err[LAM_ERRBUF_LEN];
    if (cli.use_cache) {
        struct lam_cache_config cfg = {0};
        if (lam_cache_key(&cli.req, key) != LAM_OK || lam_cache_open(&cfg, &cache, err) != LAM_OK) {
            warn("result cache unavailable", key[0] ? err : "out of memory");
            cache = NULL;
        }
    }
    if (cache) {
        char *body = NULL;
        size_t len = 0;
        enum lam_err rc = lam_cache_get(cache, key, &body, &len, err);
        if (rc != LAM_OK)
            warn("result cache miss", err);
        if (body && len > strlen(CACHED_FALSE) &&
            memcmp(body, CACHED_FALSE, strlen(CACHED_FALSE)) == 0) {
            memcpy(body, CACHED_TRUE, strlen(CACHED_TRUE));
            status = tr_cli_emit_cached(&cli, body, len);
            free(body);
            lam_cache_close(cache);
            tr_cli_free(&cli);
            return status;
        }
        free(body);
    }

    /* printed as a trace format and not cached: no response is made */
    cli.opts.no_response = cli.out_format != TR_FMT_RESPONSE && !cache;
    tr_cli_probe(&cli);
    struct tr_result *res = NULL;
    if (tr_run_result(&cli.req, &cli.opts, &res) != TR_OK) {
        fprintf(stderr, "spp-trace: error: out of memory\n");
        lam_cache_close(cache);
        tr_cli_free(&cli);
        return TR_EXIT_FAIL;
    }
    char *response = NULL;
    size_t rlen = 0;
    status = tr_cli_emit(&cli, res, cache ? &response : NULL, &rlen);
    if (cache && response && tr_result_cacheable(res) &&
        lam_cache_put(cache, key, response, rlen, err) != LAM_OK)
        warn("result not cached", err);
    free(response);
    tr_result_free(res);
    lam_cache_close(cache);
    tr_cli_free(&cli);
    return status;
}
