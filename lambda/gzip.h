/*
 * gzip.h - Accept-Encoding negotiation and gzip bodies (zlib).
 *
 * A trace repeats the whole state at every step, so its JSON compresses
 * some 20-fold; a client that says it accepts gzip gets the compressed
 * bytes. Used by serve and the Lambda proxy responses alike.
 */
#ifndef SPP_LAMBDA_GZIP_H
#define SPP_LAMBDA_GZIP_H

#include <stddef.h>

/* 1 when the Accept-Encoding value (NULL = no header) allows gzip: a
   "gzip", "x-gzip" or "*" coding whose q is not 0 (RFC 9110 12.5.3);
   "gzip;q=0" refuses it even beside "*". Else 0. */
int lam_accepts_gzip(const char *accept_encoding);

/* The gzip member (RFC 1952) of in[0..n): malloc'd, its size in *out_n.
   NULL when memory runs out or zlib fails. */
unsigned char *lam_gzip(const void *in, size_t n, size_t *out_n);

#endif
