/*
 * bootstrap_main.c - the Lambda custom runtime's entry point
 * (/var/runtime/bootstrap in the image).
 *
 * Start-up is on the cold-start path, so it does only this: read the
 * configuration, probe what the machine allows, wipe the environment and
 * become non-dumpable (the traced programs run as the same user), connect
 * the Runtime API client, become the subreaper of every run and make the
 * runs' own directory in /tmp (reaper.h), open the handler (cache, tracer beside
 * this executable), then loop, cleaning up after each invocation. Any failure
 * after the Runtime API is known goes to /runtime/init/error before exit.
 */
#include "lambda/config.h"
#include "lambda/handler.h"
#include "lambda/reaper.h"
#include "lambda/runtime.h"
#include "tracer/clock.h"
#include "tracer/probe.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAM_TRACER_RESPONSE_MAX "4194304"

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

/* SIGTERM and SIGINT: blocked in every thread, taken by on_stop. */
static sigset_t stop_signals;

/* SIGTERM (how Lambda ends a runtime that has extensions) or SIGINT: the
   runs end and the run root goes, as at any other exit. The main thread
   may be anywhere (waiting for the Runtime API or on a tracer), so this
   thread, the only one that takes the signals, ends the process. */
static void *on_stop(void *arg)
{
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    lam_log("info", "bootstrap", "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    lam_reaper_shutdown(arg);
    _exit(0);
}

int main(void)
{
    struct lam_config cfg;
    struct lam_handler_config hc;
    struct lam_handler *h = NULL;
    struct lam_rt *rt = NULL;
    struct lam_reaper *reaper = NULL;
    char err[LAM_ERRBUF_LEN], cfg_err[LAM_ERRBUF_LEN];
    int status = 1;

    double t0 = tr_mono_ms();
    signal(SIGPIPE, SIG_IGN); /* a tracer that exits early must not kill us */
    /* before any thread starts, so that all inherit it (tracers are
       spawned with an empty mask) */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    /* The Runtime API address first: it is where a bad configuration is
       reported, even when the rest cannot be read. */
    const char *api_env = getenv("AWS_LAMBDA_RUNTIME_API");
    char *api = api_env ? strdup(api_env) : NULL;
    /* Where the run root is made (reaper.h): Lambda's /tmp. */
    const char *tmp_env = getenv("TMPDIR");
    char *tmp = strdup(tmp_env && tmp_env[0] == '/' ? tmp_env : "/tmp");
    char *tracer = lam_config_sibling("spp-trace");
    enum lam_err cfg_rc = lam_config_load(&cfg, tracer, cfg_err);
    free(tracer);
    char probe[TR_PROBE_JSON_LEN];
    if (cfg_rc == LAM_OK && (cfg_rc = lam_config_probe(&cfg, probe, sizeof probe, cfg_err)) == LAM_OK)
        lam_log("info", "bootstrap", "probe: %s", probe);
    /* Lambda takes at most 6 MiB of response, and a proxy event carries it
       as an escaped string: a caller that can take only plain JSON gets at
       most 4 MiB, a long trace cut short with its outcome instead of
       refused. Callers that take gzip or a URL run with a larger cap per
       request (lambda/deliver.h). */
    if (cfg_rc == LAM_OK)
        cfg_rc = lam_config_tracer_env(&cfg, "SPP_MAX_RESPONSE_BYTES", LAM_TRACER_RESPONSE_MAX,
                                       cfg_err);
    /* Include lists the image's PCHs lack and that come back get theirs in the cache
       (the tracer uses it only where programs cannot write it). */
    char spill[PATH_MAX];
    if (cfg_rc == LAM_OK && cfg.cache_dir && !getenv("SPP_PCH_SPILL_DIR") &&
        snprintf(spill, sizeof spill, "%s/pch", cfg.cache_dir) < (int)sizeof spill)
        cfg_rc = lam_config_tracer_env(&cfg, "SPP_PCH_SPILL_DIR", spill, cfg_err);
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
    /* Orphans of a run come back to us, and the tracers work in a
       directory of our own (their TMPDIR), emptied after each invocation:
       nothing else in /tmp is ever touched. */
    if (!tmp || lam_reaper_open(&reaper, err) != LAM_OK ||
        lam_reaper_make_root(reaper, tmp, err) != LAM_OK ||
        lam_config_tracer_env(&cfg, "TMPDIR", lam_reaper_root(reaper), err) != LAM_OK) {
        init_failed(rt, "Runtime.InitFailed", tmp ? err : "out of memory");
        goto out;
    }
    pthread_t stopper;
    if (pthread_create(&stopper, NULL, on_stop, reaper) != 0 || pthread_detach(stopper) != 0) {
        init_failed(rt, "Runtime.InitFailed", "cannot start the thread that takes SIGTERM");
        goto out;
    }
    lam_config_handler(&cfg, &hc);
    hc.log_ctx = (void *)"handler";
    hc.reaper = reaper;
    if (lam_handler_open(&hc, &h, err) != LAM_OK) {
        init_failed(rt, "Runtime.InitFailed", err);
        goto out;
    }
    lam_log("info", "bootstrap", "ready in %.1f ms (environment %s, cache %s)", tr_mono_ms() - t0,
            cfg.environment, cfg.no_cache ? "off" : cfg.cache_bucket ? "s3+local" : "local");
    lam_handler_defer_stores(h, 1); /* the runtime flushes after each /response */
    status = lam_rt_loop(rt, h, cfg.cors_origin, reaper);
out:
    lam_handler_close(h);
    lam_reaper_close(reaper);
    free(tmp);
    lam_rt_close(rt);
    lam_config_free(&cfg);
    free(api);
    return status;
}
