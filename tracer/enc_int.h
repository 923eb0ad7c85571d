/*
 * enc_int.h - what the encoders (enc_trace.c, enc_vgtrace.c, enc_response.c,
 * enc_memcheck.c) share: a growable text buffer, the memcheck summary, a
 * scalar's JSON. Not a public header.
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

/* The message of a trace cut at its size cap, in buf: what is "trace"
   (steps) or "traceContent" (records); limit is the cap the user knows. */
void tr_enc_cut_text(char *buf, size_t len, const char *what, size_t kept, size_t total,
                     size_t limit);

struct cJSON;
struct tr_request;
struct tr_result;
struct tr_value;

/* A scalar's val slot, the same in every JSON format (enc_scalar.c); NULL
   when out of memory. */
struct cJSON *tr_enc_scalar(const struct tr_value *v);

/* The response's "memcheck" object (service-contract.md): ran, errors (with
   the step each is on), leaks (totals and records), note. NULL when out of
   memory; the caller owns it (cJSON_Delete). */
struct cJSON *tr_enc_memcheck(const struct tr_result *res, const struct tr_request *r);

#endif
