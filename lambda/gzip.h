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

/* A gzip member of in[0..n) whose first `mark` bytes (at most
   LAM_GZIP_MARK_MAX) are stored uncompressed in a block of their own, so
   lam_gzip_remark can rewrite them without recompressing (the result cache
   stores {"cached":false... and serves {"cached":true...). Any gzip
   decoder reads it as usual. NULL when memory runs out or zlib fails. */
#define LAM_GZIP_MARK_MAX 64
unsigned char *lam_gzip_marked(const void *in, size_t n, size_t mark, size_t *out_n);

/* 1 when gz[0..n) is laid out as lam_gzip_marked makes it and its mark is
   exactly `mark`; a cheap structural check (the body's own integrity is the
   gzip CRC every decoder verifies). */
int lam_gzip_is_marked(const unsigned char *gz, size_t n, const char *mark);

/* Replace the mark `from` by `to` (not longer) in place, fixing the CRC and
   size; *n shrinks by the difference. 0, or -1 (gz untouched) when gz is
   not a member marked with `from`. */
int lam_gzip_remark(unsigned char *gz, size_t *n, const char *from, const char *to);

/* The uncompressed size a member's trailer states (modulo 4 GiB; bodies
   here are far smaller); 0 for a too-short buffer. */
size_t lam_gzip_size(const unsigned char *gz, size_t n);

/* Inflate one gzip member (all of gz[0..n), nothing after it) of at most
   max bytes: malloc'd and NUL-terminated, its length in *out_n. NULL when
   the data is not one whole valid member, is larger than max, or memory
   runs out. */
char *lam_gunzip(const void *gz, size_t n, size_t max, size_t *out_n);

#endif
