/*
 * enc_vgrec.c - one record of See++'s raw SPP-Valgrind text (enc_vgtrace.c)
 * written straight into the text, reusing what did not change since the
 * record before.
 *
 * In a record a pointer carries the block it points to (`deref_val`), the
 * first time the record reaches that block; a 200-node list is one chain of
 * 200 nested blocks under `head`. So the unit of reuse cannot be a
 * variable's whole text (one new node would change all of it): each
 * variable's and each block's text is kept as a template, its own text cut
 * at every pointer that has a target (a hole). Writing a record copies the
 * templates and, at each hole, decides what only the record can know: which
 * block holds the target and whether the record already wrote it. That
 * decision is the reference encoder's (record_json), taken in the same
 * order, so the bytes are the same. A template is reused when its value is
 * the same as the one it was made from (tr_enc_same_value), else made anew.
 *
 * For the service response the text is a JSON string (traceContent); with
 * `esc` the templates are kept escaped, so text reused from a record before
 * is copied as it is, never scanned again for characters to escape.
 */
#include <stdlib.h>
#include <string.h>

#include "tracer/enc_int.h"

/* Where a template is cut: at byte `at` the block holding `target` may go. */
struct hole {
    size_t at;
    tr_addr target;
};

/* A value's text (a block's: `addr` is the block's) in the output's form. */
struct tmpl {
    int has;                  /* text was made (v may be NULL: an empty block) */
    const struct tr_value *v; /* what it is the text of */
    tr_addr addr;
    char *text;
    size_t len;
    struct hole *holes;
    uint32_t nholes, capholes;
};

/* The templates of a frame's variables (id: its frameId), of the globals,
   or of the heap (by block index; addr says which block). */
struct slots {
    tr_addr id;
    struct tmpl *t;
    uint32_t n;
};

struct tr_vg_memo {
    int esc, reuse;
    struct slots *frames; /* the record before's */
    uint32_t nframes;
    struct slots globals, heap;
    struct tr_enc_buf plain; /* a template being made, before escaping */
};

/* One record being written. */
struct rec {
    struct tr_vg_memo *m;
    struct tr_enc_buf *out;
    struct tr_enc_buf own; /* the record's own text, not yet in out (plain) */
    const struct tr_step *s;
    uint8_t *sent;       /* block k written in this record */
    long *was;           /* block k's slot in m->heap, or -1 */
    struct slots *frames; /* this record's templates */
    struct slots globals, heap;
};

static void tmpl_free(struct tmpl *t)
{
    free(t->text);
    free(t->holes);
    *t = (struct tmpl){0};
}

static void slots_free(struct slots *ss)
{
    for (uint32_t i = 0; ss->t && i < ss->n; i++)
        tmpl_free(&ss->t[i]);
    free(ss->t);
    *ss = (struct slots){0};
}

static int slots_new(struct slots *ss, tr_addr id, uint32_t n)
{
    *ss = (struct slots){id, calloc(n ? n : 1, sizeof *ss->t), n};
    return ss->t ? 0 : -1;
}

static void frames_free(struct slots *f, uint32_t n)
{
    for (uint32_t i = 0; f && i < n; i++)
        slots_free(&f[i]);
    free(f);
}

struct tr_vg_memo *tr_enc_vgrec_new(int esc, int reuse)
{
    struct tr_vg_memo *m = calloc(1, sizeof *m);
    if (m) {
        m->esc = esc;
        m->reuse = reuse;
    }
    return m;
}

void tr_enc_vgrec_free(struct tr_vg_memo *m)
{
    if (!m)
        return;
    frames_free(m->frames, m->nframes);
    slots_free(&m->globals);
    slots_free(&m->heap);
    free(m->plain.p);
    free(m);
}

/* ---- making a template ------------------------------------------------ */

static int hole_add(struct tmpl *t, size_t at, tr_addr target)
{
    if (t->nholes == t->capholes) {
        uint32_t cap = t->capholes ? 2 * t->capholes : 4;
        struct hole *h = realloc(t->holes, cap * sizeof *h);
        if (!h)
            return -1;
        t->holes = h;
        t->capholes = cap;
    }
    t->holes[t->nholes++] = (struct hole){at, target};
    return 0;
}

/* Is member i of v written? An object holds one value per name: the first. */
static int member_shown(const struct tr_value *v, uint32_t i)
{
    const char *name = v->kids[i]->name ? v->kids[i]->name : "?";
    for (uint32_t k = 0; k < i; k++)
        if (strcmp(v->kids[k]->name ? v->kids[k]->name : "?", name) == 0)
            return 0;
    return 1;
}

/* v as record_json's raw_value prints it, but no block: a hole instead. */
static int value_put(struct tr_enc_buf *b, struct tmpl *t, const struct tr_value *v)
{
    int bad = TR_ENC_LIT(b, "{\"addr\":") || tr_enc_buf_addr(b, v->addr);
    switch (v->kind) {
    case TR_V_SCALAR:
        bad |= TR_ENC_LIT(b, ",\"kind\":\"base\",\"type\":") ||
               tr_enc_buf_str(b, v->type ? v->type : "?") ||
               TR_ENC_LIT(b, ",\"size\":") || tr_enc_buf_num(b, (double)v->size) ||
               TR_ENC_LIT(b, ",\"val\":") || tr_enc_scalar_put(b, v);
        break;
    case TR_V_POINTER:
    case TR_V_REF:
        bad |= (v->kind == TR_V_POINTER
                    ? TR_ENC_LIT(b, ",\"kind\":\"pointer\",\"type\":")
                    : TR_ENC_LIT(b, ",\"kind\":\"ref\",\"type\":")) ||
               tr_enc_buf_str(b, v->type ? v->type : "void*") ||
               TR_ENC_LIT(b, ",\"size\":8,\"val\":") ||
               tr_enc_buf_str(b, v->text ? v->text : "0x0");
        if (!bad && v->target)
            bad |= hole_add(t, b->len, v->target);
        break;
    case TR_V_STRUCT: {
        bad |= TR_ENC_LIT(b, ",\"kind\":\"struct\",\"type\":") ||
               tr_enc_buf_str(b, v->type ? v->type : "?") ||
               TR_ENC_LIT(b, ",\"val\":{");
        int first = 1;
        for (uint32_t i = 0; i < v->nkids && !bad; i++) {
            if (!member_shown(v, i))
                continue;
            bad |= (!first && TR_ENC_LIT(b, ",")) ||
                   tr_enc_buf_str(b, v->kids[i]->name ? v->kids[i]->name : "?") ||
                   TR_ENC_LIT(b, ":") || value_put(b, t, v->kids[i]);
            first = 0;
        }
        bad |= TR_ENC_LIT(b, "}");
        break;
    }
    case TR_V_ARRAY:
    case TR_V_MDARRAY:
        bad |= TR_ENC_LIT(b, ",\"kind\":\"array\",\"size\":") ||
               tr_enc_buf_num(b, (double)v->size) ||
               TR_ENC_LIT(b, ",\"dimensions\":[");
        if (v->kind == TR_V_MDARRAY)
            for (uint32_t i = 0; i < v->ndims && !bad; i++)
                bad |= (i && TR_ENC_LIT(b, ",")) || tr_enc_buf_num(b, v->dims[i]);
        else
            bad |= tr_enc_buf_num(b, v->nkids);
        bad |= TR_ENC_LIT(b, "],\"val\":[");
        for (uint32_t i = 0; i < v->nkids && !bad; i++)
            bad |= (i && TR_ENC_LIT(b, ",")) || value_put(b, t, v->kids[i]);
        bad |= TR_ENC_LIT(b, "]");
        break;
    }
    return bad || TR_ENC_LIT(b, "}") ? -1 : 0;
}

/* A block as raw_block prints it: its elements, holes where they point. */
static int block_put(struct tr_enc_buf *b, struct tmpl *t, tr_addr addr, const struct tr_value *v)
{
    int bad = TR_ENC_LIT(b, "{\"addr\":") || tr_enc_buf_addr(b, addr) ||
              TR_ENC_LIT(b, ",\"kind\":\"heap_block\",\"val\":[");
    for (uint32_t k = 0; v && k < v->nkids && !bad; k++)
        bad |= (k && TR_ENC_LIT(b, ",")) || value_put(b, t, v->kids[k]);
    return bad || TR_ENC_LIT(b, "]}") ? -1 : 0;
}

/* t made for v (a block's when block is set), in the output's form. */
static int tmpl_make(struct tr_vg_memo *m, struct tmpl *t, const struct tr_value *v, int block)
{
    struct tr_enc_buf *p = &m->plain;
    tr_addr addr = t->addr;
    tmpl_free(t);
    t->addr = addr;
    p->len = 0;
    if (block ? block_put(p, t, addr, v) : value_put(p, t, v))
        return -1;
    if (!m->esc) { /* the plain text is the text: kept, not copied */
        t->text = p->p;
        t->len = p->len;
        *p = (struct tr_enc_buf){0};
    } else {
        /* escaped piece by piece: the holes move to the escaped offsets */
        struct tr_enc_buf e = {0};
        size_t from = 0;
        if (tr_enc_buf_reserve(&e, p->len + p->len / 4))
            return -1;
        for (uint32_t i = 0; i < t->nholes; i++) {
            if (tr_enc_buf_esc(&e, p->p + from, t->holes[i].at - from)) {
                free(e.p);
                return -1;
            }
            from = t->holes[i].at;
            t->holes[i].at = e.len;
        }
        if (tr_enc_buf_esc(&e, p->p + from, p->len - from)) {
            free(e.p);
            return -1;
        }
        t->text = e.p;
        t->len = e.len;
    }
    t->v = v;
    t->has = 1;
    return 0;
}

/* ---- writing a record ------------------------------------------------- */

static int out_put(struct rec *r, const char *s, size_t n)
{
    return r->m->esc ? tr_enc_buf_esc(r->out, s, n) : tr_enc_buf_put(r->out, s, n);
}

/* The record's own text so far, into out (before a template's). */
static int flush(struct rec *r)
{
    int rc = r->own.len ? out_put(r, r->own.p, r->own.len) : 0;
    r->own.len = 0;
    return rc;
}

long tr_enc_block_at(const struct tr_step *s, tr_addr addr)
{
    size_t lo = 0, hi = s->nheap;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->heap[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct tr_heap_block *b = &s->heap[lo - 1];
    return addr < b->addr + (b->size ? b->size : 1) ? (long)(lo - 1) : -1;
}

static int same(const struct tr_value *a, const struct tr_value *b)
{
    return a && b ? tr_enc_same_value(a, b) : a == b;
}

/* cur holds v's template: was's, taken, when it was made from the same
   value; else a new one. */
static int tmpl_get(struct tr_vg_memo *m, struct tmpl *cur, struct tmpl *was,
                    const struct tr_value *v, int block)
{
    if (m->reuse && was && was->has && same(was->v, v)) {
        *cur = *was;
        *was = (struct tmpl){0};
        return 0;
    }
    return tmpl_make(m, cur, v, block);
}

static int block_write(struct rec *r, long k);

/* t's text into out; at each hole the block it points to, when this record
   has not written that block yet (as raw_value decides it). */
static int tmpl_write(struct rec *r, const struct tmpl *t)
{
    static const char deref[2][18] = {",\"deref_val\":", ",\\\"deref_val\\\":"};
    size_t from = 0;
    for (uint32_t i = 0; i < t->nholes; i++) {
        long k = tr_enc_block_at(r->s, t->holes[i].target);
        if (k < 0 || r->sent[k])
            continue;
        r->sent[k] = 1; /* before recursing: a cycle of blocks ends here */
        if (tr_enc_buf_put(r->out, t->text + from, t->holes[i].at - from) ||
            tr_enc_buf_put(r->out, deref[r->m->esc], strlen(deref[r->m->esc])) ||
            block_write(r, k))
            return -1;
        from = t->holes[i].at;
    }
    return tr_enc_buf_put(r->out, t->text + from, t->len - from);
}

static int block_write(struct rec *r, long k)
{
    struct tmpl *was = r->was[k] >= 0 ? &r->m->heap.t[r->was[k]] : NULL;
    struct tmpl *cur = &r->heap.t[k];
    return tmpl_get(r->m, cur, was, r->s->heap[k].value, 1) || tmpl_write(r, cur) ? -1 : 0;
}

/* The values object then the names array, as raw_vars fills them; the
   values' templates go to cur, reused from prev (may be NULL). */
static int vars_write(struct rec *r, const struct tr_var *vars, uint32_t n, const char *obj_key,
                      const char *order_key, struct slots *prev, struct slots *cur)
{
    struct tr_enc_buf *b = &r->own;
    int bad = tr_enc_buf_str(b, obj_key) || TR_ENC_LIT(b, ":{"), first = 1;
    for (uint32_t i = 0; i < n && !bad; i++) {
        if (!tr_enc_var_shown(vars, i))
            continue;
        struct tmpl *was = prev && i < prev->n ? &prev->t[i] : NULL;
        bad |= (!first && TR_ENC_LIT(b, ",")) || tr_enc_buf_str(b, vars[i].name) ||
               TR_ENC_LIT(b, ":") || flush(r) ||
               tmpl_get(r->m, &cur->t[i], was, vars[i].value, 0) || tmpl_write(r, &cur->t[i]);
        first = 0;
    }
    return bad || TR_ENC_LIT(b, "},") || tr_enc_buf_str(b, order_key) || TR_ENC_LIT(b, ":") ||
                   tr_enc_names_put(b, vars, n)
               ? -1
               : 0;
}

static struct slots *frame_slots(struct tr_vg_memo *m, tr_addr id)
{
    for (uint32_t k = 0; k < m->nframes; k++)
        if (m->frames[k].id == id)
            return &m->frames[k];
    return NULL;
}

static int rec_write(struct rec *r)
{
    const struct tr_step *s = r->s;
    struct tr_enc_buf *b = &r->own;
    int bad = TR_ENC_LIT(b, "{\"func_name\":") ||
              tr_enc_buf_str(b, s->func_name ? s->func_name : "") ||
              TR_ENC_LIT(b, ",\"line\":") || tr_enc_buf_num(b, s->line) ||
              TR_ENC_LIT(b, ",\"IP\":") || tr_enc_buf_addr(b, s->pc) ||
              TR_ENC_LIT(b, ",\"kind\":0,") || slots_new(&r->globals, 0, s->nglobals) ||
              vars_write(r, s->globals, s->nglobals, "globals", "ordered_globals",
                         &r->m->globals, &r->globals) ||
              TR_ENC_LIT(b, ",\"stack\":[");
    for (uint32_t i = s->nframes; i-- > 0 && !bad;) { /* innermost first */
        const struct tr_frame *f = &s->frames[i];
        if (slots_new(&r->frames[i], f->frame_id, f->nvars))
            return -1;
        bad |= (i + 1 < s->nframes && TR_ENC_LIT(b, ",")) || TR_ENC_LIT(b, "{");
        if (f->func_name) /* cJSON leaves out a NULL string */
            bad |= TR_ENC_LIT(b, "\"func_name\":") || tr_enc_buf_str(b, f->func_name) ||
                   TR_ENC_LIT(b, ",");
        bad |= TR_ENC_LIT(b, "\"line\":") || tr_enc_buf_num(b, f->line) ||
               TR_ENC_LIT(b, ",\"SP\":") || tr_enc_buf_addr(b, f->sp) ||
               TR_ENC_LIT(b, ",\"FP\":") || tr_enc_buf_addr(b, f->frame_id) ||
               TR_ENC_LIT(b, ",") ||
               vars_write(r, f->vars, f->nvars, "locals", "ordered_varnames",
                          frame_slots(r->m, f->frame_id), &r->frames[i]) ||
               TR_ENC_LIT(b, "}");
    }
    return bad || TR_ENC_LIT(b, "]}") || flush(r) ? -1 : 0;
}

int tr_enc_vgrec_put(struct tr_enc_buf *out, struct tr_vg_memo *m, const struct tr_step *s)
{
    size_t nh = s->nheap ? s->nheap : 1;
    struct rec r = {.m = m, .out = out, .s = s, .sent = calloc(nh, 1),
                    .was = malloc(nh * sizeof *r.was),
                    .frames = calloc(s->nframes ? s->nframes : 1, sizeof *r.frames)};
    int rc = -1;
    if (!r.sent || !r.was || !r.frames || slots_new(&r.heap, 0, s->nheap))
        goto out;
    /* both heaps are sorted by address: one walk pairs a block with its
       slot in the record before */
    uint32_t j = 0;
    for (uint32_t k = 0; k < s->nheap; k++) {
        r.heap.t[k].addr = s->heap[k].addr;
        while (j < m->heap.n && m->heap.t[j].addr < s->heap[k].addr)
            j++;
        r.was[k] = j < m->heap.n && m->heap.t[j].addr == s->heap[k].addr ? (long)j : -1;
    }
    if (rec_write(&r))
        goto out;
    rc = 0;
    if (!m->reuse)
        goto out;
    /* blocks this record did not reach keep their text for the next one */
    for (uint32_t k = 0; k < s->nheap; k++)
        if (!r.heap.t[k].has && r.was[k] >= 0) {
            r.heap.t[k] = m->heap.t[r.was[k]];
            m->heap.t[r.was[k]] = (struct tmpl){0};
        }
    frames_free(m->frames, m->nframes);
    slots_free(&m->globals);
    slots_free(&m->heap);
    m->frames = r.frames;
    m->nframes = s->nframes;
    m->globals = r.globals;
    m->heap = r.heap;
    r.frames = NULL;
    r.globals = r.heap = (struct slots){0};
out:
    frames_free(r.frames, s->nframes);
    slots_free(&r.globals);
    slots_free(&r.heap);
    free(r.own.p);
    free(r.sent);
    free(r.was);
    return rc;
}
