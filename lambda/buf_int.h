/*
 * buf_int.h - lambda/'s capped growable byte buffer (folder-private).
 *
 * Used for everything read from a peer whose size we do not control: the
 * tracer's stdout and stderr, Runtime API payloads, HTTP request bodies.
 * The data is always NUL-terminated (not counted in len). Bytes beyond the
 * limit are dropped and `over` is set: the caller decides whether that is
 * an error (it never passes for a whole value silently).
 */
#ifndef SPP_LAMBDA_BUF_INT_H
#define SPP_LAMBDA_BUF_INT_H

#include <stddef.h>

struct lam_buf {
    char *data;   /* malloc'd; free with lam_buf_free */
    size_t len, cap;
    size_t limit; /* set by the owner before the first append */
    int over;     /* something was dropped at the limit */
};

/* Append n bytes (fewer at the limit, setting over). -1 when memory runs
   out (the buffer keeps what it had), else 0. */
int lam_buf_append(struct lam_buf *b, const void *p, size_t n);
void lam_buf_reset(struct lam_buf *b); /* empty, keeps the memory and limit */
void lam_buf_free(struct lam_buf *b);  /* frees data; NULL ok */

#endif
