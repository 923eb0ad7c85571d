/*
 * enc_int.h - what the encoders (enc_trace.c, enc_vgtrace.c, enc_response.c,
 * enc_memcheck.c) share: a growable text buffer, the memcheck summary, a
 * scalar's JSON. Not a public header.
 */
#ifndef SPP_TRACER_ENC_INT_H
#define SPP_TRACER_ENC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/enc.h"

/* Text that grows by doubling, always NUL-terminated; p is malloc'd (free
   with free()). The encoders cap what they add, so no cap here. */
struct tr_enc_buf {
    char *p;
    size_t len, cap;
};

/* Append n bytes of s; -1 when out of memory (b unchanged). */
int tr_enc_buf_put(struct tr_enc_buf *b, const char *s, size_t n);
/* A string literal appended (its length counted by the compiler). */
#define TR_ENC_LIT(b, lit) tr_enc_buf_put((b), (lit), sizeof(lit) - 1)
/* Room for n more bytes (and the NUL); -1 when out of memory. */
int tr_enc_buf_reserve(struct tr_enc_buf *b, size_t n);

/* JSON written as cJSON prints it (enc_json.c): a string with its quotes
   and escapes (strn: n bytes, NULs included as \u0000), a number, an
   address as the string "0x1A2B". -1 when out of memory. */
int tr_enc_buf_str(struct tr_enc_buf *b, const char *s);
int tr_enc_buf_strn(struct tr_enc_buf *b, const char *s, size_t n);
int tr_enc_buf_num(struct tr_enc_buf *b, double d);
/* The inside of a JSON string holding s[0..n): escaped, without quotes.
   Escaping is byte by byte, so pieces escaped apart join to the whole. */
int tr_enc_buf_esc(struct tr_enc_buf *b, const char *s, size_t n);
int tr_enc_buf_addr(struct tr_enc_buf *b, uint64_t a);

/* The message of a trace cut at its size cap, in buf: what is "trace"
   (steps) or "traceContent" (records); limit is the cap the user knows. */
void tr_enc_cut_text(char *buf, size_t len, const char *what, size_t kept, size_t total,
                     size_t limit);

/* tr_enc_trace, or with reference set the straightforward encoder it must
   match byte for byte (tests/unit/enc_reuse.c): every value printed through
   cJSON, nothing reused from the step before. */
char *tr_enc_trace_with(const struct tr_trace *t, enum tr_enc_style style, size_t cap,
                        size_t *len, struct tr_enc_cut *cut, int reference);
/* How tr_enc_vgtrace_with writes: the reference encoder (cJSON, nothing
   reused), or the fast one without reuse across records (for tests); JSON:
   the text as the inside of a JSON string (the response's traceContent, no
   quotes), the cap then counting the escaped bytes. */
enum { TR_VG_REFERENCE = 1, TR_VG_NO_REUSE = 2, TR_VG_JSON = 4 };
char *tr_enc_vgtrace_with(const struct tr_trace *t, size_t cap, size_t *len,
                          struct tr_enc_cut *cut, unsigned how);

/* One record of the vgtrace text written straight into it (enc_vgrec.c),
   reusing the texts of values and blocks that did not change since the
   record before, which the memo keeps (esc: kept escaped, for TR_VG_JSON;
   reuse 0: nothing kept). new: NULL when out of memory; free accepts NULL. */
struct tr_vg_memo;
struct tr_vg_memo *tr_enc_vgrec_new(int esc, int reuse);
void tr_enc_vgrec_free(struct tr_vg_memo *m);
/* The record of s appended to b; -1 when out of memory. */
int tr_enc_vgrec_put(struct tr_enc_buf *b, struct tr_vg_memo *m, const struct tr_step *s);
/* The heap block of s that contains addr (its index), or -1. */
long tr_enc_block_at(const struct tr_step *s, tr_addr addr);

struct cJSON;
struct tr_request;
struct tr_result;
struct tr_value;
struct tr_var;

/* Would a and b encode to the same text, in every format? (enc_same.c) */
int tr_enc_same_value(const struct tr_value *a, const struct tr_value *b);
/* Is vars[i] shown? Not without a value; of two variables with one name,
   the first (an object cannot hold both). */
int tr_enc_var_shown(const struct tr_var *vars, uint32_t i);
/* The names of the shown variables, in order, as a JSON array. */
int tr_enc_names_put(struct tr_enc_buf *b, const struct tr_var *vars, uint32_t n);

/* A scalar's val slot, the same in every JSON format (enc_scalar.c); NULL
   when out of memory. */
struct cJSON *tr_enc_scalar(const struct tr_value *v);
/* The same text appended to b; -1 when out of memory. */
int tr_enc_scalar_put(struct tr_enc_buf *b, const struct tr_value *v);

/* The response's "memcheck" object (service-contract.md): ran, errors (with
   the step each is on), leaks (totals and records), note. NULL when out of
   memory; the caller owns it (cJSON_Delete). */
struct cJSON *tr_enc_memcheck(const struct tr_result *res, const struct tr_request *r);

#endif
