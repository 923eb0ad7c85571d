/*
 * events.h - Lambda invocation payloads in, replies out.
 *
 * An invocation is one of three shapes (service-contract.md): an HTTP API
 * v2 / Function URL event (version "2.0" with requestContext.http.method), a
 * REST API v1 proxy event (httpMethod), or a direct invoke whose payload is
 * the trace request itself. Proxy events get a proxy reply
 * {statusCode, headers, body, isBase64Encoded:false} with JSON and CORS
 * headers; a direct invoke gets the plain response JSON, or - when no
 * response could be produced (5xx) - a function error for the Runtime API's
 * /error endpoint. Payloads are hostile: anything that is not recognisably a
 * proxy event is treated as a direct invoke and validated as a request.
 */
#ifndef SPP_LAMBDA_EVENTS_H
#define SPP_LAMBDA_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/err.h"

struct lam_handler;

enum lam_event_kind {
    LAM_EVENT_DIRECT,  /* the payload is the request */
    LAM_EVENT_HTTP_V1, /* API Gateway REST API proxy event */
    LAM_EVENT_HTTP_V2  /* API Gateway HTTP API (payload 2.0) or Function URL */
};

struct lam_event {
    enum lam_event_kind kind;
    char method[16];         /* upper case as sent; "" for a direct invoke */
    char *body;              /* decoded body, NUL-terminated, malloc'd; NULL if none */
    size_t body_len;
    const char *body_problem; /* static text when the body could not be decoded
                                 (bad base64); body is then NULL */
    int gzip;                 /* a proxy event whose Accept-Encoding allows gzip */
    int response_auto;        /* a direct invoke with "responseMode":"auto": it can
                                 follow a reference to a response too large to
                                 send (deliver.h) */
};

/* Classify a payload and decode its body (base64 when isBase64Encoded).
   Fails only when memory runs out; *out is written only on success and
   released with lam_event_free. */
enum lam_err lam_event_parse(const char *payload, size_t len, struct lam_event *out)
    LAM_WUR;
void lam_event_free(struct lam_event *ev); /* frees the fields, not ev; NULL ok */

/* What to send back to the Runtime API for one invocation. */
struct lam_invoke_reply {
    char *body;      /* malloc'd, free with lam_invoke_reply_free */
    size_t len;
    int function_error;   /* 1: post body to /error with error_type */
    char error_type[48];  /* e.g. "Function.TraceFailed" when function_error */
    int status;           /* the HTTP status the handler chose (for logs) */
    int cached;           /* the response came from the cache */
};

/* Wrap a handler response (status, JSON body) for the event's shape. */
enum lam_err lam_event_reply(const struct lam_event *ev, int status, const char *body,
                             size_t len, const char *cors_origin,
                             struct lam_invoke_reply *out) LAM_WUR;

/* The same for a body that is already gzip (a proxy event that accepts
   it): base64, isBase64Encoded, Content-Encoding: gzip. */
enum lam_err lam_event_reply_gz(const struct lam_event *ev, int status, const unsigned char *gz,
                                size_t len, const char *cors_origin,
                                struct lam_invoke_reply *out) LAM_WUR;

/* One invocation end to end: parse the payload, answer OPTIONS (204) and
   other methods (405), run POST bodies and direct invokes through the
   handler with the invocation's deadline (epoch ms, 0 = none) so that the
   reply fits Lambda's response limit (deliver.h), and wrap the result. Fails only when memory runs out (the caller then reports a
   function error of its own). */
enum lam_err lam_event_invoke(struct lam_handler *h, const char *payload, size_t len,
                              int64_t deadline_ms, const char *cors_origin,
                              struct lam_invoke_reply *out) LAM_WUR;
void lam_invoke_reply_free(struct lam_invoke_reply *r); /* frees the fields; NULL ok */

/* Decode standard base64 (RFC 4648, padding optional, ASCII whitespace
   skipped, non-canonical trailing bits refused). On success *out is a
   malloc'd NUL-terminated buffer (free()) of *out_len bytes; otherwise
   LAM_ERR_BAD_INPUT or LAM_ERR_NOMEM and nothing is written. */
enum lam_err lam_base64_decode(const char *in, size_t len, char **out, size_t *out_len) LAM_WUR;

#endif
