/*
 * err.c - text for lam_err codes, and the helper that fills error buffers.
 * lam_strerror is a switch without default so -Wswitch names any code that
 * has no text.
 */
#include "lambda/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *lam_strerror(enum lam_err e)
{
    switch (e) {
    case LAM_OK: return "ok";
    case LAM_ERR_NOMEM: return "out of memory";
    case LAM_ERR_INVALID_ARG: return "invalid argument";
    case LAM_ERR_BAD_CONFIG: return "bad configuration";
    case LAM_ERR_TOO_LARGE: return "size limit reached";
    case LAM_ERR_CRYPTO: return "cryptographic operation failed";
    case LAM_ERR_HTTP: return "HTTP transfer failed";
    case LAM_ERR_HTTP_STATUS: return "unexpected HTTP status";
    case LAM_ERR_S3_NOT_FOUND: return "S3 bucket or object not found";
    case LAM_ERR_S3_DENIED: return "S3 access denied";
    case LAM_ERR_S3_AUTH: return "S3 rejected the credentials or signature";
    case LAM_ERR_IO: return "file operation failed";
    case LAM_ERR_CORRUPT: return "stored data is corrupt";
    case LAM_ERR_SYS: return "system call failed";
    case LAM_ERR_BAD_INPUT: return "input could not be decoded";
    }
    return "unknown error";
}

enum lam_err lam_err_set(char *errbuf, enum lam_err e, const char *fmt, ...)
{
    if (!errbuf)
        return e;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errbuf, LAM_ERRBUF_LEN, fmt, ap);
    va_end(ap);
    if (n < 0)
        errbuf[0] = '\0';
    return e;
}
