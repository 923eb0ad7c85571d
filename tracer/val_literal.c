/*
 * val_literal.c - string literals as blocks a char pointer points into.
 *
 * `char *s = "hello";` points into the program's read-only data, where no
 * variable and no heap block is: without a block of its own the pointer is
 * an address with nothing at it. So each literal a char pointer of the
 * snapshot points into becomes a block in the step's heap, keyed by the
 * literal's first character (the frontend draws an arrow on an exact key
 * match), holding its characters and the terminating NUL as "const char"
 * elements (what the literal is in C++, and what says "read-only" to a
 * student), with seq 0 (not an allocation: never freed, never a leak). A
 * literal is shown on the steps where a pointer shown in that step points
 * into it.
 *
 * Where a literal starts is not recorded anywhere: it is the byte after the
 * last NUL before the pointer (gcc puts literals in .rodata one after the
 * other, each ending in NUL; a literal that is the tail of another, "llo"
 * of "hello", is shown as the whole). Named read-only objects (a global
 * `const char msg[]`) have a symbol and are variables, not literals.
 */
#include "tracer/val_int.h"

#include <stdlib.h> /* qsort */
#include <string.h>

#define MAX_BACK 4096u /* bytes searched before a pointer for its literal's start */

static int is_narrow_char(const struct dw_type *t)
{
    return t && t->kind == DWX_T_BASE && t->size == 1 &&
           (t->encoding == DWX_ENC_SIGNED_CHAR || t->encoding == DWX_ENC_UNSIGNED_CHAR);
}

void tr_val_note_literal(struct tr_valctx *c, tr_addr target, const struct dw_type *pointee)
{
    dw_addr off;
    if (!target || !c->ix || !is_narrow_char(dw_type_strip(pointee)) ||
        !dw_index_rodata_at(c->ix, target, NULL) || dw_index_symbol_at(c->ix, target, &off))
        return;
    c->track.out = 1; /* whether it adds one depends on the others: never reused */
    for (size_t i = 0; i < c->nlits; i++)
        if (c->lits[i] == target)
            return;
    tr_val_push_addr(&c->lits, &c->nlits, &c->caplits, TR_VAL_MAX_LITS, target);
}

/* Where the literal holding p starts: after the last NUL before p, within
   its section. */
static tr_addr literal_start(struct tr_valctx *c, tr_addr p, const struct dw_range *sec)
{
    uint8_t buf[MAX_BACK];
    tr_addr lo = p - sec->lo > MAX_BACK ? p - MAX_BACK : sec->lo;
    size_t n = (size_t)(p - lo);
    if (n == 0 || tr_val_mem(c, lo, buf, n) != TR_OK)
        return p;
    while (n > 0 && buf[n - 1] != 0)
        n--;
    return lo + n;
}

/* The literal at start as a block: its characters and the NUL, at most
   TR_VAL_MAX_ELEMS (as any array), never past its section. */
static int literal_block(struct tr_valctx *c, tr_addr start, const struct dw_range *sec,
                         struct tr_heap_block *out)
{
    uint64_t room = sec->hi - start;
    size_t cap = room < TR_VAL_MAX_ELEMS ? (size_t)room : TR_VAL_MAX_ELEMS;
    uint8_t buf[TR_VAL_MAX_ELEMS];
    size_t n = 0;
    while (n < cap && tr_val_mem(c, start + n, buf + n, 1) == TR_OK) {
        n++;
        if (buf[n - 1] == 0)
            break;
    }
    if (n == 0)
        return 0;
    struct tr_value *v = tr_val_node(c, TR_V_ARRAY, start, n);
    if (!v || tr_val_kids(c, v, n) != 0)
        return -1;
    v->is_heap_block = 1;
    for (size_t i = 0; i < n; i++) {
        /* char is signed on the x86-64 ABI */
        struct tr_value *k = tr_val_char(c, start + i, 1, "const char", (int8_t)buf[i], 0);
        if (!k)
            return -1;
        v->kids[v->nkids++] = k;
    }
    *out = (struct tr_heap_block){start, n, v, 0};
    return 1;
}

static int cmp_block(const void *a, const void *b)
{
    const struct tr_heap_block *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int tr_val_literals(struct tr_valctx *c, struct tr_step *st)
{
    if (!c->nlits)
        return 0;
    struct tr_heap_block *h = tr_arena_alloc(c->a, (st->nheap + c->nlits) * sizeof *h);
    if (!h)
        return -1;
    if (st->nheap)
        memcpy(h, st->heap, st->nheap * sizeof *h);
    size_t n = st->nheap;
    for (size_t i = 0; i < c->nlits; i++) {
        struct dw_range sec;
        if (!dw_index_rodata_at(c->ix, c->lits[i], &sec))
            continue;
        tr_addr start = literal_start(c, c->lits[i], &sec);
        int seen = 0;
        for (size_t j = st->nheap; j < n && !seen; j++)
            seen = h[j].addr == start;
        if (seen)
            continue;
        int r = literal_block(c, start, &sec, &h[n]);
        if (r < 0)
            return -1;
        n += (size_t)r;
    }
    qsort(h, n, sizeof *h, cmp_block);
    st->heap = h;
    st->nheap = (uint32_t)n;
    return 0;
}
