/*
 * err.h - the Lambda layer's error codes (everything in lambda/).
 *
 * 0 is success; codes are appended at the end, never renumbered or reused,
 * so a number in an old log still means the same thing. "Not found" is a
 * result, not an error (a cache miss returns LAM_OK with no body). Codes of
 * the libraries below (CURLcode, OpenSSL, errno, HTTP statuses) are
 * translated at the module boundary and never leave lambda/; the detail
 * goes in the caller's error buffer.
 */
#ifndef SPP_LAMBDA_ERR_H
#define SPP_LAMBDA_ERR_H

#include <stddef.h>

#define LAM_ERRBUF_LEN 256 /* size of every caller-supplied error buffer */

enum lam_err {
    LAM_OK = 0,
    LAM_ERR_NOMEM,        /* allocation failed */
    LAM_ERR_INVALID_ARG,  /* a caller broke a documented precondition */
    LAM_ERR_BAD_CONFIG,   /* configuration missing or malformed (errbuf names it) */
    LAM_ERR_TOO_LARGE,    /* a size cap was reached; nothing was truncated */
    LAM_ERR_CRYPTO,       /* OpenSSL failed */
    LAM_ERR_HTTP,         /* no HTTP answer: DNS, connect, TLS, time limit */
    LAM_ERR_HTTP_STATUS,  /* an HTTP status we do not handle (errbuf has it) */
    LAM_ERR_S3_NOT_FOUND, /* 404 where something must exist (NoSuchBucket) */
    LAM_ERR_S3_DENIED,    /* 403 AccessDenied: no permission, or a missing key
                             read without s3:ListBucket */
    LAM_ERR_S3_AUTH,      /* credentials or signature rejected
                             (SignatureDoesNotMatch, InvalidAccessKeyId, ...) */
    LAM_ERR_IO,           /* a local file operation failed (errbuf has errno text) */
    LAM_ERR_CORRUPT,      /* stored data is not what was written (a cache entry
                             that is not a JSON object) */
    LAM_ERR_SYS,          /* a system call failed: pipe, spawn, socket, signal
                             set-up (errbuf has errno text) */
    LAM_ERR_BAD_INPUT     /* hostile input could not be decoded (a base64 body
                             that is not base64); errbuf says what */
};

#define LAM_WUR __attribute__((warn_unused_result))

/* Static text for a code; never NULL. */
const char *lam_strerror(enum lam_err e);

/* Formats a message into errbuf (LAM_ERRBUF_LEN bytes; NULL: none) and
   returns e, so a failure path is one statement. The message may be cut to
   fit (it is a diagnostic, not data); an encoding error leaves "". */
enum lam_err lam_err_set(char *errbuf, enum lam_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
