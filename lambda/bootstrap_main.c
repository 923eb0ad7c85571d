/*
 * bootstrap_main.c - the Lambda custom runtime's entry point
 * (/var/runtime/bootstrap in the image).
 *
 * Start-up is on the cold-start path, so it does only this: read the
 * configuration, wipe the environment and become non-dumpable (the traced
 * programs run as the same user), connect the Runtime API client, open the
 * handler (cache, tracer beside this executable), then loop. Any failure
 * after the Runtime API is known goes to /runtime/init/error before exit.
 */
#include "lambda/config.h"
#include "lambda/handler.h"
#include "lambda/runtime.h"
#include "tracer/probe.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double since_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Report an init failure to the Runtime API (when we can reach it). */
static int init_failed(struct lam_rt *rt, const char *type, const char *msg)
{
    char err[LAM_ERRBUF_LEN];
    long status = 0;
    lam_log("error", "bootstrap", "init failed: %s", msg);
    if (rt && lam_rt_fail(rt, NULL, type, msg, &status, err) != LAM_OK)
        lam_log("error", "bootstrap", "could not report the init error: %s", err);
    return 1;
}

int main(void)
{
    struct timespec t0;
    struct lam_config cfg;
    struct lam_handler_config hc;
    struct lam_handler *h = NULL;
    struct lam_rt *rt = NULL;
    char err[LAM_ERRBUF_LEN], cfg_err[LAM_ERRBUF_LEN];
    int status = 1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    signal(SIGPIPE, SIG_IGN); /* a tracer that exits early must not kill us */

    /* The Runtime API address first: it is where a bad configuration is
       reported, even when the rest cannot be read. */
    const char *api_env = getenv("AWS_LAMBDA_RUNTIME_API");
    char *api = api_env ? strdup(api_env) : NULL;
    char *tracer = lam_config_sibling("spp-trace");
    enum lam_err cfg_rc = lam_config_load(&cfg, tracer, cfg_err);
    free(tracer);
    char probe[TR_PROBE_JSON_LEN];
    if (cfg_rc == LAM_OK && (cfg_rc = lam_config_probe(&cfg, probe, sizeof probe, cfg_err)) == LAM_OK)
        lam_log("info", "bootstrap", "probe: %s", probe);
    if (lam_config_seal(err) != LAM_OK) {
        /* Not fatal to serving, fatal to the promise about secrets. */
        lam_log("error", "bootstrap", "%s", err);
        cfg_rc = lam_err_set(cfg_err, LAM_ERR_SYS, "could not wipe the environment: %.200s",
                             err);
    }

    if (!api) {
        lam_log("error", "bootstrap", "AWS_LAMBDA_RUNTIME_API is not set; not in Lambda?");
        goto out;
    }
    if (lam_rt_open(api, &rt, err) != LAM_OK) {
        init_failed(NULL, "Runtime.BadConfig", err);
        goto out;
    }
    if (cfg_rc != LAM_OK) {
        init_failed(rt, "Runtime.BadConfig", cfg_err);
        goto out;
    }
    lam_config_handler(&cfg, &hc);
    hc.log_ctx = (void *)"handler";
    if (lam_handler_open(&hc, &h, err) != LAM_OK) {
        init_failed(rt, "Runtime.InitFailed", err);
        goto out;
    }
    lam_log("info", "bootstrap", "ready in %.1f ms (environment %s, cache %s)", since_ms(&t0),
            cfg.environment, cfg.no_cache ? "off" : cfg.cache_bucket ? "s3+local" : "local");
    status = lam_rt_loop(rt, h, cfg.cors_origin);
out:
    lam_handler_close(h);
    lam_rt_close(rt);
    lam_config_free(&cfg);
    free(api);
    return status;
}
