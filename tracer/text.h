/*
 * text.h - turn program bytes into text every JSON consumer accepts:
 * valid UTF-8 unchanged, NUL as "\0", other invalid bytes as "\xNN"; a
 * code point as UTF-8.
 */
#ifndef SPP_TRACER_TEXT_H
#define SPP_TRACER_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Length of the cleaned text (without the terminating NUL). */
size_t tr_text_clean_len(const char *in, size_t len);
/* Writes the cleaned text and a NUL into out (tr_text_clean_len + 1 bytes);
   returns its length. */
size_t tr_text_clean_into(const char *in, size_t len, char *out);
/* malloc'd cleaned copy (free with free()); NULL when out of memory. */
char *tr_text_clean(const char *in, size_t len, size_t *outlen);
/* The UTF-8 of code point cp (at most 0x10ffff) and a NUL into out; its
   length (1..4). */
size_t tr_text_utf8(uint32_t cp, char out[5]);

#endif
