/*
 * val_vbits.c - memcheck's validity bits for the values of one snapshot:
 * which scalars show "<UNINITIALIZED>" (targets with TR_CAP_VBITS only).
 *
 * Key idea: ask per region, not per scalar. Every scalar the reader makes
 * from memory is noted (value, bytes, bits); tr_val_end sorts the notes,
 * merges near ones into regions (a frame's locals, an array, a heap block,
 * across padding of up to BRIDGE bytes) and puts to the
 * target one cheap question per region: "first byte that is not defined?"
 * (valgrind's `check_memory defined`, one round trip whatever the size).
 * Only where the answer is "here" are exact bits fetched (`get_vbits`,
 * which costs per byte), in windows that grow while the region stays
 * undefined, so a big uninitialised array costs a few windows, not one
 * question per element. A fully defined snapshot - the common case - costs
 * one question per region.
 *
 * Rules (value.h): a scalar is uninitialised when ANY bit of its own bytes
 * is undefined - partially defined scalars included, because the number
 * shown would be partly garbage (a bitfield looks at its own bits only; a
 * long double at its 10 significant bytes). Bytes memcheck deems
 * unaddressable count as defined (their access is an error of its own).
 * Caveat: fetching exact bits costs ~4 us per byte through vgdb, so a
 * snapshot fetches at most TR_VAL_VBITS_BUDGET bytes of them; scalars
 * beyond that in a region known to hold undefined bytes keep their value.
 */
#include "tracer/val_int.h"

#include <stdlib.h>
#include <string.h>

#define WINDOW_FIRST 64u /* bytes of exact bits fetched at a first undefined byte */
#define WINDOW_MAX 1024u /* a window grows up to this while all of it is undefined */
#define MAX_NOTES (1u << 20)
#define MAX_WINDOWS 4096u
#define BRIDGE 32u /* a gap this small between notes stays in the region */

struct note {
    struct tr_value *v;
    tr_addr addr;
    uint32_t len;
    uint8_t shift, nbits; /* a bitfield: bits [shift, shift+nbits) of the bytes; 0: all */
};

/* Exact bits fetched for [addr, addr+len), at bits[off..off+len). */
struct window {
    tr_addr addr;
    uint32_t len, off;
};

struct tr_val_vbits {
    struct tr_target *t;
    struct note *notes;
    size_t n, cap;
    struct window *win;
    size_t nwin;
    uint8_t *bits; /* TR_VAL_VBITS_BUDGET */
    size_t used;   /* of bits */
    int failed;    /* the target stopped answering: flag nothing this snapshot */
};

struct tr_val_vbits *tr_val_vbits_new(struct tr_target *t)
{
    if (!t || !tr_target_has(t, TR_CAP_VBITS))
        return NULL;
    struct tr_val_vbits *vb = calloc(1, sizeof *vb);
    if (!vb)
        return NULL;
    vb->win = calloc(MAX_WINDOWS, sizeof *vb->win);
    vb->bits = malloc(TR_VAL_VBITS_BUDGET);
    if (!vb->win || !vb->bits) {
        tr_val_vbits_free(vb);
        return NULL;
    }
    vb->t = t;
    return vb;
}

void tr_val_vbits_free(struct tr_val_vbits *vb)
{
    if (!vb)
        return;
    free(vb->notes);
    free(vb->win);
    free(vb->bits);
    free(vb);
}

void tr_val_vbits_begin(struct tr_val_vbits *vb)
{
    if (!vb)
        return;
    vb->n = 0;
    vb->nwin = 0;
    vb->used = 0;
    vb->failed = 0;
}

void tr_val_vbits_note(struct tr_valctx *c, struct tr_value *v, tr_addr addr, size_t len,
                       unsigned shift, unsigned nbits)
{
    struct tr_val_vbits *vb = c->vb;
    /* bytes standing in for registers (c->ovr) have no V-bits */
    if (!vb || !v || c->ovr || c->no_vbits || len == 0 || len > 64 || addr + len < addr)
        return;
    if (vb->n == vb->cap) {
        if (vb->cap >= MAX_NOTES)
            return;
        size_t cap = vb->cap ? vb->cap * 2 : 256;
        struct note *n = realloc(vb->notes, cap * sizeof *n);
        if (!n)
            return;
        vb->notes = n;
        vb->cap = cap;
    }
    vb->notes[vb->n++] = (struct note){v, addr, (uint32_t)len, (uint8_t)shift, (uint8_t)nbits};
}

static int cmp_note(const void *a, const void *b)
{
    const struct note *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* The end of the notes that hold byte a, from index i on (notes sorted);
   a + 1 when none does. */
static tr_addr cover_end(const struct tr_val_vbits *vb, size_t i, tr_addr a)
{
    tr_addr end = a + 1;
    for (; i < vb->n && vb->notes[i].addr <= a; i++)
        if (vb->notes[i].addr + vb->notes[i].len > end)
            end = vb->notes[i].addr + vb->notes[i].len;
    return end;
}

/* Fetch exact bits for [a, a+len); 0 when done, -1 when over budget or failed. */
static int fetch_window(struct tr_val_vbits *vb, tr_addr a, size_t len)
{
    if (vb->nwin == MAX_WINDOWS || vb->used + len > TR_VAL_VBITS_BUDGET)
        return -1;
    if (tr_target_vbits(vb->t, a, vb->bits + vb->used, len) != TR_OK) {
        /* nothing addressable there (or the target failed): no flags */
        return -1;
    }
    vb->win[vb->nwin++] = (struct window){a, (uint32_t)len, (uint32_t)vb->used};
    vb->used += len;
    return 0;
}

/* Resolve region [a, b), whose notes start at index first: windows of
   exact bits wherever a noted byte is undefined. A region may bridge small
   gaps between notes (padding): an answer that lands in one moves on to
   the next note, so bridging never costs more questions than it saves. */
static void resolve(struct tr_val_vbits *vb, size_t first, tr_addr a, tr_addr b)
{
    tr_addr x = a;
    size_t w = WINDOW_FIRST, i = first;
    while (x < b && !vb->failed) {
        tr_addr bad;
        int unaddr;
        if (tr_target_check_defined(vb->t, x, (size_t)(b - x), &bad, &unaddr) != TR_OK) {
            vb->failed = 1;
            return;
        }
        if (bad >= b)
            return;
        while (i < vb->n && vb->notes[i].addr + vb->notes[i].len <= bad)
            i++;
        if (i == vb->n || vb->notes[i].addr >= b)
            return;
        if (vb->notes[i].addr > bad) {
            x = vb->notes[i].addr; /* in a gap: nothing shown there */
            continue;
        }
        if (unaddr) {
            /* skip the value holding that byte: it shows what memory holds */
            x = cover_end(vb, i, bad);
            continue;
        }
        size_t len = b - bad < w ? (size_t)(b - bad) : w;
        if (fetch_window(vb, bad, len) != 0)
            return;
        /* still undefined at the window's end: likely more of the same */
        const uint8_t *last = vb->bits + vb->used - 1;
        w = *last && w < WINDOW_MAX ? w * 2 : WINDOW_FIRST;
        x = bad + len;
    }
}

static int window_cmp(const void *key, const void *elem)
{
    tr_addr a = *(const tr_addr *)key;
    const struct window *w = elem;
    if (a < w->addr)
        return -1;
    return a >= w->addr + w->len ? 1 : 0;
}

/* The V-bits of byte a, 0 (defined) when no window holds it. */
static uint8_t bits_at(const struct tr_val_vbits *vb, tr_addr a)
{
    const struct window *w = bsearch(&a, vb->win, vb->nwin, sizeof *vb->win, window_cmp);
    return w ? vb->bits[w->off + (a - w->addr)] : 0;
}

static int undefined(const struct tr_val_vbits *vb, const struct note *nt)
{
    for (uint32_t i = 0; i < nt->len; i++) {
        uint8_t m = 0xff;
        if (nt->nbits) {
            /* the bitfield's bits within byte i */
            unsigned lo = i * 8u, hi = lo + 8u;
            unsigned from = nt->shift, to = nt->shift + nt->nbits;
            if (to <= lo || from >= hi)
                continue;
            unsigned s = from > lo ? from - lo : 0, e = to < hi ? to - lo : 8;
            m = (uint8_t)(((1u << e) - 1u) & ~((1u << s) - 1u));
        }
        if (bits_at(vb, nt->addr + i) & m)
            return 1;
    }
    return 0;
}

static int cmp_window(const void *a, const void *b)
{
    const struct window *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void tr_val_vbits_settle(struct tr_valctx *c)
{
    struct tr_val_vbits *vb = c->vb;
    if (!vb || vb->n == 0)
        return;
    qsort(vb->notes, vb->n, sizeof *vb->notes, cmp_note);
    size_t first = 0;
    tr_addr a = vb->notes[0].addr, b = a + vb->notes[0].len;
    for (size_t i = 1; i <= vb->n && !vb->failed; i++) {
        if (i < vb->n && vb->notes[i].addr <= b + BRIDGE) {
            tr_addr e = vb->notes[i].addr + vb->notes[i].len;
            if (e > b)
                b = e;
            continue;
        }
        resolve(vb, first, a, b);
        if (i < vb->n) {
            first = i;
            a = vb->notes[i].addr;
            b = a + vb->notes[i].len;
        }
    }
    if (!vb->failed && vb->nwin) {
        /* windows never overlap: each starts past the previous one's end */
        qsort(vb->win, vb->nwin, sizeof *vb->win, cmp_window);
        for (size_t i = 0; i < vb->n; i++) {
            struct tr_value *v = vb->notes[i].v;
            if (!v->uninit && undefined(vb, &vb->notes[i])) {
                v->uninit = 1;
                v->stext = TR_ST_STRING;
                v->text = TR_UNINIT_TEXT;
            }
        }
    }
    vb->n = 0;
}
