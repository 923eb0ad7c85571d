/*
 * text.c - program bytes made safe for JSON text.
 *
 * What a program prints (and what its strings hold) is arbitrary bytes; a
 * JSON string must be valid UTF-8 without raw NULs for every consumer to
 * parse it. Valid UTF-8 passes through unchanged; a NUL becomes the two
 * characters "\0" and every byte that is not part of valid UTF-8 becomes
 * "\xNN" (the convention used for chars in trace values).
 */
#include "tracer/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

size_t tr_text_clean_len(const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t out = 0;
    for (size_t i = 0; i < len;) {
        size_t k = s[i] ? utf8_seq(s + i, len - i) : 0;
        if (k) {
            out += k;
            i += k;
        } else {
            out += s[i] ? 4 : 2;
            i++;
        }
    }
    return out;
}

char *tr_text_clean(const char *in, size_t len, size_t *outlen)
{
    size_t n = tr_text_clean_len(in, len);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    tr_text_clean_into(in, len, out);
    if (outlen)
        *outlen = n;
    return out;
}

size_t tr_text_clean_into(const char *in, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = s[i] ? utf8_seq(s + i, len - i) : 0;
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else if (!s[i]) {
            out[o++] = '\\';
            out[o++] = '0';
            i++;
        } else {
            snprintf(out + o, 5, "\\x%02x", s[i]);
            o += 4;
            i++;
        }
    }
    out[o] = '\0';
    return o;
}

size_t tr_text_utf8(uint32_t cp, char out[5])
{
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    out[n] = '\0';
    return n;
}
