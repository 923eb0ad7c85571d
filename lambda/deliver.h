/*
 * deliver.h - a trace response through Lambda's 6 MiB response limit.
 *
 * A trace repeats the whole state at every step, so a student-size program
 * can produce tens of MB of JSON. Lambda takes 6 MiB per response. Per
 * invocation:
 *  - a proxy event (API Gateway, Function URL) that accepts gzip: the
 *    tracer runs with the largest cap (LAM_WHOLE_CAP) and the reply is the
 *    gzip'ed response, base64'ed (it compresses ~40-fold); only when even
 *    that is over the limit is the request traced again at the configured
 *    cap, which cuts the trace and says so;
 *  - a direct invoke with "responseMode":"auto" on a function with a
 *    bucket: the largest cap too; a response that fits is sent as it is,
 *    a larger one is put in the bucket (gzip) and the reply is a small
 *    envelope with a presigned URL (lambda/README.md, "A trace larger than
 *    one response");
 *  - everything else (a See++-style direct invoke, a client without gzip):
 *    the configured cap (the bootstrap's SPP_MAX_RESPONSE_BYTES, 4 MiB:
 *    a proxy body is escaped JSON inside JSON), an honest cut beyond it.
 * Each way has its own cache key (handler.h, max_response and gzip).
 */
#ifndef SPP_LAMBDA_DELIVER_H
#define SPP_LAMBDA_DELIVER_H

#include <stdint.h>

#include "lambda/err.h"

#define LAM_RESPONSE_MAX     (6u << 20)  /* Lambda's response limit (it adds 100 B) */
#define LAM_WHOLE_CAP        (32u << 20) /* the tracer's largest response cap */
#define LAM_ENVELOPE_EXPIRES 900         /* seconds a presigned response URL works */

struct lam_handler;
struct lam_event;
struct lam_invoke_reply;

/* Run ev's body through the handler (with the invocation's deadline, epoch
   ms, 0 = none) and wrap the answer for ev so it fits LAM_RESPONSE_MAX.
   Fails only when memory runs out. */
enum lam_err lam_deliver(struct lam_handler *h, const struct lam_event *ev, int64_t deadline_ms,
                         const char *cors_origin, struct lam_invoke_reply *out) LAM_WUR;

#endif
