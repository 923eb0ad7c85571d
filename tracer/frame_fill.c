/*
 * frame_fill.c - the stack half of "<UNINITIALIZED>" without Valgrind
 * (frame_fill.h); the runtime fills the heap (tracer/rt/sppmon.c).
 *
 * Key idea: at -O0 every local has a slot of its own at a fixed offset
 * from the frame's CFA, so one write per run of adjacent slots at the
 * activation's first statement marks all of them "never written". Slots
 * are collected from DWARF (untrusted): each must lie inside the live
 * frame below the saved frame pointer, or it is skipped. The live frame
 * includes the 128-byte red zone below sp: a leaf function (C's main
 * calling nothing) allocates no stack and keeps its locals there.
 */
#include "tracer/frame_fill.h"

#include <stdlib.h>
#include <string.h>

#include "tracer/rt/sppmon.h"

#define MAX_SLOTS 1024 /* slots of one function; more are left unfilled */
#define MAX_DEPTH 64   /* nested lexical blocks */
#define RED_ZONE 128   /* a leaf function keeps its locals below sp (x86-64 ABI) */

struct slot {
    tr_addr lo, hi;
};

struct slots {
    struct slot s[MAX_SLOTS];
    size_t n;
    tr_addr cfa, sp;
};

int tr_fill_wanted(const struct tr_target *t)
{
    return tr_target_has(t, TR_CAP_WRITE_MEM) && !tr_target_has(t, TR_CAP_VBITS);
}

static void add_var(struct slots *sl, const struct dw_var *v)
{
    const struct dw_type *t = dw_type_strip(v->type);
    if (v->is_param || v->is_static || v->is_artificial || v->loc.deref || !t || t->size == 0 ||
        sl->n == MAX_SLOTS)
        return;
    tr_addr lo;
    if (v->loc.kind == DWX_LOC_FBREG)
        lo = sl->cfa + (tr_addr)v->loc.offset;
    else if (v->loc.kind == DWX_LOC_BREG && v->loc.reg == 6) /* rbp: CFA - 16 at -O0 */
        lo = sl->cfa - 16 + (tr_addr)v->loc.offset;
    else
        return;
    tr_addr hi = lo + t->size;
    if (lo < sl->sp - RED_ZONE || hi < lo || hi > sl->cfa - 16)
        return;
    sl->s[sl->n++] = (struct slot){lo, hi};
}

static void add_scope(struct slots *sl, const struct dw_scope *sc, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    for (size_t i = 0; i < sc->nvars; i++)
        add_var(sl, &sc->vars[i]);
    for (size_t i = 0; i < sc->nchildren; i++)
        add_scope(sl, &sc->children[i], depth + 1);
}

static int cmp_slot(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static enum tr_err write_fill(struct tr_target *t, tr_addr lo, tr_addr hi)
{
    uint8_t pattern[4096];
    memset(pattern, SPP_RT_FILL_BYTE, sizeof pattern);
    while (lo < hi) {
        size_t k = hi - lo < sizeof pattern ? (size_t)(hi - lo) : sizeof pattern;
        enum tr_err rc = tr_target_write(t, lo, pattern, k);
        if (rc)
            return rc;
        lo += k;
    }
    return TR_OK;
}

enum tr_err tr_fill_frame(struct tr_target *t, const struct dw_func *f, tr_addr cfa, tr_addr sp)
{
    if (!f || cfa < 16 || sp < RED_ZONE || sp > cfa)
        return TR_OK;
    struct slots *sl = malloc(sizeof *sl);
    if (!sl)
        return TR_ERR_NOMEM;
    sl->n = 0;
    sl->cfa = cfa;
    sl->sp = sp;
    add_scope(sl, &f->scope, 0);
    qsort(sl->s, sl->n, sizeof *sl->s, cmp_slot);
    enum tr_err rc = TR_OK;
    /* adjacent and overlapping slots become one write */
    for (size_t i = 0; i < sl->n && rc == TR_OK;) {
        tr_addr lo = sl->s[i].lo, hi = sl->s[i].hi;
        for (i++; i < sl->n && sl->s[i].lo <= hi; i++)
            if (sl->s[i].hi > hi)
                hi = sl->s[i].hi;
        rc = write_fill(t, lo, hi);
    }
    free(sl);
    return rc;
}
