/*
 * config.h - the configuration of the long-lived front doors (the Lambda
 * bootstrap and `spp-trace serve`), read once from the environment.
 *
 * Key idea: secrets live in exactly one place. lam_config_load copies what
 * the process needs (AWS credentials included) to the heap; lam_config_seal
 * then overwrites every environment string in place - /proc/<pid>/environ
 * reads that memory, so a traced program that reaches it finds zeros - and
 * makes the process non-dumpable, so its heap cannot be read by a same-uid
 * process either. The tracer gets an allow-listed environment built here.
 *
 * Variables: AWS_LAMBDA_RUNTIME_API, CACHE_BUCKET, AWS_REGION (or
 * AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, S3_ENDPOINT_URL, ENVIRONMENT, CORS_ALLOW_ORIGIN,
 * SPP_CACHE_DIR, SPP_NO_CACHE, SPP_TRACER, SPP_TRACER_WALL_MS; PATH, HOME,
 * TMPDIR, LANG and SPP_* are passed on to the tracer.
 */
#ifndef SPP_LAMBDA_CONFIG_H
#define SPP_LAMBDA_CONFIG_H

#include <stdint.h>

#include "lambda/err.h"

struct lam_handler_config;

struct lam_config {
    char *runtime_api;   /* host:port of the Runtime API; NULL outside Lambda */
    char *environment;   /* ENVIRONMENT, default "dev" */
    char *cors_origin;   /* CORS_ALLOW_ORIGIN, default "*" */
    char *cache_bucket;  /* NULL: local cache only */
    char *region, *s3_endpoint;
    char *access_key_id, *secret_access_key, *session_token; /* wiped when freed */
    char *cache_dir;     /* NULL: the cache's default */
    int seal_cache;      /* set by lam_config_probe: programs could write it */
    int no_cache;
    char *tracer_path;   /* default: given to lam_config_load */
    int64_t tracer_wall_ms; /* 0: the handler's default */
    char **tracer_env;   /* NULL-terminated allow-list for the tracer */
};

/* Read the environment. default_tracer is used when SPP_TRACER is unset.
   On failure (a malformed value, an S3 bucket without a region) errbuf
   names the variable and *c is left empty; free with lam_config_free
   either way. */
enum lam_err lam_config_load(struct lam_config *c, const char *default_tracer,
                             char *errbuf) LAM_WUR;
void lam_config_free(struct lam_config *c); /* NULL ok */

/* Fill a handler configuration that borrows from c (valid while c is). */
void lam_config_handler(const struct lam_config *c, struct lam_handler_config *hc);

/* Set (or replace) one variable of the tracer's environment: the
   service's own settings for it (never a request's). */
enum lam_err lam_config_tracer_env(struct lam_config *c, const char *name, const char *value,
                                   char *errbuf) LAM_WUR;

/* Probe what this machine allows (tracer/probe.h) and hand the result to
   every tracer through its environment (TR_PROBE_ENV, replacing any value
   inherited), so no request pays for probing. json (at least
   TR_PROBE_JSON_LEN) receives the probe for the caller's log line. Call
   before starting threads: it forks. */
enum lam_err lam_config_probe(struct lam_config *c, char *json, size_t len,
                              char *errbuf) LAM_WUR;

/* Zero every environment string in place, empty environ and make the
   process non-dumpable. Call once, after lam_config_load. */
enum lam_err lam_config_seal(char *errbuf) LAM_WUR;

/* The directory of the running executable + "/" + name, malloc'd (free()),
   NULL on failure: bootstrap finds spp-trace beside itself. name NULL: the
   executable itself (serve runs its own binary as the tracer). */
char *lam_config_sibling(const char *name);

/* Entry points' log sink: one line on stderr,
   "spp-trace: LEVEL: MODULE: message". Never pass bodies or secrets. */
void lam_log(const char *level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same as a lam_log_fn for the handler (ctx is the module name). */
void lam_log_handler(void *ctx, const char *level, const char *msg);

#endif
