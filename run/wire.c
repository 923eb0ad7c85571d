/*
 * wire.c - a whole trace as bytes and back: how the memcheck child hands
 * its Valgrind trace to the parent that ran ptrace (engine.c).
 *
 * Key idea: the model itself, losslessly (steps, frames with their sp/pc
 * for the vgtrace encoding, values, heap blocks with their allocation
 * order, findings, output), so the parent can either fold findings into its
 * own trace or serve this one as if it had traced it. Little-endian fixed
 * widths; a string is a u32 length (0xffffffff: NULL) and its bytes. The
 * stream starts with a magic and ends with another: a child killed while
 * writing leaves a stream the reader refuses.
 *
 * The bytes come from our own child, but through a descriptor a program
 * could in theory reach, so the reader treats them as hostile: every count
 * is checked against what is left, nesting is capped, and everything it
 * builds lives in the new trace's arena.
 */
#include "run/vg_engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC_HEAD "SPPVGW02"
#define MAGIC_TAIL "SPPVGEND"
#define WIRE_MAX_DEPTH 64
#define NO_STRING 0xffffffffu
#define WBUF (64u << 10)

/* ---- writing ---------------------------------------------------------------- */

struct wr {
    int fd;
    uint8_t *buf;
    size_t len;
    int failed;
};

static void flush(struct wr *w)
{
    size_t off = 0;
    while (!w->failed && off < w->len) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            w->failed = 1;
        else
            off += (size_t)n;
    }
    w->len = 0;
}

static void put(struct wr *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n && !w->failed) {
        size_t k = WBUF - w->len < n ? WBUF - w->len : n;
        memcpy(w->buf + w->len, b, k);
        w->len += k;
        b += k;
        n -= k;
        if (w->len == WBUF)
            flush(w);
    }
}

static void put_u8(struct wr *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put_u32(struct wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(struct wr *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

static void put_str(struct wr *w, const char *s)
{
    if (!s) {
        put_u32(w, NO_STRING);
        return;
    }
    size_t n = strlen(s);
    if (n >= NO_STRING) {
        w->failed = 1;
        return;
    }
    put_u32(w, (uint32_t)n);
    put(w, s, n);
}

static void put_bytes(struct wr *w, const char *p, size_t n)
{
    put_u64(w, p ? n : 0);
    if (p)
        put(w, p, n);
}

static void put_value(struct wr *w, const struct tr_value *v)
{
    put_u8(w, v != NULL);
    if (!v)
        return;
    put_u8(w, (uint8_t)v->kind);
    put_u8(w, (uint8_t)v->stext);
    put_u8(w, v->uninit);
    put_u8(w, v->is_heap_block);
    put_u64(w, v->addr);
    put_u64(w, v->size);
    put_str(w, v->name);
    put_str(w, v->type);
    put_str(w, v->text);
    put_u64(w, v->target);
    put_u32(w, v->nkids);
    put_u32(w, v->dims ? v->ndims : 0);
    for (uint32_t i = 0; v->dims && i < v->ndims; i++)
        put_u32(w, v->dims[i]);
    for (uint32_t i = 0; i < v->nkids; i++)
        put_value(w, v->kids[i]);
}

static void put_vars(struct wr *w, const struct tr_var *vars, uint32_t n)
{
    put_u32(w, n);
    for (uint32_t i = 0; i < n; i++) {
        put_str(w, vars[i].name);
        put_value(w, vars[i].value);
    }
}

static void put_frames(struct wr *w, const struct tr_mc_frame *f, uint32_t n)
{
    put_u32(w, f ? n : 0);
    for (uint32_t i = 0; f && i < n; i++) {
        put_str(w, f[i].func);
        put_u32(w, (uint32_t)f[i].line);
    }
}

static void put_errors(struct wr *w, const struct tr_mc_error *e, uint32_t n)
{
    put_u32(w, e ? n : 0);
    for (uint32_t i = 0; e && i < n; i++) {
        put_str(w, e[i].kind);
        put_str(w, e[i].message);
        put_frames(w, e[i].stack, e[i].nstack);
        put_u64(w, e[i].addr);
        put_u64(w, e[i].size);
        put_str(w, e[i].block);
        put_u64(w, e[i].blocks);
        put_frames(w, e[i].alloc, e[i].nalloc);
        put_frames(w, e[i].freed, e[i].nfreed);
    }
}

static void put_step(struct wr *w, const struct tr_step *s)
{
    put_u8(w, (uint8_t)s->event);
    put_u32(w, (uint32_t)s->line);
    put_str(w, s->func_name);
    put_u64(w, s->pc);
    put_u32(w, s->nframes);
    for (uint32_t i = 0; i < s->nframes; i++) {
        const struct tr_frame *f = &s->frames[i];
        put_str(w, f->func_name);
        put_u64(w, f->frame_id);
        put_u64(w, f->sp);
        put_u64(w, f->pc);
        put_u32(w, (uint32_t)f->line);
        put_vars(w, f->vars, f->nvars);
    }
    put_vars(w, s->globals, s->nglobals);
    put_u32(w, s->nheap);
    for (uint32_t i = 0; i < s->nheap; i++) {
        put_u64(w, s->heap[i].addr);
        put_u64(w, s->heap[i].size);
        put_u64(w, s->heap[i].seq);
        put_value(w, s->heap[i].value);
    }
    put_u64(w, s->stdout_len);
    put_str(w, s->exception_msg);
    put_errors(w, s->mc, s->nmc);
    put_u8(w, (uint8_t)s->has_exit_code);
    put_u32(w, (uint32_t)s->exit_code);
    put_u8(w, s->hidden);
    put_u64(w, s->clock);
}

enum tr_err vg_wire_write(int fd, const struct vg_run_info *info, const struct tr_trace *t)
{
    struct wr w = {.fd = fd, .buf = malloc(WBUF)};
    if (!w.buf)
        return TR_ERR_NOMEM;
    put(&w, MAGIC_HEAD, 8);
    put_u8(&w, (uint8_t)info->ok);
    put_u8(&w, (uint8_t)info->sparse);
    put_str(&w, info->error);
    put_u64(&w, (uint64_t)info->ms);
    put_u8(&w, t != NULL);
    if (t) {
        put_u32(&w, (uint32_t)t->outcome);
        put_u32(&w, (uint32_t)t->exit_code);
        put_u32(&w, (uint32_t)t->signo);
        put_str(&w, t->end_message);
        put_bytes(&w, t->out, t->out_len);
        put_u8(&w, (uint8_t)t->out_truncated);
        put_bytes(&w, t->err, t->err_len);
        put_u8(&w, (uint8_t)t->err_truncated);
        put_errors(&w, t->end_errors, t->nend_errors);
        put_u64(&w, t->nsteps);
        for (size_t i = 0; i < t->nsteps; i++)
            put_step(&w, &t->steps[i]);
    }
    put(&w, MAGIC_TAIL, 8);
    flush(&w);
    int failed = w.failed;
    free(w.buf);
    return failed ? TR_ERR_SYS : TR_OK;
}

/* ---- reading ---------------------------------------------------------------- */

struct rd {
    const uint8_t *p, *end;
    struct tr_arena *a;
    int bad;
};

static int take(struct rd *r, void *out, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        if (out)
            memset(out, 0, n);
        return -1;
    }
    if (out)
        memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

static uint8_t get_u8(struct rd *r)
{
    uint8_t v;
    take(r, &v, 1);
    return v;
}

static uint32_t get_u32(struct rd *r)
{
    uint8_t b[4];
    take(r, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(struct rd *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static const char *get_str(struct rd *r)
{
    uint32_t n = get_u32(r);
    if (n == NO_STRING || r->bad)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    char *s = tr_arena_strndup(r->a, (const char *)r->p, n);
    if (!s)
        r->bad = 1;
    r->p += n;
    return s;
}

/* Room for n elements of size sz, each taking at least min_wire bytes on
   the wire: a count the remaining bytes cannot hold is a broken stream. */
static void *get_array(struct rd *r, uint64_t n, size_t sz, size_t min_wire)
{
    if (r->bad || n > (uint64_t)(r->end - r->p) / min_wire) {
        r->bad = 1;
        return NULL;
    }
    void *p = tr_arena_alloc(r->a, (size_t)(n ? n : 1) * sz);
    if (!p)
        r->bad = 1;
    return p;
}

static struct tr_value *get_value(struct rd *r, int depth)
{
    if (!get_u8(r) || r->bad)
        return NULL;
    if (depth > WIRE_MAX_DEPTH) {
        r->bad = 1;
        return NULL;
    }
    struct tr_value *v = tr_arena_alloc(r->a, sizeof *v);
    if (!v) {
        r->bad = 1;
        return NULL;
    }
    uint8_t kind = get_u8(r), stext = get_u8(r);
    if (kind > TR_V_MDARRAY || stext > TR_ST_CHAR) {
        r->bad = 1;
        return NULL;
    }
    v->kind = (enum tr_vkind)kind;
    v->stext = (enum tr_stext)stext;
    v->uninit = get_u8(r) != 0;
    v->is_heap_block = get_u8(r) != 0;
    v->addr = get_u64(r);
    v->size = get_u64(r);
    v->name = get_str(r);
    v->type = get_str(r);
    v->text = get_str(r);
    v->target = get_u64(r);
    uint32_t nkids = get_u32(r), ndims = get_u32(r);
    if (ndims) {
        uint32_t *d = get_array(r, ndims, sizeof *d, 4);
        for (uint32_t i = 0; d && i < ndims; i++)
            d[i] = get_u32(r);
        v->dims = d;
        v->ndims = d ? ndims : 0;
    }
    if (nkids) {
        v->kids = get_array(r, nkids, sizeof *v->kids, 1);
        for (uint32_t i = 0; v->kids && i < nkids && !r->bad; i++)
            v->kids[v->nkids++] = get_value(r, depth + 1);
        /* a NULL kid is a broken stream: the model never has one */
        for (uint32_t i = 0; i < v->nkids; i++)
            if (!v->kids[i])
                r->bad = 1;
    }
    return r->bad ? NULL : v;
}

static struct tr_var *get_vars(struct rd *r, uint32_t *n)
{
    uint32_t k = get_u32(r);
    *n = 0;
    if (r->bad || k > (uint64_t)(r->end - r->p) / 5) {
        r->bad = 1;
        return NULL;
    }
    /* one spare slot: a return step adds __return__ (step.c does the same) */
    struct tr_var *v = tr_arena_alloc(r->a, ((size_t)k + 1) * sizeof *v);
    if (!v)
        r->bad = 1;
    for (uint32_t i = 0; v && i < k && !r->bad; i++) {
        v[i].name = get_str(r);
        v[i].value = get_value(r, 0);
        *n = i + 1;
    }
    return v;
}

static struct tr_mc_frame *get_frames(struct rd *r, uint32_t *n)
{
    uint32_t k = get_u32(r);
    *n = 0;
    if (!k)
        return NULL;
    struct tr_mc_frame *f = get_array(r, k, sizeof *f, 8);
    for (uint32_t i = 0; f && i < k && !r->bad; i++) {
        f[i].func = get_str(r);
        f[i].line = (int)get_u32(r);
        *n = i + 1;
    }
    return f;
}

static struct tr_mc_error *get_errors(struct rd *r, uint32_t *n)
{
    uint32_t k = get_u32(r);
    *n = 0;
    if (!k)
        return NULL;
    struct tr_mc_error *e = get_array(r, k, sizeof *e, 40);
    for (uint32_t i = 0; e && i < k && !r->bad; i++) {
        e[i].kind = get_str(r);
        e[i].message = get_str(r);
        e[i].stack = get_frames(r, &e[i].nstack);
        e[i].addr = get_u64(r);
        e[i].size = get_u64(r);
        e[i].block = get_str(r);
        e[i].blocks = get_u64(r);
        e[i].alloc = get_frames(r, &e[i].nalloc);
        e[i].freed = get_frames(r, &e[i].nfreed);
        if (!e[i].kind || !e[i].message)
            r->bad = 1;
        *n = i + 1;
    }
    return e;
}

static void get_step(struct rd *r, struct tr_step *s, size_t out_len)
{
    uint8_t ev = get_u8(r);
    if (ev > TR_EV_UNCAUGHT) {
        r->bad = 1;
        return;
    }
    s->event = (enum tr_event)ev;
    s->line = (int)get_u32(r);
    s->func_name = get_str(r);
    s->pc = get_u64(r);
    uint32_t nf = get_u32(r);
    s->frames = get_array(r, nf, sizeof *s->frames, 32);
    for (uint32_t i = 0; s->frames && i < nf && !r->bad; i++) {
        struct tr_frame *f = &s->frames[i];
        f->func_name = get_str(r);
        f->frame_id = get_u64(r);
        f->sp = get_u64(r);
        f->pc = get_u64(r);
        f->line = (int)get_u32(r);
        f->vars = get_vars(r, &f->nvars);
        if (!f->func_name)
            r->bad = 1;
        s->nframes = i + 1;
    }
    s->globals = get_vars(r, &s->nglobals);
    uint32_t nh = get_u32(r);
    s->heap = get_array(r, nh, sizeof *s->heap, 25);
    for (uint32_t i = 0; s->heap && i < nh && !r->bad; i++) {
        s->heap[i].addr = get_u64(r);
        s->heap[i].size = get_u64(r);
        s->heap[i].seq = get_u64(r);
        s->heap[i].value = get_value(r, 0);
        if (!s->heap[i].value)
            r->bad = 1;
        s->nheap = i + 1;
    }
    s->stdout_len = (size_t)get_u64(r);
    if (s->stdout_len > out_len)
        r->bad = 1;
    s->exception_msg = get_str(r);
    s->mc = get_errors(r, &s->nmc);
    s->has_exit_code = get_u8(r) != 0;
    s->exit_code = (int)get_u32(r);
    s->hidden = get_u8(r) != 0;
    s->clock = get_u64(r);
    if (!s->func_name)
        r->bad = 1;
}

static char *get_bytes(struct rd *r, size_t *len, size_t cap)
{
    uint64_t n = get_u64(r);
    *len = 0;
    if (r->bad || n > cap || n > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        return NULL;
    }
    char *b = malloc((size_t)n + 1);
    if (!b) {
        r->bad = 1;
        return NULL;
    }
    take(r, b, (size_t)n);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

enum tr_err vg_wire_read(const uint8_t *buf, size_t len, size_t arena_cap, size_t out_cap,
                         struct vg_run_info *info, struct tr_trace **out, char *errbuf)
{
    struct tr_trace *t = NULL;
    struct tr_arena *scratch = tr_arena_new(1u << 20);
    struct rd r = {.p = buf, .end = buf + len, .a = scratch};
    char magic[8];
    memset(info, 0, sizeof *info);
    if (!scratch)
        return TR_ERR_NOMEM;
    if (len < 16 || memcmp(buf + len - 8, MAGIC_TAIL, 8) != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the memcheck run's result is incomplete");
        tr_arena_free(scratch);
        return TR_ERR_PROTOCOL;
    }
    r.end -= 8;
    take(&r, magic, 8);
    if (r.bad || memcmp(magic, MAGIC_HEAD, 8) != 0)
        goto bad;
    info->ok = get_u8(&r) != 0;
    info->sparse = get_u8(&r) != 0;
    const char *e = get_str(&r);
    snprintf(info->error, sizeof info->error, "%s", e ? e : "");
    info->ms = (double)get_u64(&r);
    if (get_u8(&r) && !r.bad) {
        t = tr_trace_new(arena_cap);
        if (!t) {
            tr_arena_free(scratch);
            return TR_ERR_NOMEM;
        }
        r.a = t->arena;
        uint32_t outcome = get_u32(&r);
        if (outcome > TR_OUT_INTERNAL_ERROR)
            goto bad;
        t->outcome = (enum tr_outcome)outcome;
        t->exit_code = (int)get_u32(&r);
        t->signo = (int)get_u32(&r);
        t->end_message = get_str(&r);
        t->out = get_bytes(&r, &t->out_len, out_cap);
        t->out_truncated = get_u8(&r) != 0;
        t->err = get_bytes(&r, &t->err_len, out_cap);
        t->err_truncated = get_u8(&r) != 0;
        t->end_errors = get_errors(&r, &t->nend_errors);
        uint64_t n = get_u64(&r);
        if (r.bad || n > (uint64_t)(r.end - r.p) / 24)
            goto bad;
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            struct tr_step *s = tr_trace_append(t);
            if (!s) {
                r.bad = 1;
                break;
            }
            get_step(&r, s, t->out_len);
        }
        t->engine = "valgrind";
    }
    if (r.bad || r.p != r.end)
        goto bad;
    tr_arena_free(scratch);
    *out = t;
    return TR_OK;
bad:
    snprintf(errbuf, TR_ERRBUF_LEN, "the memcheck run's result is malformed");
    tr_trace_free(t);
    tr_arena_free(scratch);
    return TR_ERR_PROTOCOL;
}
