/*
 * runtime.h - the AWS Lambda Runtime API client and the custom runtime loop
 * (service-contract.md "Lambda custom runtime").
 *
 * One reused libcurl handle talks to http://$AWS_LAMBDA_RUNTIME_API/2018-06-01:
 * GET /runtime/invocation/next (long poll, no time limit), POST
 * /runtime/invocation/{id}/response or /error, POST /runtime/init/error.
 * Policy: a 500 from the Runtime API means the environment is going away,
 * so the loop returns at once; connection failures are retried a few times
 * with a short backoff (the API restarts), then the loop returns; a 413 on a
 * response is answered with a small error reply so the caller always hears
 * back. Curl types stay inside runtime.c.
 */
#ifndef SPP_LAMBDA_RUNTIME_H
#define SPP_LAMBDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/err.h"

#define LAM_RT_EVENT_MAX   (16u << 20) /* an invocation payload (Lambda's is 6 MB) */
#define LAM_RT_ID_MAX      128         /* request id, with NUL */
#define LAM_RT_ARN_MAX     512
#define LAM_RT_TRACE_MAX   512
#define LAM_RT_RETRIES     6           /* connection failures before giving up */
#define LAM_RT_BACKOFF_MS  25          /* first backoff; doubles each retry */

struct lam_rt;
struct lam_handler;
struct lam_reaper;

/* api is host:port (AWS_LAMBDA_RUNTIME_API). Free with lam_rt_close. */
enum lam_err lam_rt_open(const char *api, struct lam_rt **out, char *errbuf) LAM_WUR;
void lam_rt_close(struct lam_rt *rt); /* NULL ok */

struct lam_rt_invocation {
    char request_id[LAM_RT_ID_MAX];
    int64_t deadline_ms;               /* epoch ms; 0 when the header was absent */
    char function_arn[LAM_RT_ARN_MAX];
    char trace_id[LAM_RT_TRACE_MAX];
    char *payload;                     /* malloc'd, NUL-terminated; lam_rt_invocation_free */
    size_t len;
    int too_large;                     /* payload over LAM_RT_EVENT_MAX: dropped (NULL) */
};

/* Wait for the next invocation. LAM_ERR_HTTP_STATUS for a Runtime API 500
   (or any status but 200), LAM_ERR_HTTP when the API stayed unreachable
   through the retries. *out is written only on success. */
enum lam_err lam_rt_next(struct lam_rt *rt, struct lam_rt_invocation *out, char *errbuf) LAM_WUR;
void lam_rt_invocation_free(struct lam_rt_invocation *inv); /* fields only; NULL ok */

/* POST a response; *status gets the HTTP status (202 accepted, 413 too
   large, ...). Fails only when no HTTP answer came. */
enum lam_err lam_rt_respond(struct lam_rt *rt, const char *request_id, const char *body,
                            size_t len, long *status, char *errbuf) LAM_WUR;
/* POST {"errorMessage","errorType","stackTrace":[]} to the invocation's
   /error, or to /runtime/init/error when request_id is NULL. error_type
   must match (Runtime|Function).[A-Z][a-zA-Z]+. */
enum lam_err lam_rt_fail(struct lam_rt *rt, const char *request_id, const char *error_type,
                         const char *message, long *status, char *errbuf) LAM_WUR;
/* The same with a ready body (as lam_event_invoke builds it). */
enum lam_err lam_rt_fail_raw(struct lam_rt *rt, const char *request_id, const char *error_type,
                             const char *body, size_t len, long *status, char *errbuf) LAM_WUR;

/* The runtime loop: next -> handle -> respond, until the Runtime API says
   500 or stays unreachable. After each invocation, when reaper is not NULL,
   every process the invocation left and every run directory a killed
   tracer left are removed (reaper.h: Lambda freezes and thaws the
   environment, /tmp included); other processes' files are logged and left
   alone. Only processes that survive SIGKILL end the loop, so Lambda
   replaces the environment. Returns the process exit status. */
int lam_rt_loop(struct lam_rt *rt, struct lam_handler *h, const char *cors_origin,
                struct lam_reaper *reaper);

#endif
