/*
 * val_reuse.c - a heap block that did not change keeps its value.
 *
 * Most steps change one variable; the heap of a 200-node list is the same
 * 200 blocks at every step. Decoding them all again at every step cost most
 * of the tracer's time, grew the trace's arena by the whole heap per step,
 * and made the encoder compare two equal trees to find them equal. So each
 * decoding of a block is remembered with what it depended on and what it
 * did, and the next snapshot's decoding of the same block (same address,
 * size and allocation number) with the same view (element type, first
 * element, count) and fill marks gets the same value (the same pointer)
 * when the bytes it read are the same, with its side effects done again in
 * the same place: the pointers it found (they type other blocks, in the
 * order they were found) and the blocks it hid (a string's buffer).
 *
 * What decides that a value depends only on those bytes: while a block is
 * decoded every read (tr_val_mem) is watched, and a decoding that read
 * anything outside its block (a long std::string's text, a map's nodes, a
 * vtable for virtual bases, a VLA bound) or found a string literal (whether
 * that adds a literal depends on the others found) is not kept. A target
 * with V-bits is left out: memcheck's marks are written into the values
 * after decoding and depend on more than the bytes. The run layer's merge
 * writes uninitialised marks into a copy of a value marked `shared`.
 *
 * SPP_VAL_REUSE=0 turns this off (tests compare the two).
 */
#include "tracer/val_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SPAN (256u * 1024u) /* bytes of one decoding kept for the comparison */
#define NONE SIZE_MAX

struct entry {
    struct tr_val_key k;
    tr_addr lo;   /* the bytes the decoding read: [lo, lo + len) */
    size_t len;
    size_t bytes; /* their copy, in the generation's bytes */
    struct tr_value *v;
    size_t ptr0, nptr, hid0, nhid; /* in the generation's ptrs and hid */
    size_t next;                   /* hash chain */
};

/* The decodings of one tr_val_heap. */
struct gen {
    struct entry *e;
    size_t n, cap;
    uint8_t *bytes;
    size_t nbytes, capbytes;
    struct tr_val_ptr *ptrs;
    size_t nptrs, capptrs;
    tr_addr *hid;
    size_t nhid, caphid;
    size_t *heads; /* by seq; nheads a power of two, 0 = no index */
    size_t nheads;
};

struct tr_val_reuse {
    struct gen g[2];
    int cur;      /* g[cur] is being written, the other one is read */
    int active;   /* between begin and end */
    uint8_t *scratch;
    size_t capscratch;
};

struct tr_val_reuse *tr_val_reuse_new(struct tr_target *t)
{
    const char *e = getenv("SPP_VAL_REUSE");
    if ((e && strcmp(e, "0") == 0) || tr_target_has(t, TR_CAP_VBITS))
        return NULL;
    return calloc(1, sizeof(struct tr_val_reuse));
}

static void gen_free(struct gen *g)
{
    free(g->e);
    free(g->bytes);
    free(g->ptrs);
    free(g->hid);
    free(g->heads);
}

void tr_val_reuse_free(struct tr_val_reuse *r)
{
    if (!r)
        return;
    gen_free(&r->g[0]);
    gen_free(&r->g[1]);
    free(r->scratch);
    free(r);
}

/* Room for n more items of size sz in *arr (used, capacity *cap). */
static int grow(void *arr, size_t *cap, size_t used, size_t n, size_t sz)
{
    if (used + n <= *cap)
        return 0;
    size_t want = *cap ? *cap : 64;
    while (want < used + n)
        want *= 2;
    void *p = realloc(*(void **)arr, want * sz);
    if (!p)
        return -1;
    *(void **)arr = p;
    *cap = want;
    return 0;
}

void tr_val_reuse_begin(struct tr_valctx *c)
{
    struct tr_val_reuse *r = c->reuse;
    if (!r)
        return;
    struct gen *g = &r->g[r->cur];
    g->n = g->nbytes = g->nptrs = g->nhid = 0;
    r->active = 1;
}

static size_t slot(uint64_t seq, size_t nheads)
{
    return (size_t)(seq * 0x9E3779B97F4A7C15ull >> 17) & (nheads - 1);
}

/* Index g by seq; without an index (out of memory) nothing is found. */
static void index_gen(struct gen *g)
{
    size_t want = 16;
    while (want < 2 * g->n)
        want *= 2;
    if (want != g->nheads) {
        size_t *h = realloc(g->heads, want * sizeof *h);
        if (!h) {
            g->nheads = 0;
            return;
        }
        g->heads = h;
        g->nheads = want;
    }
    for (size_t i = 0; i < g->nheads; i++)
        g->heads[i] = NONE;
    for (size_t i = 0; i < g->n; i++) {
        size_t s = slot(g->e[i].k.seq, g->nheads);
        g->e[i].next = g->heads[s];
        g->heads[s] = i;
    }
}

void tr_val_reuse_end(struct tr_valctx *c)
{
    struct tr_val_reuse *r = c->reuse;
    if (!r)
        return;
    index_gen(&r->g[r->cur]);
    r->cur ^= 1;
    r->active = 0;
}

static int same_key(const struct tr_val_key *a, const struct tr_val_key *b)
{
    return a->seq == b->seq && a->addr == b->addr && a->size == b->size && a->first == b->first &&
           a->elem == b->elem && a->named == b->named && a->count == b->count &&
           a->fill == b->fill;
}

/* Record a decoding into the current generation: bytes from src, pointers
   and hidden blocks from the arrays given. */
static void record(struct tr_val_reuse *r, const struct tr_val_key *k, struct tr_value *v,
                   tr_addr lo, const uint8_t *src, size_t len, const struct tr_val_ptr *ptrs,
                   size_t nptr, const tr_addr *hid, size_t nhid)
{
    struct gen *g = &r->g[r->cur];
    if (grow(&g->e, &g->cap, g->n, 1, sizeof *g->e) != 0 ||
        grow(&g->bytes, &g->capbytes, g->nbytes, len, 1) != 0 ||
        grow(&g->ptrs, &g->capptrs, g->nptrs, nptr, sizeof *g->ptrs) != 0 ||
        grow(&g->hid, &g->caphid, g->nhid, nhid, sizeof *g->hid) != 0)
        return; /* not kept: decoded again next time */
    struct entry *e = &g->e[g->n++];
    *e = (struct entry){*k, lo, len, g->nbytes, v, g->nptrs, nptr, g->nhid, nhid, NONE};
    if (len)
        memcpy(g->bytes + g->nbytes, src, len);
    g->nbytes += len;
    if (nptr)
        memcpy(g->ptrs + g->nptrs, ptrs, nptr * sizeof *ptrs);
    g->nptrs += nptr;
    if (nhid)
        memcpy(g->hid + g->nhid, hid, nhid * sizeof *hid);
    g->nhid += nhid;
}

/* Where a decoding may start: the state a heap block is decoded in. */
static int usable(const struct tr_valctx *c)
{
    return c->reuse && c->reuse->active && !c->track.on && c->depth == 0 && !c->frame_cfa &&
           !c->ovr;
}

struct tr_value *tr_val_reuse_find(struct tr_valctx *c, const struct tr_val_key *k)
{
    if (!usable(c))
        return NULL;
    struct tr_val_reuse *r = c->reuse;
    const struct gen *p = &r->g[r->cur ^ 1];
    if (!p->nheads)
        return NULL;
    const struct entry *e = NULL;
    for (size_t i = p->heads[slot(k->seq, p->nheads)]; i != NONE; i = p->e[i].next)
        if (same_key(&p->e[i].k, k)) {
            e = &p->e[i];
            break;
        }
    if (!e)
        return NULL;
    if (e->len) {
        if (grow(&r->scratch, &r->capscratch, 0, e->len, 1) != 0 ||
            tr_val_mem(c, e->lo, r->scratch, e->len) != TR_OK ||
            memcmp(r->scratch, p->bytes + e->bytes, e->len) != 0)
            return NULL;
    }
    /* what decoding would add, in the order it would */
    for (size_t i = 0; i < e->nptr; i++)
        tr_val_push_ptr(c, p->ptrs[e->ptr0 + i]);
    for (size_t i = 0; i < e->nhid; i++)
        tr_val_hide(c, p->hid[e->hid0 + i]);
    e->v->shared = 1;
    /* (never an offset from a NULL array: UBSan) */
    record(r, k, e->v, e->lo, e->len ? p->bytes + e->bytes : NULL, e->len,
           e->nptr ? p->ptrs + e->ptr0 : NULL, e->nptr, e->nhid ? p->hid + e->hid0 : NULL,
           e->nhid);
    return e->v;
}

void tr_val_reuse_watch(struct tr_valctx *c, const struct tr_val_key *k)
{
    if (!usable(c))
        return;
    c->track = (struct tr_val_track){.on = 1,
                                     .lo = k->addr,
                                     .hi = k->addr + k->size,
                                     .min = k->addr + k->size,
                                     .max = k->addr,
                                     .ptrs0 = c->nptrs,
                                     .hidden0 = c->nhidden};
}

void tr_val_reuse_keep(struct tr_valctx *c, const struct tr_val_key *k, struct tr_value *v)
{
    struct tr_val_track t = c->track;
    if (!t.on)
        return;
    c->track.on = 0;
    /* at the caps a decoding's pointers or hidden blocks may have been
       dropped: what it would add next time is not known */
    if (!v || t.out || c->nptrs >= TR_VAL_MAX_PTRS || c->nhidden >= TR_VAL_MAX_HIDDEN ||
        c->nptrs < t.ptrs0 || c->nhidden < t.hidden0)
        return;
    size_t len = t.max > t.min ? (size_t)(t.max - t.min) : 0;
    tr_addr lo = len ? t.min : k->addr;
    if (len > MAX_SPAN)
        return;
    struct tr_val_reuse *r = c->reuse;
    if (len && (grow(&r->scratch, &r->capscratch, 0, len, 1) != 0 ||
                tr_val_mem(c, lo, r->scratch, len) != TR_OK))
        return;
    size_t nptr = c->nptrs - t.ptrs0, nhid = c->nhidden - t.hidden0;
    record(r, k, v, lo, r->scratch, len, nptr ? c->ptrs + t.ptrs0 : NULL, nptr,
           nhid ? c->hidden + t.hidden0 : NULL, nhid);
}
