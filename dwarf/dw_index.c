/*
 * dw_index.c - opening and closing the index, its arena, the line tables and
 * every lookup the tracer makes while a program runs.
 *
 * The reader (dw_libdwarf.c) fills functions and globals and hands over the
 * raw line-table rows; this file turns the rows into two sorted tables: spans
 * (every row of the CU, for "which user line is this pc on") and lines (the
 * user's statement starts inside user functions, where the tracer puts
 * breakpoints). Lookups are binary searches over those tables and never
 * allocate.
 */
#include "dwarf/dw_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf/dw_int.h"

#define CHUNK_MIN ((size_t)64 << 10)
#define ALIGN 16u
#define MAX_SCOPE_DEPTH 64 /* nesting that dw_func_vars_at follows */

/* ---- arena ------------------------------------------------------------- */

struct dw_arena_chunk {
    struct dw_arena_chunk *next;
    size_t used, size;
    /* data follows, ALIGN-aligned */
};

#define CHUNK_HDR ((sizeof(struct dw_arena_chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

void dw_arena_init(struct dw_arena *a, size_t cap)
{
    a->head = NULL;
    a->total = 0;
    a->cap = cap;
}

void *dw_arena_alloc(struct dw_arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > a->cap)
        return NULL;
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct dw_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (want > a->cap - a->total)
            want = size; /* a last, exact-size chunk before the cap */
        if (want > a->cap - a->total)
            return NULL;
        c = malloc(CHUNK_HDR + want);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = want;
        c->next = a->head;
        a->head = c;
        a->total += want;
    }
    void *p = (char *)c + CHUNK_HDR + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void *dw_arena_array(struct dw_arena *a, size_t n, size_t elsz)
{
    if (elsz != 0 && n > SIZE_MAX / elsz)
        return NULL;
    return dw_arena_alloc(a, n * elsz);
}

char *dw_arena_strdup(struct dw_arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = dw_arena_alloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void dw_arena_free(struct dw_arena *a)
{
    struct dw_arena_chunk *c = a->head;
    while (c) {
        struct dw_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

/* ---- vectors ----------------------------------------------------------- */

void dw_vec_init(struct dw_vec *v, size_t elsz)
{
    v->p = NULL;
    v->n = v->cap = 0;
    v->elsz = elsz;
}

void *dw_vec_push(struct dw_vec *v)
{
    if (v->n == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 16;
        if (ncap > DWX_VEC_MAX)
            ncap = DWX_VEC_MAX;
        if (ncap <= v->n || ncap > SIZE_MAX / v->elsz)
            return NULL;
        void *np = realloc(v->p, ncap * v->elsz);
        if (!np)
            return NULL;
        v->p = np;
        v->cap = ncap;
    }
    void *slot = (char *)v->p + v->n * v->elsz;
    memset(slot, 0, v->elsz);
    v->n++;
    return slot;
}

int dw_vec_to_arena(const struct dw_vec *v, struct dw_arena *a, void **out)
{
    *out = NULL;
    if (v->n == 0)
        return 0;
    void *p = dw_arena_array(a, v->n, v->elsz);
    if (!p)
        return -1;
    memcpy(p, v->p, v->n * v->elsz);
    *out = p;
    return 0;
}

void dw_vec_free(struct dw_vec *v)
{
    free(v->p);
    v->p = NULL;
    v->n = v->cap = 0;
}

void dw_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    if (n < 0)
        errbuf[0] = '\0';
}

/* ---- line tables ------------------------------------------------------- */

/* A sequence of the line table: rows[first..last], addresses non-decreasing,
   covering [lo, hi). gcc emits one per function section, so a C++ program
   has hundreds; they never overlap, so ordering sequences orders all rows
   without sorting rows. */
struct seq {
    size_t first, last;
    dw_addr lo, hi;
};

static int cmp_seq(const void *a, const void *b)
{
    const struct seq *x = a, *y = b;
    return x->lo < y->lo ? -1 : (x->lo > y->lo);
}

static int cmp_span(const void *a, const void *b)
{
    const struct dw_span *x = a, *y = b;
    return x->lo < y->lo ? -1 : (x->lo > y->lo);
}

static int cmp_func(const void *a, const void *b)
{
    const struct dw_func *x = a, *y = b;
    return x->low_pc < y->low_pc ? -1 : (x->low_pc > y->low_pc);
}

/* Splits rows into sequences sorted by address; *out is malloc'd. */
static enum dw_err split_seqs(const struct dw_row *rows, size_t nrows, struct seq **out,
                              size_t *nout)
{
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].end_seq || i + 1 == nrows)
            n++;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return DWX_OK;
    struct seq *sq = malloc(n * sizeof *sq);
    if (!sq)
        return DWX_ERR_NOMEM;
    size_t k = 0, first = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (!rows[i].end_seq && i + 1 != nrows)
            continue;
        sq[k].first = first;
        sq[k].last = i;
        sq[k].lo = rows[first].addr;
        sq[k].hi = rows[i].addr > rows[first].addr ? rows[i].addr : rows[first].addr;
        k++;
        first = i + 1;
    }
    qsort(sq, k, sizeof *sq, cmp_seq);
    *out = sq;
    *nout = k;
    return DWX_OK;
}

/* Spans: within a sequence, row i covers [addr_i, addr_next) where next is
   the following row at a higher address; rows at one address collapse to
   the last of them. */
static enum dw_err build_spans(struct dw_index *ix, const struct dw_row *rows,
                               const struct seq *sq, size_t nseq)
{
    size_t n = 0;
    for (size_t s = 0; s < nseq; s++)
        for (size_t i = sq[s].first; i < sq[s].last; i++)
            if (rows[i + 1].addr > rows[i].addr)
                n++;
    if (n == 0)
        return DWX_OK;
    struct dw_span *sp = dw_arena_array(&ix->arena, n, sizeof *sp);
    if (!sp)
        return DWX_ERR_NOMEM;
    size_t k = 0;
    int sorted = 1;
    for (size_t s = 0; s < nseq; s++) {
        for (size_t i = sq[s].first; i < sq[s].last; i++) {
            if (rows[i + 1].addr <= rows[i].addr)
                continue;
            sp[k].lo = rows[i].addr;
            sp[k].hi = rows[i + 1].addr;
            sp[k].line = rows[i].user ? rows[i].line : 0;
            if (k && sp[k].lo < sp[k - 1].lo)
                sorted = 0;
            k++;
        }
    }
    if (!sorted) /* only a malformed table gets here */
        qsort(sp, k, sizeof *sp, cmp_span);
    ix->spans = sp;
    ix->nspans = k;
    return DWX_OK;
}

/* The sequence containing pc, or NULL. */
static const struct seq *seq_at(const struct seq *sq, size_t n, dw_addr pc)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sq[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || pc >= sq[lo - 1].hi)
        return NULL;
    return &sq[lo - 1];
}

/* Walks f's statement rows, address by address (the last row at an address
   wins): sets body_pc (second address) and open_line (row at low_pc), and
   appends the user-file rows to lines. */
static enum dw_err scan_func(struct dw_func *f, const struct dw_row *rows, const struct seq *q,
                             struct dw_vec *lines)
{
    f->body_pc = f->low_pc;
    f->open_line = 0;
    if (!q)
        return DWX_OK;
    size_t i = q->first;
    while (i < q->last && rows[i].addr < f->low_pc)
        i++;
    int groups = 0;
    for (; i < q->last && rows[i].addr < f->high_pc; i++) {
        if (!rows[i].is_stmt)
            continue;
        size_t j = i + 1; /* the last statement row at this address */
        for (size_t k = i + 1; k < q->last && rows[k].addr == rows[i].addr; k++)
            if (rows[k].is_stmt)
                j = k + 1;
        const struct dw_row *r = &rows[j - 1];
        while (i + 1 < q->last && rows[i + 1].addr == rows[i].addr)
            i++;
        if (groups == 0 && r->addr == f->low_pc)
            f->open_line = r->line;
        else if (groups == 1)
            f->body_pc = r->addr;
        groups++;
        if (!r->user)
            continue;
        /* keep the list strictly increasing even if hostile input makes
           functions overlap */
        if (lines->n && ((struct dw_line *)lines->p)[lines->n - 1].addr >= r->addr)
            continue;
        struct dw_line *l = dw_vec_push(lines);
        if (!l)
            return DWX_ERR_NOMEM;
        l->addr = r->addr;
        l->line = r->line;
    }
    return DWX_OK;
}

enum dw_err dw_index_build_lines(struct dw_index *ix, const struct dw_row *rows, size_t nrows)
{
    struct seq *sq = NULL;
    size_t nseq = 0;
    struct dw_vec lines;
    dw_vec_init(&lines, sizeof(struct dw_line));
    if (ix->nfuncs > 1)
        qsort(ix->funcs, ix->nfuncs, sizeof *ix->funcs, cmp_func);
    enum dw_err err = split_seqs(rows, nrows, &sq, &nseq);
    if (err == DWX_OK)
        err = build_spans(ix, rows, sq, nseq);
    for (size_t fi = 0; fi < ix->nfuncs && err == DWX_OK; fi++) {
        struct dw_func *f = &ix->funcs[fi];
        err = scan_func(f, rows, seq_at(sq, nseq, f->low_pc), &lines);
    }
    if (err == DWX_OK) {
        void *p;
        if (dw_vec_to_arena(&lines, &ix->arena, &p) != 0)
            err = DWX_ERR_NOMEM;
        ix->lines = p;
        ix->nlines = err == DWX_OK ? lines.n : 0;
    }
    dw_vec_free(&lines);
    free(sq);
    return err;
}

/* ---- open / close ------------------------------------------------------ */

enum dw_err dw_index_open(const char *exe, const char *src_name, struct dw_index **out,
                          char *errbuf, size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!exe || !src_name || !out) {
        dw_errf(errbuf, errlen, "dw_index_open: missing argument");
        return DWX_ERR_OPEN;
    }
    struct dw_row *rows = NULL;
    size_t nrows = 0;
    enum dw_err err;
    int fd = open(exe, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        dw_errf(errbuf, errlen, "%s: %s", exe, strerror(errno));
        return DWX_ERR_OPEN;
    }
    struct dw_index *ix = calloc(1, sizeof *ix);
    if (!ix) {
        err = DWX_ERR_NOMEM;
        goto out;
    }
    dw_arena_init(&ix->arena, DWX_ARENA_CAP);
    err = dw_elf_load(ix, fd, errbuf, errlen);
    if (err != DWX_OK)
        goto out;
    err = dw_reader_open(ix, fd, src_name, &ix->rd, &rows, &nrows, errbuf, errlen);
    if (err != DWX_OK)
        goto out;
    err = dw_index_build_lines(ix, rows, nrows);
out:
    free(rows);
    close(fd);
    if (err != DWX_OK) {
        if (err == DWX_ERR_NOMEM && errbuf && errlen && !errbuf[0])
            dw_errf(errbuf, errlen, "out of memory indexing %s", exe);
        dw_index_close(ix);
        return err;
    }
    *out = ix;
    return DWX_OK;
}

void dw_index_close(struct dw_index *ix)
{
    if (!ix)
        return;
    dw_reader_close(ix->rd);
    dw_arena_free(&ix->arena);
    free(ix);
}

const char *dw_strerror(enum dw_err e)
{
    switch (e) {
    case DWX_OK:
        return "success";
    case DWX_ERR_OPEN:
        return "cannot open the program or it is not ELF";
    case DWX_ERR_FORMAT:
        return "debug information missing or unreadable";
    case DWX_ERR_NOMEM:
        return "out of memory";
    case DWX_ERR_NO_CU:
        return "no compile unit for the source file";
    }
    return "unknown dwarf error";
}

/* ---- lookups ----------------------------------------------------------- */

const struct dw_func *dw_index_funcs(const struct dw_index *ix, size_t *n)
{
    *n = ix->nfuncs;
    return ix->funcs;
}

const struct dw_func *dw_index_func_at(const struct dw_index *ix, dw_addr pc)
{
    size_t lo = 0, hi = ix->nfuncs;
    while (lo < hi) { /* first function with low_pc > pc */
        size_t mid = lo + (hi - lo) / 2;
        if (ix->funcs[mid].low_pc <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct dw_func *f = &ix->funcs[lo - 1];
    return pc < f->high_pc ? f : NULL;
}

const struct dw_func *dw_index_func_named(const struct dw_index *ix, const char *name)
{
    for (size_t i = 0; i < ix->nfuncs; i++)
        if (ix->funcs[i].name && strcmp(ix->funcs[i].name, name) == 0)
            return &ix->funcs[i];
    return NULL;
}

const struct dw_line *dw_index_lines(const struct dw_index *ix, size_t *n)
{
    *n = ix->nlines;
    return ix->lines;
}

int dw_index_line_at(const struct dw_index *ix, dw_addr pc)
{
    size_t lo = 0, hi = ix->nspans;
    while (lo < hi) { /* first span with lo > pc */
        size_t mid = lo + (hi - lo) / 2;
        if (ix->spans[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const struct dw_span *s = &ix->spans[lo - 1];
    return pc < s->hi ? s->line : 0;
}

const struct dw_var *dw_index_globals(const struct dw_index *ix, size_t *n)
{
    *n = ix->nglobals;
    return ix->globals;
}

static int scope_covers(const struct dw_scope *s, dw_addr pc)
{
    for (size_t i = 0; i < s->nranges; i++)
        if (pc >= s->ranges[i].lo && pc < s->ranges[i].hi)
            return 1;
    return 0;
}

static int name_in_scope(const struct dw_scope *s, const char *name)
{
    for (size_t i = 0; i < s->nvars; i++)
        if (s->vars[i].name && strcmp(s->vars[i].name, name) == 0)
            return 1;
    return 0;
}

size_t dw_func_vars_at(const struct dw_func *f, dw_addr pc, const struct dw_var **out,
                       size_t cap)
{
    const struct dw_scope *chain[MAX_SCOPE_DEPTH];
    size_t depth = 0;
    if (!f || pc < f->low_pc || pc >= f->high_pc)
        return 0;
    const struct dw_scope *s = &f->scope;
    while (s && depth < MAX_SCOPE_DEPTH) {
        chain[depth++] = s;
        const struct dw_scope *next = NULL;
        for (size_t i = 0; i < s->nchildren; i++)
            if (scope_covers(&s->children[i], pc)) {
                next = &s->children[i];
                break;
            }
        s = next;
    }
    size_t n = 0;
    for (size_t d = 0; d < depth; d++) {
        for (size_t i = 0; i < chain[d]->nvars; i++) {
            const struct dw_var *v = &chain[d]->vars[i];
            int shadowed = 0;
            for (size_t e = d + 1; e < depth && !shadowed; e++)
                shadowed = v->name && name_in_scope(chain[e], v->name);
            if (shadowed)
                continue;
            if (n < cap)
                out[n] = v;
            n++;
        }
    }
    return n;
}

const struct dw_type *dw_index_type_named(const struct dw_index *ix, const char *name)
{
    if (!ix || !ix->rd || !name)
        return NULL;
    return dw_reader_type_named(ix->rd, name);
}

const struct dw_type *dw_type_strip(const struct dw_type *t)
{
    for (int i = 0; t && i < 64; i++) {
        if (t->kind != DWX_T_TYPEDEF && t->kind != DWX_T_CONST && t->kind != DWX_T_VOLATILE)
            return t;
        t = t->target;
    }
    return t && (t->kind == DWX_T_TYPEDEF || t->kind == DWX_T_CONST ||
                 t->kind == DWX_T_VOLATILE)
               ? NULL /* a qualifier cycle in hostile input */
               : t;
}
