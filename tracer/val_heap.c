/*
 * val_heap.c - heap blocks: which type each live block holds, and its value.
 *
 * A block is typed by the pointers seen in this snapshot that point into
 * it, the most trustworthy first: a container that knows its element count
 * (a vector's buffer holds size() elements, not capacity()), then a pointer
 * to a polymorphic object whose vtable names its dynamic type (a Shape*
 * to a Circle shows a Circle; a B* to the B part of a C, the whole C), then
 * a pointer to the block's start, then a pointer inside it at a whole
 * element (not into a block the C library allocated for itself, whose
 * layout only the library knows: opendir's DIR). Ties go to the pointer
 * seen first (locals, then globals, then blocks). Decoding a block can
 * reveal pointers to others (a linked list), so typing repeats until
 * nothing improves; a block no pointer types is shown as bytes, except a
 * new[] block with a count cookie, which keeps the elements it was last
 * shown with while its constructors run (nothing visible points to it
 * between their calls). Blocks a value already shows
 * (a string's text, a map's nodes) are left out.
 */
#include "tracer/val_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/rt/sppmon.h"

#define NO_PRIO (-1)

struct view {
    int prio;      /* enum tr_val_prio, NO_PRIO for none */
    size_t seq;    /* index of the pointer: ties go to the first */
    tr_addr first; /* first element */
    const struct dw_type *elem;
    const struct dw_type *named; /* elem's typedef name when elem is anonymous */
    uint64_t count; /* elements from first */
};

struct order {
    tr_addr target;
    size_t seq;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_addr(const void *a, const void *b)
{
    tr_addr x = *(const tr_addr *)a, y = *(const tr_addr *)b;
    return x < y ? -1 : x > y;
}

static int cmp_block(const void *a, const void *b)
{
    const struct tr_heap_block *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The dynamic type of the polymorphic object at addr and where that whole
   object starts: the vtable pointer names "vtable for X", and the word
   before its RTTI slot is the offset from this subobject to the top. */
static const struct dw_type *dynamic_type(struct tr_valctx *c, tr_addr addr, tr_addr *top)
{
    uint64_t vptr, ott;
    if (tr_val_word(c, addr, &vptr) != 0 || !vptr || tr_val_word(c, vptr - 16, &ott) != 0)
        return NULL;
    dw_addr off;
    const char *sym = dw_index_symbol_at(c->ix, vptr, &off);
    if (!sym || strncmp(sym, "_ZTV", 4) != 0)
        return NULL;
    char buf[512];
    const char *dm = dw_demangle(sym, buf, sizeof buf);
    if (!dm || strncmp(dm, "vtable for ", 11) != 0)
        return NULL;
    const struct dw_type *t = dw_index_type_named(c->ix, dm + 11);
    if (!t || !t->size)
        return NULL;
    *top = addr + ott; /* offset-to-top is <= 0 */
    return t;
}

/* new T[n] of a T with a destructor stores n in the block's first word and
   the elements after it: is b such a block for elements of esize bytes? */
static int cookie_count(struct tr_valctx *c, const struct tr_block *b, uint64_t esize,
                        uint64_t *n)
{
    return b->kind == SPP_RT_NEW_ARRAY && b->size >= 8 && esize &&
           tr_val_word(c, b->addr, n) == 0 && *n && *n <= (b->size - 8) / esize &&
           *n * esize == b->size - 8;
}

/* Remember how the cookie block b was typed: between its constructor
   calls (and after the last one, before `new` returns) no pointer the
   tracer can see points to it, and its elements are still what they were. */
static void newarr_note(struct tr_valctx *c, const struct tr_block *b, const struct view *w)
{
    uint64_t n;
    if (w->first != b->addr + 8 || !cookie_count(c, b, w->elem->size, &n))
        return;
    for (size_t i = 0; i < TR_VAL_NEWARR_MEMO; i++)
        if (c->newarr[i].seq == b->seq) {
            c->newarr[i].elem = w->elem;
            c->newarr[i].named = w->named;
            return;
        }
    c->newarr[c->newarr_next] = (struct tr_val_newarr){b->seq, w->elem, w->named};
    c->newarr_next = (c->newarr_next + 1) % TR_VAL_NEWARR_MEMO;
}

/* The view a cookie block was last shown with, when it still fits. */
static int newarr_view(struct tr_valctx *c, const struct tr_block *b, struct view *w)
{
    uint64_t n;
    for (size_t i = 0; b->seq && i < TR_VAL_NEWARR_MEMO; i++) {
        const struct tr_val_newarr *m = &c->newarr[i];
        if (m->seq == b->seq && cookie_count(c, b, m->elem->size, &n)) {
            *w = (struct view){TR_PRIO_INTERIOR, 0, b->addr + 8, m->elem, m->named, n};
            return 1;
        }
    }
    return 0;
}

/* A block the C or C++ library allocated for itself after main started
   (stdin's buffer on the first read, locale data, opendir's DIR): allocated
   from code outside the program. Shown untyped, it would be a 4 KiB array
   of bytes nobody asked for. */
static int library_internal(const struct tr_valctx *c, const struct tr_block *b)
{
    dw_addr off;
    return b->site && c->ix && !dw_index_symbol_at(c->ix, b->site, &off);
}

/* What pointer p says about block b; prio NO_PRIO when nothing. */
static struct view view_of(struct tr_valctx *c, const struct tr_block *b,
                           const struct tr_val_ptr *p, size_t seq)
{
    struct view v = {NO_PRIO, seq, p->first, p->elem, p->named, p->count};
    tr_addr end = b->addr + b->size;
    uint64_t esize = p->elem->size;
    if (p->owner) {
        if (p->first >= b->addr && p->first < end)
            v.prio = TR_PRIO_OWNER;
        return v;
    }
    int prio = TR_PRIO_BASE;
    if (tr_val_is_polymorphic(p->elem)) {
        tr_addr top;
        const struct dw_type *d = dynamic_type(c, p->target, &top);
        if (d && top >= b->addr && top + d->size <= end) {
            v.elem = d;
            v.named = NULL;
            v.first = top;
            esize = d->size;
            prio = TR_PRIO_DYNAMIC;
        }
    }
    uint64_t cookie;
    if (v.first == b->addr) {
        v.prio = prio;
    } else if (v.first >= b->addr + 8 && (v.first - b->addr - 8) % esize == 0 &&
               cookie_count(c, b, esize, &cookie)) {
        /* new T[n] of a T with a destructor: n is stored first. `this` of
           the constructor of element k points to element k. */
        v.prio = v.first == b->addr + 8 ? prio : TR_PRIO_INTERIOR;
        v.first = b->addr + 8;
        v.count = cookie;
    } else if (prio == TR_PRIO_DYNAMIC) {
        v.prio = prio; /* an object inside a bigger block (make_shared) */
        v.count = 1;
    } else if ((v.first - b->addr) % esize == 0 && !library_internal(c, b)) {
        /* Not in a library's own block: a pointer into it says nothing of
           what the library keeps at its base (a dirent* into opendir's 32
           KiB DIR made it 119 dirents, 1.2 MB of JSON at every step). */
        v.prio = TR_PRIO_INTERIOR;
        v.first = b->addr;
    }
    return v;
}

static struct tr_value *byte_value(struct tr_valctx *c, tr_addr a)
{
    uint8_t byte;
    if (tr_val_mem(c, a, &byte, 1) != TR_OK)
        return tr_val_unallocated(c, a, 1, "unsigned char");
    struct tr_value *v = tr_val_char(c, a, 1, "unsigned char", byte, 0);
    tr_val_vbits_note(c, v, a, 1, 0, 0);
    tr_val_fill_note(c, v, a, 1, 0, 0);
    return v;
}

static struct tr_value *decode_block(struct tr_valctx *c, const struct tr_block *b,
                                     const struct view *w)
{
    struct tr_value *v = tr_val_node(c, TR_V_ARRAY, b->addr, b->size);
    if (!v)
        return NULL;
    v->is_heap_block = 1;
    tr_addr first = w ? w->first : b->addr;
    uint64_t esize = w ? w->elem->size : 1;
    uint64_t fit = (b->addr + b->size - first) / esize;
    uint64_t count = w && w->count ? w->count : fit;
    if (count > fit)
        count = fit;
    size_t n = count > TR_VAL_MAX_ELEMS ? TR_VAL_MAX_ELEMS : (size_t)count;
    if (tr_val_kids(c, v, n) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct tr_value *k =
            w ? tr_val_read_any(c, w->named ? w->named : w->elem, first + i * esize)
              : byte_value(c, first + i);
        if (!k)
            return NULL;
        v->kids[v->nkids++] = k;
    }
    return v;
}

/* Block b's value with view w (NULL: as bytes): the last snapshot's when
   the block did not change (val_reuse.c), else decoded. */
static struct tr_value *block_value(struct tr_valctx *c, const struct tr_block *b,
                                    const struct view *w)
{
    struct tr_val_key k = {b->seq, b->addr, b->size, w ? w->first : 0, w ? w->elem : NULL,
                           w ? w->named : NULL, w ? w->count : 0, c->fill};
    struct tr_value *v = tr_val_reuse_find(c, &k);
    if (v)
        return v;
    tr_val_reuse_watch(c, &k);
    v = decode_block(c, b, w);
    tr_val_reuse_keep(c, &k, v);
    return v;
}

#define NO_PTR SIZE_MAX

/* The best view of block b among the pointers into it: the list from
   `first` through nxt (any order: the best is the highest priority, then
   the pointer seen first). */
static struct view best_view(struct tr_valctx *c, const struct tr_block *b, size_t first,
                             const size_t *nxt)
{
    struct view best = {.prio = NO_PRIO};
    for (size_t i = first; i != NO_PTR; i = nxt[i]) {
        struct view v = view_of(c, b, &c->ptrs[i], i);
        if (v.prio > best.prio || (v.prio == best.prio && v.prio != NO_PRIO && v.seq < best.seq))
            best = v;
    }
    return best;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Each pointer of ptrs[from..to) joins the list of the block holding its
   target (head[k], then nxt). The blocks that got one (only their best
   view can have changed) are added to hits, once each (hit[k]); returns
   how many there are now. byaddr: (block address, block index) sorted by
   address. */
static size_t link_new(const struct tr_valctx *c, const struct tr_block *blocks,
                       const struct order *byaddr, size_t n, size_t from, size_t to,
                       size_t *head, size_t *nxt, uint8_t *hit, size_t *hits, size_t nhits)
{
    for (size_t i = from; i < to; i++) {
        tr_addr t = c->ptrs[i].target;
        size_t lo = 0, hi = n; /* first block starting after t */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (byaddr[mid].target <= t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0)
            continue;
        size_t k = byaddr[lo - 1].seq;
        if (t >= blocks[k].addr + blocks[k].size)
            continue;
        nxt[i] = head[k];
        head[k] = i;
        if (!hit[k]) {
            hit[k] = 1;
            hits[nhits++] = k;
        }
    }
    return nhits;
}

static int is_hidden(const struct tr_valctx *c, tr_addr a)
{
    /* bsearch/qsort take no NULL array, even with 0 elements */
    return c->nhidden && bsearch(&a, c->hidden, c->nhidden, sizeof *c->hidden, cmp_addr);
}

size_t tr_val_heap(struct tr_valctx *c, const struct tr_block *blocks, size_t n,
                   struct tr_heap_block *out)
{
    tr_val_reuse_begin(c);
    size_t m = n ? n : 1;
    int *prio = malloc(m * sizeof *prio);
    uint8_t *hit = calloc(m, 1);
    size_t *hits = malloc(m * sizeof *hits), *head = malloc(m * sizeof *head);
    struct order *byaddr = malloc(m * sizeof *byaddr);
    size_t *nxt = NULL;
    size_t linked = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (struct tr_heap_block){blocks[i].addr, blocks[i].size, NULL, blocks[i].seq};
    if (!prio || !hit || !hits || !head || !byaddr)
        goto bytes;
    for (size_t i = 0; i < n; i++) {
        prio[i] = NO_PRIO;
        head[i] = NO_PTR;
        byaddr[i] = (struct order){blocks[i].addr, i};
    }
    if (n)
        qsort(byaddr, n, sizeof *byaddr, cmp_order);
    /* Each pass may find pointers that type more blocks, or type one
       better; a block is decoded again only when its view's priority
       rises, so this ends. A list reveals one node per pass, so a pass
       looks only at the blocks the last pass's new pointers point into
       (the others' best view cannot have changed: a new pointer never
       wins a tie), in block order, and a pointer is filed under its block
       once: a pass costs what it adds. */
    for (int changed = 1, first = 1; changed; first = 0) {
        changed = 0;
        if (c->nptrs > cap) {
            size_t *x = realloc(nxt, c->nptrs * sizeof *x);
            if (!x)
                break;
            nxt = x;
            cap = c->nptrs;
        }
        size_t was = linked, nhits = 0;
        linked = c->nptrs;
        if (first)
            for (size_t i = 0; i < n; i++) {
                hits[nhits++] = i;
                hit[i] = 1;
            }
        nhits = link_new(c, blocks, byaddr, n, was, linked, head, nxt, hit, hits, nhits);
        if (!first && nhits > 1)
            qsort(hits, nhits, sizeof *hits, cmp_size);
        for (size_t h = 0; h < nhits; h++) {
            size_t i = hits[h];
            hit[i] = 0;
            struct view w = best_view(c, &blocks[i], head[i], nxt);
            if (w.prio <= prio[i])
                continue;
            struct tr_value *v = block_value(c, &blocks[i], &w);
            if (!v)
                continue;
            out[i].value = v;
            prio[i] = w.prio;
            changed = 1;
            newarr_note(c, &blocks[i], &w);
        }
    }
bytes:
    for (size_t i = 0; i < n; i++) {
        struct view w;
        if (out[i].value || library_internal(c, &blocks[i]))
            continue;
        int memo = newarr_view(c, &blocks[i], &w);
        out[i].value = block_value(c, &blocks[i], memo ? &w : NULL);
    }
    tr_val_reuse_end(c);
    free(prio);
    free(hit);
    free(byaddr);
    free(hits);
    free(head);
    free(nxt);
    if (c->nhidden)
        qsort(c->hidden, c->nhidden, sizeof *c->hidden, cmp_addr);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i].value && !is_hidden(c, out[i].addr))
            out[kept++] = out[i];
    if (kept)
        qsort(out, kept, sizeof *out, cmp_block);
    return kept;
}
