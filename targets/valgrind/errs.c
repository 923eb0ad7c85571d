/*
 * errs.c - the memcheck error model: a store of struct tr_tool_error
 * records built field by field by the decoders (xml_errors.c, monitor.c).
 *
 * Key idea: one arena per store for strings and frame arrays, so a record's
 * pointers never move; only the record vector is reallocated. Address and
 * access size are not tagged in memcheck's output: they are taken from the
 * texts ("Invalid write of size 4", "Address 0x4a42054 is 0 bytes after").
 */
#include "targets/valgrind/errs_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64u << 10)

/* The auxwhat before a use-after-free's allocation stack. */
static const char ALLOC_AT[] = "Block was alloc'd at";

struct vg_chunk {
    struct vg_chunk *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

void vg_errs_init(struct vg_errs *e, char *errbuf)
{
    memset(e, 0, sizeof *e);
    e->errbuf = errbuf;
}

void vg_errs_free(struct vg_errs *e)
{
    struct vg_chunk *c = e->chunks;
    while (c) {
        struct vg_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(e->v);
    free(e->fr);
    char *errbuf = e->errbuf;
    vg_errs_init(e, errbuf);
}

static void *arena_alloc(struct vg_errs *e, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > VGM_ERRS_BYTES || e->bytes + n > VGM_ERRS_BYTES) {
        snprintf(e->errbuf, TR_ERRBUF_LEN, "memcheck errors exceed %u MiB",
                 VGM_ERRS_BYTES >> 20);
        return NULL;
    }
    struct vg_chunk *c = e->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        c = malloc(sizeof *c + cap);
        if (!c) {
            snprintf(e->errbuf, TR_ERRBUF_LEN, "out of memory");
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        c->next = e->chunks;
        e->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    e->bytes += n;
    return p;
}

/* Doubles the vector *v of *cap elements (16 at first); -1 when out of
   memory. Callers cap the count before asking. */
static int grow(struct vg_errs *e, void **v, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, n * elem);
    if (!p) {
        snprintf(e->errbuf, TR_ERRBUF_LEN, "out of memory");
        return -1;
    }
    *v = p;
    *cap = n;
    return 0;
}

enum tr_err vg_errs_strdup(struct vg_errs *e, const char *s, size_t n, const char **out)
{
    char *p = arena_alloc(e, n + 1);
    if (!p)
        return TR_ERR_LIMIT;
    memcpy(p, s, n);
    p[n] = '\0';
    *out = p;
    return TR_OK;
}

enum tr_err vg_errs_begin(struct vg_errs *e)
{
    if (e->n >= VGM_ERRS_RECORDS) {
        snprintf(e->errbuf, TR_ERRBUF_LEN, "more than %u memcheck records", VGM_ERRS_RECORDS);
        return TR_ERR_LIMIT;
    }
    memset(&e->cur, 0, sizeof e->cur);
    e->nfr = 0;
    e->nstacks = 0;
    e->alloc_next = 0;
    e->building = 1;
    return TR_OK;
}

/* The first "0x..." after "Address " in s, or 0. */
static tr_addr address_in(const char *s)
{
    const char *p = strstr(s, "Address 0x");
    if (!p)
        return 0;
    return (tr_addr)strtoull(p + 8, NULL, 16);
}

/* N in "... of size N" (memcheck's access size), or 0. */
static uint64_t size_in(const char *s)
{
    const char *p = strstr(s, " of size ");
    if (!p || p[9] < '0' || p[9] > '9')
        return 0;
    return strtoull(p + 9, NULL, 10);
}

enum tr_err vg_errs_text(struct vg_errs *e, enum vg_field f, const char *s, size_t n)
{
    const char *copy;
    if (!e->building)
        return TR_OK;
    switch (f) {
    case VGM_F_KIND:
        if (e->cur.kind)
            return TR_OK;
        break;
    case VGM_F_WHAT:
        if (e->cur.what)
            return TR_OK; /* an optional second line adds nothing we keep */
        break;
    case VGM_F_AUXWHAT:
        if (n >= sizeof ALLOC_AT - 1 && memcmp(s, ALLOC_AT, sizeof ALLOC_AT - 1) == 0)
            e->alloc_next = 1;
        break;
    }
    enum tr_err rc = vg_errs_strdup(e, s, n, &copy);
    if (rc)
        return rc;
    switch (f) {
    case VGM_F_KIND:
        e->cur.kind = copy;
        break;
    case VGM_F_WHAT:
        e->cur.what = copy;
        break;
    case VGM_F_AUXWHAT:
        if (!e->cur.auxwhat)
            e->cur.auxwhat = copy;
        if (!e->cur.addr)
            e->cur.addr = address_in(copy);
        break;
    }
    return TR_OK;
}

void vg_errs_leak(struct vg_errs *e, uint64_t bytes, uint64_t blocks)
{
    e->cur.size = bytes;
    e->cur.blocks = blocks;
}

enum tr_err vg_errs_frame(struct vg_errs *e, const struct tr_tool_frame *f)
{
    if (!e->building)
        return TR_OK;
    if (e->nfr == e->capfr) {
        if (e->capfr >= VGM_STACK_FRAMES) {
            snprintf(e->errbuf, TR_ERRBUF_LEN, "a memcheck stack has more than %u frames",
                     VGM_STACK_FRAMES);
            return TR_ERR_LIMIT;
        }
        if (grow(e, (void **)&e->fr, &e->capfr, sizeof *e->fr))
            return TR_ERR_NOMEM;
    }
    e->fr[e->nfr++] = *f;
    return TR_OK;
}

enum tr_err vg_errs_stack_end(struct vg_errs *e)
{
    if (!e->building)
        return TR_OK;
    const struct tr_tool_frame **slot;
    size_t *nslot;
    if (e->nstacks == 0) {
        slot = &e->cur.stack;
        nslot = &e->cur.nstack;
    } else if (e->alloc_next && !e->cur.alloc_stack) {
        slot = &e->cur.alloc_stack;
        nslot = &e->cur.nalloc_stack;
    } else if (!e->cur.aux_stack) {
        slot = &e->cur.aux_stack;
        nslot = &e->cur.naux_stack;
    } else {
        slot = NULL; /* a further stack: memcheck has none we use */
        nslot = NULL;
    }
    e->nstacks++;
    e->alloc_next = 0;
    if (slot && e->nfr) {
        struct tr_tool_frame *fr = arena_alloc(e, e->nfr * sizeof *fr);
        if (!fr)
            return TR_ERR_LIMIT;
        memcpy(fr, e->fr, e->nfr * sizeof *fr);
        *slot = fr;
        *nslot = e->nfr;
    }
    e->nfr = 0;
    return TR_OK;
}

enum tr_err vg_errs_end(struct vg_errs *e)
{
    if (!e->building)
        return TR_OK;
    e->building = 0;
    if (!e->cur.kind) {
        snprintf(e->errbuf, TR_ERRBUF_LEN, "memcheck record without a kind");
        return TR_ERR_PROTOCOL;
    }
    if (!e->cur.size && e->cur.what && strncmp(e->cur.kind, "Leak_", 5) != 0)
        e->cur.size = size_in(e->cur.what);
    if (e->n == e->cap && grow(e, (void **)&e->v, &e->cap, sizeof *e->v))
        return TR_ERR_NOMEM;
    e->v[e->n++] = e->cur;
    return TR_OK;
}

void vg_errs_abort(struct vg_errs *e)
{
    e->building = 0;
    e->nfr = 0;
}
