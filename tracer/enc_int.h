/*
 * enc_int.h - what the encoders (enc_trace.c, enc_vgtrace.c) share: a
 * growable text buffer. Not a public header.
 */
#ifndef SPP_TRACER_ENC_INT_H
#define SPP_TRACER_ENC_INT_H

#include <stddef.h>

/* Text that grows by doubling, always NUL-terminated; p is malloc'd (free
   with free()). The encoders cap what they add, so no cap here. */
struct tr_enc_buf {
    char *p;
    size_t len, cap;
};

/* Append n bytes of s; -1 when out of memory (b unchanged). */
int tr_enc_buf_put(struct tr_enc_buf *b, const char *s, size_t n);

#endif
