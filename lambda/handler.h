/*
 * handler.h - the request handler every front door shares: a request body
 * in, an HTTP status and a response JSON out.
 *
 * The body is validated with tr_request_parse (400 naming the problem), then
 * looked up in the result cache (a hit is served with "cached":true), else
 * the tracer CLI is spawned - `spp-trace --request - --no-cache --cache-key
 * HEX`, never through a shell - with the body on stdin. Its stdout (capped)
 * is the response; its exit status says whether the response may be cached
 * (0), is a response not to cache (3), is a bad request (2) or an internal
 * failure (1). The tracer runs in a session of its own under a wall-clock
 * limit above its own limits; on overrun, on cancellation and after it
 * exits every process of that session is killed (the compiler and the
 * traced program included), so a run never hangs and leaves nothing.
 *
 * A handler may serve several threads at once when its cache can (the
 * result cache's own contract); `serve` gives each worker its own handler.
 * The process must ignore SIGPIPE (the tracer may exit before reading all
 * of stdin).
 */
#ifndef SPP_LAMBDA_HANDLER_H
#define SPP_LAMBDA_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/err.h"

#define LAM_STDOUT_CAP     (40u << 20) /* the tracer's response */
#define LAM_STDERR_CAP     (8u << 10)  /* kept for the log; the rest is dropped */
/* Compile 20 s + run 10 s + memcheck 30 s (security.md) and slack. */
#define LAM_TRACER_WALL_MS 75000
/* Time kept before a deadline for killing the tracer and sending the reply. */
#define LAM_REPLY_MARGIN_MS 1000
/* Time the tracer needs after its own limit fires to encode what it has,
   and time kept for compiling, when a deadline or a low wall limit makes
   the handler lower the request's "timeoutMs" (each at most; a quarter of
   a shorter budget). */
#define LAM_TRACER_FINISH_MS 2000
#define LAM_TRACER_COMPILE_MS 3000
/* Below this much time left a request is answered 504 at once. */
#define LAM_MIN_BUDGET_MS 500

struct lam_handler;
struct lam_reaper;

/* Receives the handler's diagnostics (never request bodies or secrets);
   level is "info", "warn" or "error". */
typedef void (*lam_log_fn)(void *ctx, const char *level, const char *msg);

struct lam_handler_config {
    const char *tracer_path;       /* the spp-trace executable; required */
    const char *const *tracer_env; /* NULL-terminated environment for it; NULL:
                                      empty. Copied. */
    int64_t wall_ms;               /* kill the tracer after this; 0: default */
    int no_cache;                  /* 1: never look up or store results */
    const char *cache_dir;         /* local cache directory; NULL: the cache's default */
    int seal_cache;                /* programs could write the cache directory (no
                                      separate uid or read-only mount namespace):
                                      seal local entries with a per-process key */
    /* S3 cache (all NULL: none). Copied; secrets are wiped when freed. */
    const char *s3_bucket, *s3_region, *s3_endpoint;
    const char *aws_access_key_id, *aws_secret_access_key, *aws_session_token;
    lam_log_fn log;
    void *log_ctx;
    struct lam_reaper *reaper;     /* the front door's (reaper.h); NULL: none.
                                      Tracers are spawned as its owned children
                                      and after each run it sweeps the rest. */
};

/* Opens the cache and checks that the tracer is executable. On failure
   errbuf (LAM_ERRBUF_LEN) says why and *out is untouched. Free with
   lam_handler_close. */
enum lam_err lam_handler_open(const struct lam_handler_config *c, struct lam_handler **out,
                              char *errbuf) LAM_WUR;
void lam_handler_close(struct lam_handler *h); /* NULL ok */

struct lam_run_opts {
    int64_t deadline_ms; /* epoch ms by which the reply must be sent; 0: none */
    const int *cancel;   /* when it becomes nonzero (read atomically) the run is
                            killed and answered 503; may be NULL */
    size_t max_response; /* the tracer's response cap for this run
                            (SPP_MAX_RESPONSE_BYTES, 1..32 MiB); 0: what its
                            environment says. Part of the cache key. */
    int gzip;            /* 1: a 200's body is gzip (lam_reply.gzip); the cache
                            stores and serves those bytes as they are */
};

struct lam_reply {
    int status;         /* HTTP status: 200, 400, 500, 503 or 504 */
    char *body;         /* response JSON, malloc'd; free with lam_reply_free */
    size_t len;
    int gzip;           /* body is a gzip member of the response JSON (a 200
                           asked for with gzip; errors stay plain JSON) */
    int cached;         /* served from the cache */
    int tracer_exit;    /* the tracer's exit status; -1 when it did not run
                           or did not exit normally */
    char key[65];       /* the cache key it was looked up under ("" when the
                           request had none) */
};

/* 1 when the handler has an S3 bucket (lam_handler_publish can work). */
int lam_handler_has_bucket(const struct lam_handler *h);

/* Put a gzip'ed response in the bucket as an object of its own - named from
   key, never one a cache lookup reads, Content-Encoding: gzip - and write a
   presigned GET URL for it, valid expires_s seconds, into url (cap bytes;
   LAM_S3_URL_MAX fits). Errors (no bucket, S3 refused) say why in errbuf. */
enum lam_err lam_handler_publish(struct lam_handler *h, const char *key,
                                 const unsigned char *gz, size_t n, long expires_s, char *url,
                                 size_t cap, char *errbuf) LAM_WUR;

/* Handle one request body. Always produces a reply (errors are replies with
   a 4xx/5xx status and {"success":false,"error":...}) unless memory runs
   out (LAM_ERR_NOMEM, *out untouched). o may be NULL. */
enum lam_err lam_handler_run(struct lam_handler *h, const char *body, size_t len,
                             const struct lam_run_opts *o, struct lam_reply *out) LAM_WUR;
void lam_reply_free(struct lam_reply *r); /* frees the fields, not r; NULL ok */

/* Hold the cache store of a run back until lam_handler_flush, for a front
   door that answers one request at a time and can store after it has sent
   the reply (the Lambda runtime, before its next /next): the caller does
   not wait for the store (encryption, fdatasync, an S3 PUT). One store is
   held at most; a second run stores the first one before holding its own.
   Off by default: serve's workers store at once. */
void lam_handler_defer_stores(struct lam_handler *h, int on);
/* Store what was held back, if anything (failures are logged). */
void lam_handler_flush(struct lam_handler *h);

/* {"success":false,"error":"<msg>"} as malloc'd text (free()), NULL when
   memory runs out. */
char *lam_error_json(const char *msg, size_t *len);

#endif
