/*
 * model.c - the trace's arena and step list, and the one walk over values
 * that two snapshots share (uninitialised marks).
 *
 * The arena is a list of chunks; allocation is a pointer bump, freeing is
 * all at once. Its cap turns a runaway trace into TR_ERR_NOMEM instead of
 * exhausting the machine.
 */
#include "tracer/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (256u << 10)

struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct tr_arena {
    struct chunk *head;
    size_t cap, total;
};

struct tr_arena *tr_arena_new(size_t cap_bytes)
{
    struct tr_arena *a = calloc(1, sizeof *a);
    if (a)
        a->cap = cap_bytes;
    return a;
}

void tr_arena_free(struct tr_arena *a)
{
    if (!a)
        return;
    struct chunk *c = a->head;
    while (c) {
        struct chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

void *tr_arena_alloc(struct tr_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (a->cap && a->total + size > a->cap)
            return NULL;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        a->total += size;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *tr_arena_strndup(struct tr_arena *a, const char *s, size_t n)
{
    char *d = tr_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *tr_arena_strdup(struct tr_arena *a, const char *s)
{
    return s ? tr_arena_strndup(a, s, strlen(s)) : NULL;
}

char *tr_arena_printf(struct tr_arena *a, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof small)
        return tr_arena_strndup(a, small, (size_t)n);
    char *d = tr_arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

size_t tr_arena_used(const struct tr_arena *a)
{
    return a->total;
}

const char *tr_outcome_name(enum tr_outcome o)
{
    switch (o) {
    case TR_OUT_OK: return "ok";
    case TR_OUT_COMPILE_ERROR: return "compile_error";
    case TR_OUT_COMPILE_LIMIT: return "compile_limit";
    case TR_OUT_RUNTIME_ERROR: return "runtime_error";
    case TR_OUT_TIME_LIMIT: return "time_limit";
    case TR_OUT_MEMORY_LIMIT: return "memory_limit";
    case TR_OUT_OUTPUT_LIMIT: return "output_limit";
    case TR_OUT_PROCESS_LIMIT: return "process_limit";
    case TR_OUT_STEP_LIMIT: return "step_limit";
    case TR_OUT_TRACER_ERROR: return "tracer_error";
    case TR_OUT_INTERNAL_ERROR: return "internal_error";
    }
    return "internal_error";
}

struct tr_trace *tr_trace_new(size_t arena_cap)
{
    struct tr_trace *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->arena = tr_arena_new(arena_cap);
    if (!t->arena) {
        free(t);
        return NULL;
    }
    t->exit_code = -1;
    return t;
}

void tr_trace_free(struct tr_trace *t)
{
    if (!t)
        return;
    tr_arena_free(t->arena);
    free(t->steps);
    free(t->out);
    free(t->err);
    free(t);
}

struct tr_step *tr_trace_append(struct tr_trace *t)
{
    if (t->nsteps == t->cap_steps) {
        size_t cap = t->cap_steps ? t->cap_steps * 2 : 64;
        struct tr_step *s = realloc(t->steps, cap * sizeof *s);
        if (!s)
            return NULL;
        t->steps = s;
        t->cap_steps = cap;
    }
    struct tr_step *s = &t->steps[t->nsteps++];
    memset(s, 0, sizeof *s);
    return s;
}

/* ---- uninitialised marks ------------------------------------------------ */

void tr_value_mark_uninit(struct tr_value *d)
{
    switch (d->kind) {
    case TR_V_SCALAR:
    case TR_V_POINTER:
    case TR_V_REF:
        break;
    case TR_V_STRUCT:
    case TR_V_ARRAY:
    case TR_V_MDARRAY:
        return;
    }
    d->uninit = 1;
    d->stext = TR_ST_STRING;
    d->text = TR_UNINIT_TEXT;
}

static int same_name(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static void copy_uninit(struct tr_value *d, const struct tr_value *s, int depth)
{
    if (!d || !s || depth > 64)
        return;
    if (s->uninit) {
        if (s->kind == d->kind || (s->kind == TR_V_SCALAR && d->kind != TR_V_STRUCT &&
                                   d->kind != TR_V_ARRAY && d->kind != TR_V_MDARRAY))
            tr_value_mark_uninit(d);
        return;
    }
    if (d->kind != s->kind || d->nkids != s->nkids || !d->kids || !s->kids)
        return;
    for (uint32_t i = 0; i < d->nkids; i++) {
        if (d->kind == TR_V_STRUCT && !same_name(d->kids[i]->name, s->kids[i]->name))
            return;
        copy_uninit(d->kids[i], s->kids[i], depth + 1);
    }
}

void tr_value_copy_uninit(struct tr_value *d, const struct tr_value *s)
{
    copy_uninit(d, s, 0);
}

static int has_uninit(const struct tr_value *v, int depth)
{
    if (!v || depth > 256)
        return 0;
    if (v->uninit)
        return 1;
    for (uint32_t i = 0; i < v->nkids; i++)
        if (has_uninit(v->kids[i], depth + 1))
            return 1;
    return 0;
}

int tr_value_has_uninit(const struct tr_value *v)
{
    return has_uninit(v, 0);
}

static struct tr_value *clone(struct tr_arena *a, const struct tr_value *v, int depth)
{
    if (!v || depth > 256)
        return NULL;
    struct tr_value *d = tr_arena_alloc(a, sizeof *d);
    if (!d)
        return NULL;
    *d = *v;
    d->shared = 0;
    if (!v->nkids)
        return d;
    d->kids = tr_arena_alloc(a, v->nkids * sizeof *d->kids);
    if (!d->kids)
        return NULL;
    for (uint32_t i = 0; i < v->nkids; i++)
        if (!(d->kids[i] = clone(a, v->kids[i], depth + 1)))
            return NULL;
    return d;
}

struct tr_value *tr_value_clone(struct tr_arena *a, const struct tr_value *v)
{
    return clone(a, v, 0);
}
