/*
 * delta.c - the change set of a step (see delta.h).
 *
 * Values are compared as the student sees them: a scalar or pointer by its
 * text, structs member by member, arrays element by element. A value whose
 * shape changed (type, length) is one change. Frames correspond by frameId
 * and function, variables by name and address (a new variable of the same
 * name, e.g. a loop body's local on its next pass, appeared), heap blocks
 * by address and allocation number (freed and reallocated at one address is
 * a free and a new block).
 */
#include "tracer/delta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(struct tr_delta *d, const struct tr_change *c, const char *path)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct tr_change *q = realloc(d->ch, cap * sizeof *q);
        if (!q)
            return -1;
        d->ch = q;
        d->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return -1;
    d->ch[d->n] = *c;
    d->ch[d->n].path = p;
    d->n++;
    return 0;
}

static int addr_push(tr_addr **arr, size_t *n, tr_addr a)
{
    tr_addr *q = realloc(*arr, (*n + 1) * sizeof *q);
    if (!q)
        return -1;
    q[(*n)++] = a;
    *arr = q;
    return 0;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Same shape: a member-by-member comparison is meaningful. */
static int same_shape(const struct tr_value *a, const struct tr_value *b)
{
    if (a->kind != b->kind || a->nkids != b->nkids || !same_str(a->type, b->type))
        return 0;
    if (a->kind == TR_V_MDARRAY) {
        if (a->ndims != b->ndims)
            return 0;
        for (uint32_t i = 0; i < a->ndims; i++)
            if (a->dims[i] != b->dims[i])
                return 0;
    }
    return 1;
}

/* "[i]" for an array element, "[r][c]" for a multidimensional one. */
static void index_path(const struct tr_value *v, uint32_t k, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    if (v->kind != TR_V_MDARRAY || v->ndims == 0) {
        snprintf(out, len, "[%u]", k);
        return;
    }
    uint32_t idx[8], nd = v->ndims < 8 ? v->ndims : 8;
    for (uint32_t i = nd; i-- > 0;) {
        uint32_t dim = v->dims[i] ? v->dims[i] : 1;
        idx[i] = k % dim;
        k /= dim;
    }
    for (uint32_t i = 0; i < nd && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "[%u]", idx[i]);
}

/* Would diff find no change between a and b? The common case (most of a
   big heap is as it was), answered without naming any path. */
static int unchanged(const struct tr_value *a, const struct tr_value *b)
{
    if (a == b)
        return 1;
    if (!same_shape(a, b))
        return 0;
    switch (a->kind) {
    case TR_V_SCALAR:
    case TR_V_POINTER:
    case TR_V_REF:
        return a->uninit == b->uninit && same_str(a->text, b->text);
    default:
        break;
    }
    for (uint32_t i = 0; i < a->nkids; i++)
        if (!unchanged(a->kids[i], b->kids[i]))
            return 0;
    return 1;
}

static int diff(struct tr_delta *d, const struct tr_change *tmpl, const struct tr_value *a,
                const struct tr_value *b, char *path, size_t plen, size_t cap)
{
    struct tr_change c = *tmpl;
    c.old = a;
    c.now = b;
    if (!a || !same_shape(a, b))
        return push(d, &c, path);
    switch (a->kind) {
    case TR_V_SCALAR:
    case TR_V_POINTER:
    case TR_V_REF:
        if (a->uninit != b->uninit || !same_str(a->text, b->text))
            return push(d, &c, path);
        return 0;
    default:
        break;
    }
    for (uint32_t i = 0; i < a->nkids; i++) {
        char part[96];
        if (a->kind == TR_V_STRUCT)
            snprintf(part, sizeof part, "%s%s", plen ? "." : "",
                     b->kids[i]->name ? b->kids[i]->name : "?");
        else
            index_path(a, i, part, sizeof part);
        size_t n = strlen(part);
        if (plen + n >= cap)
            return push(d, &c, path); /* too deep to name: the whole value */
        memcpy(path + plen, part, n + 1);
        int rc = diff(d, tmpl, a->kids[i], b->kids[i], path, plen + n, cap);
        path[plen] = '\0';
        if (rc)
            return rc;
    }
    return 0;
}

/* One variable or block: its changed leaves, or itself when there are many. */
static int diff_root(struct tr_delta *d, const struct tr_change *tmpl, const struct tr_value *a,
                     const struct tr_value *b, const char *name)
{
    if (a && unchanged(a, b))
        return 0;
    char path[512];
    snprintf(path, sizeof path, "%s", name);
    size_t start = d->n;
    if (diff(d, tmpl, a, b, path, strlen(path), sizeof path))
        return -1;
    if (d->n - start <= TR_DELTA_COLLAPSE)
        return 0;
    for (size_t i = start; i < d->n; i++)
        free(d->ch[i].path);
    d->n = start;
    struct tr_change c = *tmpl;
    c.old = a;
    c.now = b;
    return push(d, &c, name);
}

static const struct tr_var *find_var(const struct tr_var *vars, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (vars[i].value && strcmp(vars[i].name, name) == 0)
            return &vars[i];
    return NULL;
}

static int diff_vars(struct tr_delta *d, const struct tr_change *tmpl, const struct tr_var *pv,
                     uint32_t pn, const struct tr_var *cv, uint32_t cn)
{
    for (uint32_t i = 0; i < cn; i++) {
        if (!cv[i].value || find_var(cv, i, cv[i].name))
            continue; /* shown once, like the JSON object that holds it */
        const struct tr_var *o = find_var(pv, pn, cv[i].name);
        const struct tr_value *old = o && o->value->addr == cv[i].value->addr ? o->value : NULL;
        if (diff_root(d, tmpl, old, cv[i].value, cv[i].name))
            return -1;
    }
    return 0;
}

/* b's block in s (heaps are sorted by address: model.h), or NULL. */
static const struct tr_heap_block *find_block(const struct tr_step *s,
                                              const struct tr_heap_block *b)
{
    size_t lo = 0, hi = s ? s->nheap : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->heap[mid].addr < b->addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == (s ? s->nheap : 0) || s->heap[lo].addr != b->addr)
        return NULL;
    const struct tr_heap_block *h = &s->heap[lo];
    return h->seq == b->seq || !h->seq || !b->seq ? h : NULL;
}

int tr_delta_compute(const struct tr_step *prev, const struct tr_step *cur, struct tr_delta *d)
{
    memset(d, 0, sizeof *d);
    d->nframes = cur->nframes;
    d->frame_new = calloc(cur->nframes + 1, 1);
    if (!d->frame_new)
        goto fail;
    for (uint32_t i = 0; i < cur->nframes; i++) {
        const struct tr_frame *f = &cur->frames[i], *pf = NULL;
        for (uint32_t k = 0; prev && k < prev->nframes && !pf; k++)
            if (prev->frames[k].frame_id == f->frame_id &&
                same_str(prev->frames[k].func_name, f->func_name))
                pf = &prev->frames[k];
        d->frame_new[i] = !pf;
        struct tr_change t = {.scope = TR_CHG_LOCAL, .frame = i};
        if (diff_vars(d, &t, pf ? pf->vars : NULL, pf ? pf->nvars : 0, f->vars, f->nvars))
            goto fail;
    }
    struct tr_change g = {.scope = TR_CHG_GLOBAL};
    if (diff_vars(d, &g, prev ? prev->globals : NULL, prev ? prev->nglobals : 0, cur->globals,
                  cur->nglobals))
        goto fail;
    for (uint32_t i = 0; i < cur->nheap; i++) {
        const struct tr_heap_block *b = &cur->heap[i], *pb = find_block(prev, b);
        if (!pb) {
            if (addr_push(&d->born, &d->nborn, b->addr))
                goto fail;
            continue;
        }
        struct tr_change h = {.scope = TR_CHG_HEAP, .block = b->addr};
        if (pb->value && b->value && diff_root(d, &h, pb->value, b->value, ""))
            goto fail;
    }
    for (uint32_t i = 0; prev && i < prev->nheap; i++)
        if (!find_block(cur, &prev->heap[i]) &&
            addr_push(&d->freed, &d->nfreed, prev->heap[i].addr))
            goto fail;
    return 0;
fail:
    tr_delta_free(d);
    return -1;
}

void tr_delta_free(struct tr_delta *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->ch[i].path);
    free(d->ch);
    free(d->born);
    free(d->freed);
    free(d->frame_new);
    memset(d, 0, sizeof *d);
}
