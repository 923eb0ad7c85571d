/*
 * enc_json.c - JSON text written straight into a growing buffer, for the
 * per-step parts of big traces (enc_trace.c, enc_vgtrace.c, enc_response.c).
 *
 * Why not cJSON there: a 1000-step trace of a 200-node list is 27 MB, and
 * building a cJSON tree per step and printing it cost more than tracing
 * the program. The text must stay byte for byte what cJSON prints (caches
 * and tests compare responses), so strings are escaped and numbers printed
 * exactly as cJSON 1.7 does (print_string_ptr, print_number); the
 * reference encoders, which still go through cJSON, check that in
 * tests/unit/enc_reuse.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/enc_int.h"

int tr_enc_buf_str(struct tr_enc_buf *b, const char *s)
{
    return tr_enc_buf_strn(b, s, strlen(s));
}

/* What each byte becomes inside a JSON string: 1 byte as itself, 2 for a
   short escape, 6 for \u00XX (the escapes cJSON's print_string_ptr writes). */
static const uint8_t esc_len[256] = {
    [0 ... 7] = 6,    ['\b'] = 2, ['\t'] = 2,        ['\n'] = 2,          [11] = 6,
    ['\f'] = 2,       ['\r'] = 2, [14 ... 31] = 6,    [32 ... 33] = 1,     ['"'] = 2,
    [35 ... 91] = 1,  ['\\'] = 2, [93 ... 255] = 1,
};

int tr_enc_buf_strn(struct tr_enc_buf *b, const char *s, size_t n)
{
    return TR_ENC_LIT(b, "\"") || tr_enc_buf_esc(b, s, n) || TR_ENC_LIT(b, "\"") ? -1 : 0;
}

int tr_enc_buf_esc(struct tr_enc_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    /* counted first, so a multi-megabyte string is reserved once and exactly */
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        need += esc_len[u[i]];
    if (tr_enc_buf_reserve(b, need) != 0)
        return -1;
    char *o = b->p + b->len;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && esc_len[u[j]] == 1)
            j++;
        memcpy(o, s + i, j - i); /* a run of bytes that stand as themselves */
        o += j - i;
        if (j == n)
            break;
        unsigned char c = u[j];
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            o += snprintf(o, 6, "u%04x", c);
            break;
        }
        i = j + 1;
    }
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
    return 0;
}

int tr_enc_buf_num(struct tr_enc_buf *b, double d)
{
    char buf[32];
    int n;
    /* cJSON_CreateNumber's valueint saturates at the int range; print_number
       prints %d when the double equals it */
    int vi = d >= 2147483647.0 ? 2147483647 : d <= -2147483648.0 ? (-2147483647 - 1) : (int)d;
    if (isnan(d) || isinf(d)) {
        n = snprintf(buf, sizeof buf, "null");
    } else if (d == (double)vi) {
        n = snprintf(buf, sizeof buf, "%d", vi);
    } else {
        n = snprintf(buf, sizeof buf, "%1.15g", d);
        double back = strtod(buf, NULL);
        double big = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
        if (!(fabs(back - d) <= big * 2.220446049250313e-16))
            n = snprintf(buf, sizeof buf, "%1.17g", d);
    }
    return tr_enc_buf_put(b, buf, (size_t)n);
}

int tr_enc_buf_addr(struct tr_enc_buf *b, uint64_t a)
{
    static const char hex[] = "0123456789ABCDEF";
    char buf[24], *o = buf + sizeof buf;
    *--o = '"';
    do {
        *--o = hex[a & 15];
        a >>= 4;
    } while (a);
    *--o = 'x';
    *--o = '0';
    *--o = '"';
    return tr_enc_buf_put(b, o, (size_t)(buf + sizeof buf - o));
}

int tr_enc_buf_reserve(struct tr_enc_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q)
        return -1;
    b->p = q;
    b->cap = cap;
    return 0;
}

int tr_enc_buf_put(struct tr_enc_buf *b, const char *s, size_t n)
{
    if (tr_enc_buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}
