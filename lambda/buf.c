/*
 * buf.c - the capped growable byte buffer of buf_int.h. Growth doubles from
 * 16 KiB and never allocates past limit + 1 (the NUL).
 */
#include "lambda/buf_int.h"

#include <stdlib.h>
#include <string.h>

int lam_buf_append(struct lam_buf *b, const void *p, size_t n)
{
    if (n > b->limit - b->len) {
        n = b->limit - b->len;
        b->over = 1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t want = b->cap ? b->cap : 16u << 10;
        while (want < b->len + n + 1)
            want *= 2;
        if (want > b->limit + 1)
            want = b->limit + 1;
        char *d = realloc(b->data, want);
        if (!d)
            return -1;
        b->data = d;
        b->cap = want;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

void lam_buf_reset(struct lam_buf *b)
{
    b->len = 0;
    b->over = 0;
    if (b->data)
        b->data[0] = '\0';
}

void lam_buf_free(struct lam_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
