/*
 * step.c - the stepper (see step.h).
 *
 * The loop is "wait for the next stop, then dispatch on its kind". The
 * stepper keeps its own stack of user activations (the shadow stack): an
 * activation is pushed at the function's entry breakpoint and popped when
 * the breakpoint on its return address is hit with the stack pointer back
 * at its CFA. Frames are identified by CFA, the frame base of gcc -O0 code.
 *
 * Which stops become steps (trace-format.md):
 *  - entry (low_pc): push an activation, no step (parameters not stored yet);
 *  - first statement stop in an activation: a `call` step on the function's
 *    opening line, then a `stepLine` if the statement is on another line;
 *  - statement stop: `stepLine`, unless the last step was the same line in
 *    the same frame and control moved forward within it (consecutive steps
 *    on one line are one step; jumping back to a line is a new iteration);
 *  - return address with sp == CFA: `return` with __return__, replacing a
 *    `stepLine` on the same line in the same frame just before it;
 *  - a signal that kills the program: `exception`, built from the state at
 *    the signal stop (the process is gone when we learn it was fatal).
 * A caller step is inserted between a return and an immediately following
 * call made from the same caller frame, so every call and return is visible
 * as a change of the stack (See++'s raw-trace parser relies on this).
 *
 * One file (past 800 lines) because every handler below reads and writes the
 * same private state - the shadow stack, the return breakpoints, the pending
 * signal, the last step - and the rules above are invariants over all of it
 * together; what needs none of it already lives elsewhere (values: value.c,
 * the trace model: model.c, encoders: enc_*.c). The seam if it grows: the
 * ending messages (signal_label .. on_killed) could move to a step_end.c
 * behind a folder-private header that exposes struct stepper.
 */
#include "tracer/step.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer/frame_fill.h"
#include "tracer/rt/sppmon.h"
#include "tracer/value.h"

#define MAX_ACTS 4096
#define MAX_VARS 512

struct act {
    const struct dw_func *f;
    tr_addr cfa, ret;
    tr_addr pc;       /* pc of its last step: the scope to show */
    int line;         /* its current line (callers: the call in progress) */
    int call_pending; /* entered, `call` step not emitted yet */
    int filled;       /* its locals were filled at its first statement (frame_fill.h) */
};

struct retbp {
    tr_addr addr;
    int refs;
};

/* A snapshot taken at a signal stop, emitted if the signal kills. */
struct pending_signal {
    int signo;
    struct tr_step step;
    int valid;
    uint64_t fault_addr, fault_err;
    int fault_seen, fault_code;
    tr_addr sp, pc;
    const char *returning; /* the function whose return jumped to pc, when one did */
};

struct stepper {
    struct tr_target *t;
    const struct dw_index *ix;
    const struct tr_step_cfg *cfg;
    struct tr_trace *trace;
    struct tr_valctx *val;
    const struct dw_line *lines;
    size_t nlines;
    int *close_line;     /* per user function (index into dw_index_funcs): its
                            last line, the closing brace */
    const struct dw_func *funcs;
    int main_line;       /* where a run that ends before main is shown */
    struct act *acts;
    size_t nacts;
    struct retbp *rets;
    size_t nrets, caprets;
    tr_addr rt_addr;     /* the runtime's table, 0 when absent */
    uint64_t main_seq;   /* allocations before main are not shown */
    int out_fd, err_fd;
    struct pending_signal sig;
    struct tr_regs regs;
    int fill;            /* fill new frames' locals (tr_fill_wanted) */
    int main_returned;
    int stop_tracing;    /* a limit ended the trace; kill and drain */
    int visible;         /* steps not hidden: what the step limit counts */
    uint32_t rt_limits;  /* SPP_RT_LIMIT_* the program met (read from its runtime) */
    double cpu_at_start; /* our reaped children's CPU seconds when the run began */
    char *errbuf;
};

/* ---- small lookups ------------------------------------------------------ */

static int line_at_stop(const struct stepper *s, tr_addr pc)
{
    size_t lo = 0, hi = s->nlines;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->lines[mid].addr < pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nlines && s->lines[lo].addr == pc ? s->lines[lo].line : 0;
}

static struct retbp *ret_find(struct stepper *s, tr_addr a)
{
    for (size_t i = 0; i < s->nrets; i++)
        if (s->rets[i].addr == a)
            return &s->rets[i];
    return NULL;
}

static enum tr_err ret_add(struct stepper *s, tr_addr a)
{
    struct retbp *r = ret_find(s, a);
    if (r) {
        r->refs++;
        return TR_OK;
    }
    if (s->nrets == s->caprets) {
        size_t cap = s->caprets ? s->caprets * 2 : 16;
        struct retbp *n = realloc(s->rets, cap * sizeof *n);
        if (!n)
            return TR_ERR_NOMEM;
        s->rets = n;
        s->caprets = cap;
    }
    s->rets[s->nrets++] = (struct retbp){a, 1};
    /* A return address that is also a statement start keeps its breakpoint. */
    return tr_target_insert_bp(s->t, a);
}

static void ret_drop(struct stepper *s, tr_addr a)
{
    struct retbp *r = ret_find(s, a);
    if (!r || --r->refs > 0)
        return;
    *r = s->rets[--s->nrets];
    if (!line_at_stop(s, a) && !dw_index_func_at(s->ix, a))
        (void)tr_target_remove_bp(s->t, a);
    else if (!line_at_stop(s, a)) {
        const struct dw_func *f = dw_index_func_at(s->ix, a);
        if (!f || f->low_pc != a)
            (void)tr_target_remove_bp(s->t, a);
    }
}

static void pop_act(struct stepper *s)
{
    if (s->nacts == 0)
        return;
    ret_drop(s, s->acts[s->nacts - 1].ret);
    s->nacts--;
}

static enum tr_err push_act(struct stepper *s, const struct dw_func *f, tr_addr cfa)
{
    if (s->nacts == MAX_ACTS) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "call depth over %d", MAX_ACTS);
        return TR_ERR_LIMIT;
    }
    uint8_t b[8];
    if (tr_target_read(s->t, cfa - 8, b, 8) != TR_OK)
        return TR_ERR_MEM;
    tr_addr ret;
    memcpy(&ret, b, 8);
    struct act *a = &s->acts[s->nacts++];
    *a = (struct act){.f = f, .cfa = cfa, .ret = ret, .pc = f->low_pc,
                      .line = f->open_line, .call_pending = 1};
    return ret_add(s, ret);
}

/* ---- output ------------------------------------------------------------- */

/* Append what the program wrote since the last read; cap it. Returns 1 when
   the cap was exceeded (output limit). */
static int drain_file(const char *path, int given_fd, int *fd, char **buf, size_t *len,
                      int *truncated, size_t cap)
{
    if (*fd < 0) {
        if (given_fd > 0)
            *fd = fcntl(given_fd, F_DUPFD_CLOEXEC, 3);
        else if (path)
            *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0)
            return 0;
    }
    if (!*buf) {
        *buf = malloc(cap + 1);
        if (!*buf)
            return 0;
    }
    for (;;) {
        if (*len >= cap) {
            char extra;
            if (pread(*fd, &extra, 1, (off_t)*len) == 1) {
                *truncated = 1;
                return 1;
            }
            return 0;
        }
        ssize_t n = pread(*fd, *buf + *len, cap - *len, (off_t)*len);
        if (n <= 0)
            return 0;
        *len += (size_t)n;
    }
}

static int drain_output(struct stepper *s)
{
    struct tr_trace *tr = s->trace;
    int over = drain_file(s->cfg->stdout_path, s->cfg->stdout_fd, &s->out_fd, &tr->out,
                          &tr->out_len, &tr->out_truncated, s->cfg->output_cap);
    over |= drain_file(s->cfg->stderr_path, s->cfg->stderr_fd, &s->err_fd, &tr->err,
                       &tr->err_len, &tr->err_truncated, s->cfg->output_cap);
    return over;
}

/* ---- snapshots ---------------------------------------------------------- */

static tr_addr var_addr(const struct stepper *s, const struct act *a, const struct dw_var *v,
                        int *ok)
{
    tr_addr addr = 0;
    *ok = 1;
    switch (v->loc.kind) {
    case DWX_LOC_ADDR:
        addr = v->loc.addr;
        break;
    case DWX_LOC_FBREG:
        addr = a->cfa + (tr_addr)v->loc.offset;
        break;
    case DWX_LOC_BREG:
        if (v->loc.reg == 6) /* rbp: CFA - 16 in a -O0 frame */
            addr = a->cfa - 16 + (tr_addr)v->loc.offset;
        else if (v->loc.reg == 7 && a == &s->acts[s->nacts - 1])
            addr = s->regs.sp + (tr_addr)v->loc.offset;
        else
            *ok = 0;
        break;
    case DWX_LOC_REG:
    case DWX_LOC_NONE:
        *ok = 0;
        break;
    }
    if (*ok && v->loc.deref) {
        uint8_t b[8];
        if (tr_val_mem(s->val, addr, b, 8) != TR_OK)
            *ok = 0;
        else
            memcpy(&addr, b, 8);
    }
    return addr;
}

/* A variable-length array: its storage is carved from the stack when its
   declaration runs, and its location holds a pointer to it. */
static int is_vla(const struct dw_var *v)
{
    const struct dw_type *t = dw_type_strip(v->type);
    if (!v->loc.deref || !t || t->kind != DWX_T_ARRAY)
        return 0;
    for (size_t i = 0; i < t->ndims; i++)
        if (t->dims[i].count < 0)
            return 1;
    return 0;
}

static int frame_vars(struct stepper *s, const struct act *a, struct tr_frame *fr)
{
    const struct dw_var *vars[MAX_VARS];
    size_t n = dw_func_vars_at(a->f, a->pc, vars, MAX_VARS);
    if (n > MAX_VARS)
        n = MAX_VARS;
    fr->vars = tr_arena_alloc(s->trace->arena, (n + 1) * sizeof *fr->vars);
    if (!fr->vars)
        return -1;
    tr_val_frame(s->val, a->cfa); /* VLA bounds are locals of this frame */
    tr_val_fill(s->val, a->filled);
    for (size_t i = 0; i < n; i++) {
        const struct dw_var *v = vars[i];
        /* A local appears once its declaration line is reached. */
        if (!v->is_param && v->decl_line > a->line)
            continue;
        if (!v->name)
            continue;
        /* gcc gave it no storage and no constant value (code after a
           return): nothing to show, trace-notes.md says so */
        if (v->loc.kind == DWX_LOC_NONE && !v->const_bytes)
            continue;
        int ok;
        tr_addr addr = var_addr(s, a, v, &ok);
        if (ok && is_vla(v) && (addr < fr->sp || addr >= a->cfa))
            continue; /* its declaration has not run: no storage, no length yet */
        struct tr_value *val;
        if (ok)
            val = tr_val_read(s->val, v->type, addr);
        else if (v->const_bytes)
            val = tr_val_constant(s->val, v->type, v->const_bytes, v->const_len);
        else
            val = tr_val_from_bytes(s->val, v->type, NULL, 0);
        if (!val)
            return -1;
        fr->vars[fr->nvars++] = (struct tr_var){v->name, val};
    }
    tr_val_frame(s->val, 0);
    tr_val_fill(s->val, 0);
    return 0;
}

/* Read the runtime's record of limits the program met (it may be running). */
static void note_rt_limits(struct stepper *s)
{
    struct spp_rt hdr;
    if (s->rt_addr && tr_target_read(s->t, s->rt_addr, &hdr, SPP_RT_HEADER_SIZE) == TR_OK &&
        hdr.magic == SPP_RT_MAGIC)
        s->rt_limits |= hdr.limits;
}

static int read_heap(struct stepper *s, struct tr_step *st)
{
    if (!s->rt_addr)
        return 0;
    struct spp_rt hdr;
    if (tr_target_read(s->t, s->rt_addr, &hdr, SPP_RT_HEADER_SIZE) != TR_OK ||
        hdr.magic != SPP_RT_MAGIC)
        return 0;
    s->rt_limits |= hdr.limits;
    st->clock = hdr.clock; /* where this step is in the program's own time */
    size_t n = hdr.nblocks > SPP_RT_MAX_BLOCKS ? SPP_RT_MAX_BLOCKS : (size_t)hdr.nblocks;
    if (n == 0)
        return 0;
    struct spp_rt_block *raw = malloc(n * sizeof *raw);
    struct tr_block *blocks = malloc(n * sizeof *blocks);
    int rc = -1;
    if (!raw || !blocks)
        goto out;
    if (tr_target_read(s->t, s->rt_addr + SPP_RT_HEADER_SIZE, raw, n * sizeof *raw) != TR_OK) {
        rc = 0;
        goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (raw[i].seq > s->main_seq)
            blocks[m++] = (struct tr_block){raw[i].addr ^ SPP_RT_ADDR_KEY, raw[i].size,
                                            raw[i].kind, raw[i].seq - s->main_seq,
                                            raw[i].site};
    st->heap = tr_arena_alloc(s->trace->arena, (m ? m : 1) * sizeof *st->heap);
    if (!st->heap)
        goto out;
    /* the runtime filled fresh blocks; under memcheck (never filled) V-bits
       alone say what is uninitialised */
    tr_val_fill(s->val, hdr.heap_fill && s->fill);
    st->nheap = (uint32_t)tr_val_heap(s->val, blocks, m, st->heap);
    tr_val_fill(s->val, 0);
    rc = 0;
out:
    free(raw);
    free(blocks);
    return rc;
}

/* The returned frame k of st keeps the uninitialised marks its variables
   had at the activation's previous step (the step before st: the frame was
   live all along). Memcheck's V-bits of it are gone after `ret` (see
   tr_val_no_vbits); a value first written on the function's last line thus
   still shows as it was before that line - the one-line getter `int getX()
   { return x; }` shows `this` as it was on its call step. */
static void carry_uninit(struct stepper *s, struct tr_step *st, size_t k)
{
    if (!tr_target_has(s->t, TR_CAP_VBITS) || s->trace->nsteps < 2)
        return;
    const struct tr_step *prev = &s->trace->steps[s->trace->nsteps - 2];
    if (prev->nframes <= k || prev->frames[k].frame_id != st->frames[k].frame_id)
        return;
    const struct tr_frame *from = &prev->frames[k];
    struct tr_frame *to = &st->frames[k];
    for (uint32_t i = 0; i < to->nvars; i++)
        for (uint32_t j = 0; j < from->nvars; j++)
            if (to->vars[i].name && from->vars[j].name &&
                strcmp(to->vars[i].name, from->vars[j].name) == 0) {
                tr_value_copy_uninit(to->vars[i].value, from->vars[j].value);
                break;
            }
}

/* Capture the state with the innermost `depth` activations into *st. */
static int capture(struct stepper *s, struct tr_step *st, enum tr_event ev, size_t depth,
                   const struct tr_var *ret_var)
{
    struct tr_arena *ar = s->trace->arena;
    tr_val_begin(s->val);
    st->event = ev;
    st->frames = tr_arena_alloc(ar, (depth ? depth : 1) * sizeof *st->frames);
    if (!st->frames)
        return -1;
    /* a return caught after `ret`: the innermost frame is below sp */
    int returned = ev == TR_EV_RETURN && depth && s->regs.sp == s->acts[depth - 1].cfa;
    for (size_t i = 0; i < depth; i++) {
        const struct act *a = &s->acts[i];
        struct tr_frame *fr = &st->frames[i];
        fr->func_name = a->f->name;
        fr->frame_id = a->cfa;
        fr->pc = a->pc;
        fr->line = a->line;
        fr->sp = i + 1 == s->nacts ? s->regs.sp : s->acts[i + 1].cfa;
        tr_val_no_vbits(s->val, returned && i + 1 == depth);
        if (frame_vars(s, a, fr) != 0)
            return -1;
        tr_val_no_vbits(s->val, 0);
        if (i + 1 == depth && ret_var)
            fr->vars[fr->nvars++] = *ret_var;
    }
    st->nframes = (uint32_t)depth;
    if (depth) {
        st->line = st->frames[depth - 1].line;
        st->func_name = st->frames[depth - 1].func_name;
        st->pc = st->frames[depth - 1].pc;
    }
    size_t ng;
    const struct dw_var *g = dw_index_globals(s->ix, &ng);
    st->globals = tr_arena_alloc(ar, (ng ? ng : 1) * sizeof *st->globals);
    if (!st->globals)
        return -1;
    for (size_t i = 0; i < ng; i++) {
        if (g[i].loc.kind != DWX_LOC_ADDR || !g[i].name)
            continue;
        struct tr_value *v = tr_val_read(s->val, g[i].type, g[i].loc.addr);
        if (!v)
            return -1;
        st->globals[st->nglobals++] = (struct tr_var){g[i].name, v};
    }
    if (read_heap(s, st) != 0 || tr_val_literals(s->val, st) != 0)
        return -1;
    tr_val_end(s->val); /* memcheck: mark uninitialised values while still stopped */
    if (returned)
        carry_uninit(s, st, depth - 1);
    st->stdout_len = s->trace->out_len;
    return 0;
}

static int out_of_space(struct stepper *s)
{
    snprintf(s->errbuf, TR_ERRBUF_LEN, "the trace grew over its size limit");
    s->trace->outcome = TR_OUT_OUTPUT_LIMIT;
    s->trace->end_message = "Stopped: the trace is too large. Please shorten your code.";
    s->stop_tracing = 1;
    return -1;
}

/* See++'s parser drops the caller's step that directly follows a return
   when it is on the line of the call and the next step is in the same
   function; we do the same so our trace and See++'s reading of our raw
   trace agree. Called before appending the step that would be "next". */
static void hide_extraneous(struct stepper *s, size_t next_depth, enum tr_event next_ev)
{
    struct tr_trace *tr = s->trace;
    if (tr->nsteps < 2)
        return;
    struct tr_step *ret = &tr->steps[tr->nsteps - 2], *cur = &tr->steps[tr->nsteps - 1];
    if (ret->event != TR_EV_RETURN || ret->nframes < 2 || cur->nframes == 0 || cur->hidden)
        return;
    const struct tr_frame *caller = &ret->frames[ret->nframes - 2];
    const struct tr_frame *top = &cur->frames[cur->nframes - 1];
    if (top->frame_id != caller->frame_id || top->line != caller->line)
        return;
    /* the next step's function: the innermost activation it will show */
    const char *next_fn = next_depth ? s->acts[next_depth - 1].f->name : NULL;
    (void)next_ev;
    if (!next_fn || strcmp(next_fn, cur->func_name) != 0)
        return;
    cur->hidden = 1;
    s->visible--;
}

/* Append a step; applies the step limit. */
static struct tr_step *emit(struct stepper *s, enum tr_event ev, size_t depth,
                            const struct tr_var *ret_var)
{
    struct tr_trace *tr = s->trace;
    if (s->stop_tracing)
        return NULL;
    if (drain_output(s)) {
        tr->outcome = TR_OUT_OUTPUT_LIMIT;
        tr->end_message = tr_arena_printf(tr->arena,
                                          "Output limit exceeded: the program wrote more "
                                          "than %zu KiB.", s->cfg->output_cap >> 10);
        s->stop_tracing = 1;
        return NULL;
    }
    hide_extraneous(s, depth, ev);
    int limit = s->visible + 1 >= s->cfg->max_steps;
    struct tr_step *st = tr_trace_append(tr);
    if (!st) {
        out_of_space(s);
        return NULL;
    }
    if (capture(s, st, ev, depth, ret_var) != 0) {
        tr->nsteps--;
        out_of_space(s);
        return NULL;
    }
    s->visible++;
    if (s->cfg->trace_cap && tr_arena_used(tr->arena) > s->cfg->trace_cap) {
        out_of_space(s);
        return st;
    }
    if (limit) {
        st->event = TR_EV_LIMIT;
        st->exception_msg = tr_arena_printf(tr->arena,
                                            "Stopped after %d steps. Please shorten your code.",
                                            s->cfg->max_steps);
        tr->outcome = TR_OUT_STEP_LIMIT;
        tr->end_message = st->exception_msg;
        s->stop_tracing = 1;
    }
    return st;
}

static struct tr_step *last_step(struct stepper *s)
{
    return s->trace->nsteps ? &s->trace->steps[s->trace->nsteps - 1] : NULL;
}

/* Is the last step on `line` in the activation at depth `depth`? */
static int same_place(const struct tr_step *st, size_t depth, tr_addr cfa, int line)
{
    return st && st->nframes == depth && depth &&
           st->frames[depth - 1].frame_id == cfa && st->line == line;
}

/* ---- return values ------------------------------------------------------ */

static int is_sse_only(const struct dw_type *t, uint64_t lo, uint64_t hi, uint64_t base)
{
    t = dw_type_strip(t);
    if (!t)
        return 0;
    if (t->kind == DWX_T_BASE)
        return t->encoding == DWX_ENC_FLOAT && t->size <= 8;
    if (t->kind == DWX_T_ARRAY) {
        const struct dw_type *e = dw_type_strip(t->target);
        if (!e || !e->size)
            return 0;
        for (uint64_t off = 0; off < t->size; off += e->size)
            if (base + off < hi && base + off + e->size > lo && !is_sse_only(e, lo, hi, base + off))
                return 0;
        return 1;
    }
    if (t->kind == DWX_T_STRUCT || t->kind == DWX_T_CLASS || t->kind == DWX_T_UNION) {
        for (size_t i = 0; i < t->nmembers; i++) {
            const struct dw_member *m = &t->members[i];
            if (m->is_static)
                continue;
            const struct dw_type *mt = dw_type_strip(m->type);
            uint64_t off = base + m->offset, sz = mt ? mt->size : 8;
            if (off < hi && off + sz > lo && !is_sse_only(m->type, lo, hi, off))
                return 0;
        }
        return 1;
    }
    return 0;
}

static int has_vptr_or_bases(const struct dw_type *t)
{
    for (size_t i = 0; i < t->nmembers; i++)
        if (t->members[i].is_artificial || t->members[i].is_virtual_base)
            return 1;
    return 0;
}

/* __return__ per the SysV x86-64 ABI, read right after `ret`. */
static struct tr_value *return_value(struct stepper *s, const struct dw_func *f)
{
    const struct dw_type *rt = f->ret_type, *st = dw_type_strip(rt);
    if (!st)
        return NULL;
    struct tr_fpregs fp;
    int have_fp = 0;
    uint8_t b[16] = {0};
    if (st->kind == DWX_T_STRUCT || st->kind == DWX_T_CLASS || st->kind == DWX_T_UNION ||
        st->kind == DWX_T_ARRAY) {
        if (st->size > 16 || has_vptr_or_bases(st))
            return tr_val_read(s->val, rt, s->regs.rax); /* memory: rax = its address */
        /* Small aggregate: each eightbyte in the next INTEGER or SSE register. */
        int ni = 0, ns = 0;
        for (int half = 0; half < 2 && (uint64_t)half * 8 < st->size; half++) {
            uint64_t lo = (uint64_t)half * 8, hi = lo + 8;
            uint8_t *dst = b + lo;
            if (is_sse_only(st, lo, hi, 0)) {
                if (!have_fp && tr_target_fpregs(s->t, &fp) != TR_OK)
                    return NULL;
                have_fp = 1;
                memcpy(dst, ns++ == 0 ? fp.xmm0 : fp.xmm1, 8);
            } else {
                uint64_t r = ni++ == 0 ? s->regs.rax : s->regs.rdx;
                memcpy(dst, &r, 8);
            }
        }
        return tr_val_from_bytes(s->val, rt, b, st->size);
    }
    if (st->kind == DWX_T_BASE && st->encoding == DWX_ENC_FLOAT) {
        if (tr_target_fpregs(s->t, &fp) != TR_OK)
            return NULL;
        if (st->size > 8)
            memcpy(b, fp.st0, 10);
        else
            memcpy(b, fp.xmm0, 8);
    } else {
        memcpy(b, &s->regs.rax, 8);
        memcpy(b + 8, &s->regs.rdx, 8);
    }
    return tr_val_from_bytes(s->val, rt, b, st->size ? st->size : 8);
}

/* ---- stop handlers ------------------------------------------------------ */

/* Bring the shadow stack in line with the frame whose CFA is `cfa`: drop
   activations that are below it on the stack (left by longjmp or an
   exception) and push one for f if we never saw it enter. */
static enum tr_err sync_frame(struct stepper *s, const struct dw_func *f, tr_addr cfa)
{
    while (s->nacts && s->acts[s->nacts - 1].cfa < cfa)
        pop_act(s);
    if (s->nacts && s->acts[s->nacts - 1].cfa == cfa && s->acts[s->nacts - 1].f == f)
        return TR_OK;
    enum tr_err rc = push_act(s, f, cfa);
    if (rc == TR_OK)
        s->acts[s->nacts - 1].call_pending = 0; /* entered unseen: no call step */
    return rc;
}

static void on_entry(struct stepper *s, const struct dw_func *f)
{
    /* At the entry, before `push %rbp`: CFA = sp + 8. */
    tr_addr cfa = s->regs.sp + 8;
    while (s->nacts && s->acts[s->nacts - 1].cfa <= cfa)
        pop_act(s);
    if (push_act(s, f, cfa) != TR_OK)
        s->stop_tracing = 1;
}

/* gcc attributes the clean-up of a full expression's temporaries
   (initializer lists, allocators) to the function's closing line while the
   code sits in the middle of the body: the trace would jump to the `}` and
   back between two declarations. A step on the closing line that is
   followed by another line of the same activation was such a detour: it is
   removed (not hidden: See++ must not see it either). A real closing step
   is followed by the return, which takes its place. */
static void drop_stray_close(struct stepper *s, size_t depth, const struct act *a, int line)
{
    struct tr_step *prev = last_step(s);
    int close = s->close_line[a->f - s->funcs];
    if (!prev || prev->event != TR_EV_STEP_LINE || prev->hidden || prev->line != close ||
        line == close || close == a->f->open_line || !same_place(prev, depth, a->cfa, close))
        return;
    s->trace->nsteps--;
    s->visible--;
}

static void on_statement(struct stepper *s, const struct dw_func *f, tr_addr pc, int line)
{
    tr_addr cfa = s->regs.fp + 16;
    if (sync_frame(s, f, cfa) != TR_OK) {
        s->stop_tracing = 1;
        return;
    }
    size_t depth = s->nacts;
    struct act *a = &s->acts[depth - 1];
    drop_stray_close(s, depth, a, line);
    if (a->call_pending) {
        struct tr_step *prev = last_step(s);
        /* return then call from the same caller: show the caller between */
        if (prev && prev->event == TR_EV_RETURN && depth >= 2 && prev->nframes == depth &&
            prev->frames[depth - 2].frame_id == s->acts[depth - 2].cfa) {
            if (!emit(s, TR_EV_STEP_LINE, depth - 1, NULL))
                return;
        }
        a->call_pending = 0;
        /* a write that fails leaves the frame as it was: values, no marks */
        a->filled = s->fill && tr_fill_frame(s->t, f, a->cfa, s->regs.sp) == TR_OK;
        a->pc = pc;
        a->line = f->open_line;
        if (!emit(s, TR_EV_CALL, depth, NULL))
            return;
        if (line == f->open_line)
            return;
    } else if (same_place(last_step(s), depth, a->cfa, line) && pc > a->pc &&
               (last_step(s)->event == TR_EV_STEP_LINE || last_step(s)->event == TR_EV_CALL)) {
        /* further along the same line: still the same step. Jumping back
           to it (a loop on one line) is a new step. */
        a->pc = pc;
        return;
    }
    a->pc = pc;
    a->line = line;
    emit(s, TR_EV_STEP_LINE, depth, NULL);
}

static void on_return(struct stepper *s, size_t k)
{
    /* activations above k were unwound without returning */
    while (s->nacts > k + 1)
        pop_act(s);
    struct act *a = &s->acts[k];
    if (a->call_pending) {
        /* never reached a statement (cannot happen at -O0); still show it */
        a->call_pending = 0;
        if (!emit(s, TR_EV_CALL, k + 1, NULL))
            return;
    }
    struct tr_step *prev = last_step(s), *st;
    int merge = prev && prev->event == TR_EV_STEP_LINE && !prev->hidden &&
                same_place(prev, k + 1, a->cfa, a->line);
    /* __return__ is a pointer like any other for heap typing: its pointers
       join the closing line's (merge) or go on to the return step's capture */
    struct tr_var rv = {"__return__", NULL};
    if (a->f->ret_type) {
        if (merge)
            tr_val_carry(s->val);
        tr_val_begin(s->val);
        rv.value = return_value(s, a->f);
        if (merge && rv.value && rv.value->kind != TR_V_SCALAR &&
            (read_heap(s, prev) != 0 || tr_val_literals(s->val, prev) != 0)) {
            tr_val_end(s->val);
            out_of_space(s);
            return;
        }
        tr_val_end(s->val);
        if (!merge)
            tr_val_carry(s->val);
    }
    if (merge) {
        /* The closing line and the return are one step. Keep the state
           seen at the closing line - before C++ destructors ran in the
           epilogue - and add the value that came back (and the heap
           block it alone points to, typed now). */
        st = prev;
        st->event = TR_EV_RETURN;
        if (rv.value) {
            struct tr_frame *fr = &st->frames[k];
            fr->vars[fr->nvars++] = rv;
        }
    } else {
        st = emit(s, TR_EV_RETURN, k + 1, rv.value ? &rv : NULL);
    }
    if (st && k == 0) {
        st->has_exit_code = 1;
        st->exit_code = (int)(int32_t)s->regs.rax;
    }
    if (k == 0) {
        s->main_returned = 1;
        note_rt_limits(s); /* the return may reuse the last step's capture */
    }
    pop_act(s);
}

static void on_breakpoint(struct stepper *s, tr_addr pc)
{
    /* returns first: a return address can also start the caller's next line */
    if (ret_find(s, pc)) {
        for (size_t k = s->nacts; k-- > 0;) {
            if (s->acts[k].ret == pc && s->acts[k].cfa == s->regs.sp) {
                on_return(s, k);
                break;
            }
        }
        if (s->main_returned || s->stop_tracing)
            return;
    }
    const struct dw_func *f = dw_index_func_at(s->ix, pc);
    if (!f)
        return;
    if (f->low_pc == pc) {
        on_entry(s, f);
        return;
    }
    int line = line_at_stop(s, pc);
    if (line)
        on_statement(s, f, pc, line);
}

/* ---- signals and the end ------------------------------------------------- */

static const char *signal_label(int sig)
{
    switch (sig) {
    case SIGSEGV: return "Segmentation fault";
    case SIGBUS: return "Bus error";
    case SIGFPE: return "Floating point exception";
    case SIGABRT: return "Aborted";
    case SIGILL: return "Illegal instruction";
    case SIGTRAP: return "Trace/breakpoint trap";
    case SIGKILL: return "Killed";
    case SIGXCPU: return "CPU time limit exceeded";
    case SIGXFSZ: return "File size limit exceeded";
    case SIGPIPE: return "Broken pipe";
    case SIGTERM: return "Terminated";
    default: return NULL;
    }
}

/* The last line of `text` that starts with `prefix`, copied into out. */
static int find_line(const char *text, size_t len, const char *prefix, char *out, size_t cap)
{
    int found = 0;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *hit = plen <= end - i ? strstr(text + i, prefix) : NULL;
        if (hit && hit < text + end) {
            size_t n = (size_t)(text + end - hit);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, hit, n);
            out[n] = '\0';
            found = 1;
        }
        i = end + 1;
    }
    return found;
}

/* Why SIGABRT: an uncaught C++ exception or a failed assert say so on
   stderr before aborting. */
static const char *abort_message(struct stepper *s)
{
    struct tr_trace *tr = s->trace;
    char line[512], what[512];
    drain_output(s);
    const char *err = tr->err ? tr->err : "";
    if (find_line(err, tr->err_len, "terminate called after throwing an instance of '", line,
                  sizeof line)) {
        char *type = line + strlen("terminate called after throwing an instance of '");
        char *q = strrchr(type, '\'');
        if (q)
            *q = '\0';
        if (find_line(err, tr->err_len, "what():", what, sizeof what)) {
            const char *w = what + strlen("what():");
            while (*w == ' ')
                w++;
            return tr_arena_printf(tr->arena, "Uncaught exception %s: %s", type, w);
        }
        return tr_arena_printf(tr->arena, "Uncaught exception %s", type);
    }
    if (find_line(err, tr->err_len, "terminate called without an active exception", line,
                  sizeof line))
        return "Aborted: std::terminate was called without an active exception";
    if (find_line(err, tr->err_len, "Assertion `", line, sizeof line)) {
        char *cond = strstr(line, "Assertion `") + strlen("Assertion `");
        char *q = strstr(cond, "' failed");
        if (q)
            *q = '\0';
        return tr_arena_printf(tr->arena, "Assertion failed: %s", cond);
    }
    /* glibc's heap checks abort with one line saying what they found */
    static const char *const heap[] = {"free(): ", "double free or corruption", "malloc(): ",
                                       "realloc(): ", "munmap_chunk(): ",
                                       "corrupted size vs. prev_size"};
    for (size_t i = 0; i < sizeof heap / sizeof heap[0]; i++)
        if (find_line(err, tr->err_len, heap[i], line, sizeof line))
            return tr_arena_printf(tr->arena, "Aborted by the C library's heap check: %s", line);
    return "Aborted: abort() was called";
}

static const char *fault_message(struct stepper *s, const struct pending_signal *p)
{
    struct tr_arena *a = s->trace->arena;
    const char *label = signal_label(p->signo);
    if (p->signo == SIGSEGV || p->signo == SIGBUS) {
        uint64_t addr = p->fault_addr;
        if (addr == p->pc && p->returning)
            return tr_arena_printf(a, "%s: %s returned to address 0x%llX, where there is no "
                                      "code: its return address was overwritten (writing past "
                                      "the end of a local array?)",
                                   label, p->returning, (unsigned long long)addr);
        if (addr == p->pc)
            return tr_arena_printf(a, "%s: jump to address 0x%llX, where there is no code: %s",
                                   label, (unsigned long long)addr, TR_JUMP_WHY);
        if (addr + 65536 >= p->sp && addr < p->sp + 65536 && addr > 65536)
            return tr_arena_printf(a, "%s: stack overflow (infinite recursion?) at address "
                                      "0x%llX", label, (unsigned long long)addr);
        if (p->fault_seen)
            return tr_arena_printf(a, "%s: invalid %s at address 0x%llX", label,
                                   (p->fault_err & 2) ? "write" : "read",
                                   (unsigned long long)addr);
        return tr_arena_printf(a, "%s: invalid memory access at address 0x%llX", label,
                               (unsigned long long)addr);
    }
    if (p->signo == SIGFPE) {
        switch (p->fault_code) {
        case FPE_INTDIV: return "Floating point exception: integer division by zero";
        case FPE_INTOVF: return "Floating point exception: integer overflow";
        case FPE_FLTDIV: return "Floating point exception: division by zero";
        default: return "Floating point exception";
        }
    }
    if (p->signo == SIGABRT)
        return abort_message(s);
    if (label)
        return label;
    return tr_arena_printf(a, "Killed by signal %d", p->signo);
}

/* At a signal stop: remember the state in case the signal is fatal. */
static void on_signal(struct stepper *s, const struct tr_stop *stop)
{
    struct pending_signal *p = &s->sig;
    memset(p, 0, sizeof *p);
    p->signo = stop->signo;
    p->fault_addr = stop->fault_addr;
    p->fault_code = stop->fault_code;
    p->sp = s->regs.sp;
    p->pc = stop->pc;
    if (s->rt_addr) {
        struct spp_rt hdr;
        if (tr_target_read(s->t, s->rt_addr, &hdr, SPP_RT_HEADER_SIZE) == TR_OK) {
            s->rt_limits |= hdr.limits; /* the crash may follow a failed allocation */
            if (hdr.fault_seen && (stop->signo == SIGSEGV || stop->signo == SIGBUS)) {
                p->fault_seen = 1;
                p->fault_err = hdr.fault_err;
                p->fault_addr = hdr.fault_addr;
            }
        }
    }
    if (s->nacts == 0 || s->main_returned)
        return;
    /* the line of the crash: the statement at pc when it is user code */
    struct act *a = &s->acts[s->nacts - 1];
    /* fetching code at a bad address right after a `ret`: the word just
       popped is that address */
    uint64_t popped;
    if ((stop->signo == SIGSEGV || stop->signo == SIGBUS) && p->fault_addr == stop->pc &&
        tr_target_read(s->t, s->regs.sp - 8, &popped, 8) == TR_OK && popped == stop->pc)
        p->returning = a->f->name;
    const struct dw_func *f = dw_index_func_at(s->ix, stop->pc);
    int line = f == a->f ? dw_index_line_at(s->ix, stop->pc) : 0;
    int saved_line = a->line;
    tr_addr saved_pc = a->pc;
    if (line) {
        a->line = line;
        a->pc = stop->pc;
    }
    drain_output(s);
    if (capture(s, &p->step, TR_EV_EXCEPTION, s->nacts, NULL) == 0)
        p->valid = 1;
    a->line = saved_line;
    a->pc = saved_pc;
}

/* Append a final step saying why the trace ended: the state of the last
   step with the end event (used when the process cannot be inspected). */
static void end_with(struct stepper *s, enum tr_event ev, const char *msg)
{
    struct tr_trace *tr = s->trace;
    struct tr_step *prev = last_step(s);
    if (!prev) {
        /* Ended before main's first line (a limit hit in a global's
           constructor, or in Valgrind's start-up): one step at main that
           says why, so the student reads the limit, not an internal error. */
        struct tr_step *st = tr_trace_append(tr);
        if (!st)
            return;
        memset(st, 0, sizeof *st);
        s->visible++;
        st->event = ev;
        st->line = s->main_line;
        st->func_name = "main";
        st->exception_msg = msg;
        st->stdout_len = tr->out_len;
        return;
    }
    if (prev->event == TR_EV_LIMIT || prev->event == TR_EV_EXCEPTION)
        return;
    struct tr_step copy = *prev;
    if (s->visible >= s->cfg->max_steps) {
        tr->nsteps--; /* stay within maxSteps: the end replaces the last step */
        s->visible--;
    }
    struct tr_step *st = tr_trace_append(tr);
    if (!st)
        return;
    s->visible++;
    *st = copy;
    st->hidden = 0;
    st->event = ev;
    st->exception_msg = msg;
    st->stdout_len = tr->out_len;
    st->mc = NULL;
    st->nmc = 0;
}

static double children_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A SIGKILL is the CPU hard limit when the program (reaped by now) used
   about that much CPU time; unknown limit: assume it was. */
static int used_cpu_limit(const struct stepper *s)
{
    if (s->cfg->cpu_limit_s <= 0)
        return 1;
    return children_cpu_s() - s->cpu_at_start >= s->cfg->cpu_limit_s - 0.5;
}

/* A resource limit the program met explains how it ended better than what
   it did next (crashed on a NULL from malloc, aborted on std::bad_alloc,
   looped on a failing fork until a step or time limit). */
static void classify_limits(struct stepper *s)
{
    struct tr_trace *tr = s->trace;
    if (!s->rt_limits)
        return;
    switch (tr->outcome) {
    case TR_OUT_OK:
    case TR_OUT_RUNTIME_ERROR:
    case TR_OUT_TIME_LIMIT:
    case TR_OUT_STEP_LIMIT:
        break;
    default:
        return;
    }
    const char *why = tr->end_message;
    if (s->rt_limits & SPP_RT_LIMIT_PROCESS) {
        tr->outcome = TR_OUT_PROCESS_LIMIT;
        tr->end_message = "Process limit reached: the program could not start more "
                          "processes or threads";
    } else {
        tr->outcome = TR_OUT_MEMORY_LIMIT;
        tr->end_message = "Memory limit exceeded: the program could not allocate more memory";
    }
    if (why)
        tr->end_message = tr_arena_printf(tr->arena, "%s (then: %s)", tr->end_message, why);
}

static void on_killed(struct stepper *s, int signo)
{
    struct tr_trace *tr = s->trace;
    struct pending_signal *p = &s->sig;
    tr->signo = signo;
    tr->outcome = TR_OUT_RUNTIME_ERROR;
    if (signo == SIGKILL && !p->valid && !used_cpu_limit(s)) {
        /* not the CPU hard limit: killed by itself, or by the engine (which
           says why, e.g. the program called exec) */
        tr->end_message = s->t->errbuf[0] ? tr_arena_printf(tr->arena, "Killed: %s",
                                                            s->t->errbuf)
                                           : "Killed";
        end_with(s, TR_EV_EXCEPTION, tr->end_message);
        return;
    }
    if (signo == SIGXCPU || (signo == SIGKILL && !p->valid)) {
        tr->outcome = TR_OUT_TIME_LIMIT;
        tr->end_message = "Time limit exceeded: the program used too much CPU time "
                          "(infinite loop?)";
        end_with(s, TR_EV_EXCEPTION, tr->end_message);
        return;
    }
    if (signo == SIGXFSZ) {
        tr->outcome = TR_OUT_OUTPUT_LIMIT;
        tr->end_message = "Output limit exceeded: the program wrote too much";
        end_with(s, TR_EV_EXCEPTION, tr->end_message);
        return;
    }
    if (p->valid && p->signo == signo) {
        const char *msg = fault_message(s, p);
        tr->end_message = msg;
        if (s->visible >= s->cfg->max_steps) {
            tr->nsteps--;
            s->visible--;
        }
        struct tr_step *st = tr_trace_append(tr);
        if (st) {
            s->visible++;
            *st = p->step;
            st->exception_msg = msg;
            drain_output(s);
            st->stdout_len = tr->out_len;
        }
        return;
    }
    struct pending_signal q = {.signo = signo};
    tr->end_message = fault_message(s, &q);
    end_with(s, TR_EV_EXCEPTION, tr->end_message);
}

void tr_step_end_wall_limit(struct tr_target *t, struct tr_trace *trace, int wall_limit_s)
{
    trace->outcome = TR_OUT_TIME_LIMIT;
    trace->end_message = tr_arena_printf(
        trace->arena, "Time limit exceeded: stopped after %d s (infinite loop?)", wall_limit_s);
    tr_target_kill(t);
}

/* ---- memcheck findings ---------------------------------------------------- */

static struct tr_mc_frame *user_stack(struct stepper *s, const struct tr_tool_frame *fr,
                                      size_t n, uint32_t *count)
{
    struct tr_mc_frame *out = tr_arena_alloc(s->trace->arena, (n ? n : 1) * sizeof *out);
    *count = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const struct dw_func *f = dw_index_func_at(s->ix, fr[i].pc);
        if (!f)
            continue;
        out[*count].func = f->name;
        out[*count].line = dw_index_line_at(s->ix, fr[i].pc);
        (*count)++;
    }
    return out;
}

static struct tr_mc_error *convert_errors(struct stepper *s, const struct tr_tool_error *e,
                                          size_t n)
{
    struct tr_arena *ar = s->trace->arena;
    if (s->cfg->mc_convert)
        return s->cfg->mc_convert(s->cfg->mc_ctx, ar, s->ix, e, n);
    struct tr_mc_error *out = tr_arena_alloc(ar, (n ? n : 1) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct tr_mc_error *m = &out[i];
        m->kind = tr_arena_strdup(ar, e[i].kind ? e[i].kind : "Error");
        m->addr = e[i].addr;
        m->size = e[i].size;
        m->stack = user_stack(s, e[i].stack, e[i].nstack, &m->nstack);
        uint32_t naux = 0;
        struct tr_mc_frame *aux = user_stack(s, e[i].aux_stack, e[i].naux_stack, &naux);
        const char *what = e[i].what ? e[i].what : m->kind;
        if (e[i].auxwhat && aux && naux)
            m->block = tr_arena_printf(ar, "%s (line %d in %s)", e[i].auxwhat, aux[0].line,
                                       aux[0].func);
        else if (e[i].auxwhat)
            m->block = tr_arena_strdup(ar, e[i].auxwhat);
        m->message = m->block ? tr_arena_printf(ar, "%s: %s", what, m->block)
                              : tr_arena_strdup(ar, what);
    }
    return out;
}

static void on_tool_errors(struct stepper *s, const struct tr_stop *stop)
{
    struct tr_step *st = last_step(s);
    if (!st || stop->nerrors == 0)
        return;
    struct tr_mc_error *e = convert_errors(s, stop->errors, stop->nerrors);
    if (!e)
        return;
    struct tr_arena *ar = s->trace->arena;
    struct tr_mc_error *all = tr_arena_alloc(ar, (st->nmc + stop->nerrors) * sizeof *all);
    if (!all)
        return;
    if (st->nmc)
        memcpy(all, st->mc, st->nmc * sizeof *all);
    memcpy(all + st->nmc, e, stop->nerrors * sizeof *all);
    st->mc = all;
    st->nmc += (uint32_t)stop->nerrors;
    const char *msg = st->exception_msg;
    for (size_t i = 0; i < stop->nerrors; i++)
        msg = msg ? tr_arena_printf(ar, "%s\n%s", msg, e[i].message) : e[i].message;
    st->exception_msg = msg;
}

/* ---- the loop ------------------------------------------------------------- */

static enum tr_err insert_all(struct stepper *s)
{
    for (size_t i = 0; i < s->nlines; i++) {
        enum tr_err rc = tr_target_insert_bp(s->t, s->lines[i].addr);
        if (rc)
            return rc;
    }
    size_t nf;
    const struct dw_func *fs = dw_index_funcs(s->ix, &nf);
    for (size_t i = 0; i < nf; i++) {
        enum tr_err rc = tr_target_insert_bp(s->t, fs[i].low_pc);
        if (rc)
            return rc;
    }
    return TR_OK;
}

static void remove_all(struct stepper *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        (void)tr_target_remove_bp(s->t, s->lines[i].addr);
    size_t nf;
    const struct dw_func *fs = dw_index_funcs(s->ix, &nf);
    for (size_t i = 0; i < nf; i++)
        (void)tr_target_remove_bp(s->t, fs[i].low_pc);
    for (size_t i = 0; i < s->nrets; i++)
        (void)tr_target_remove_bp(s->t, s->rets[i].addr);
    s->nrets = 0;
}

/* Start of main: plant everything, remember where allocations start. */
static enum tr_err at_main(struct stepper *s, const struct dw_func *main_fn)
{
    enum tr_err rc = insert_all(s);
    if (rc)
        return rc;
    if (s->rt_addr) {
        struct spp_rt hdr;
        if (tr_target_read(s->t, s->rt_addr, &hdr, SPP_RT_HEADER_SIZE) == TR_OK &&
            hdr.magic == SPP_RT_MAGIC)
            s->main_seq = hdr.seq;
        else
            s->rt_addr = 0;
    }
    on_entry(s, main_fn);
    return TR_OK;
}

enum tr_err tr_step_run(struct tr_target *t, const struct dw_index *ix,
                        const struct tr_step_cfg *cfg, struct tr_trace *trace, char *errbuf)
{
    struct stepper s = {.t = t, .ix = ix, .cfg = cfg, .trace = trace, .out_fd = -1,
                        .err_fd = -1, .errbuf = errbuf};
    enum tr_err rc = TR_OK;
    int started = 0;
    dw_addr rt;

    const struct dw_func *main_fn = dw_index_func_named(ix, "main");
    if (!main_fn) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the program has no main function in the user's file");
        return TR_ERR_DWARF;
    }
    s.lines = dw_index_lines(ix, &s.nlines);
    s.acts = calloc(MAX_ACTS, sizeof *s.acts);
    s.val = tr_val_new(t, ix, trace->arena);
    size_t nf;
    s.funcs = dw_index_funcs(ix, &nf);
    s.close_line = calloc(nf ? nf : 1, sizeof *s.close_line);
    if (!s.acts || !s.val || !s.close_line) {
        rc = TR_ERR_NOMEM;
        goto out;
    }
    /* a function's closing line: the last line any of its statements is on */
    for (size_t i = 0, fi = 0; i < s.nlines && fi < nf;) {
        if (s.lines[i].addr >= s.funcs[fi].high_pc) {
            fi++;
            continue;
        }
        if (s.lines[i].addr >= s.funcs[fi].low_pc && s.lines[i].line > s.close_line[fi])
            s.close_line[fi] = s.lines[i].line;
        i++;
    }
    if (dw_index_symbol_addr(ix, SPP_RT_SYMBOL, &rt))
        s.rt_addr = rt;
    trace->outcome = TR_OUT_OK;
    s.cpu_at_start = children_cpu_s();
    s.fill = tr_fill_wanted(t);
    s.main_line = main_fn->open_line ? main_fn->open_line : main_fn->decl_line;
    rc = tr_target_insert_bp(t, main_fn->low_pc);
    if (rc)
        goto out;

    for (;;) {
        rc = tr_target_resume(t, TR_RESUME_CONT, 0);
        int deliver = 0;
        if (rc)
            break;
    wait_again:
        {
            struct tr_stop stop;
            rc = tr_target_wait(t, cfg->deadline_ms, &stop);
            if (rc == TR_ERR_TIMEOUT) {
                note_rt_limits(&s);
                tr_step_end_wall_limit(t, trace, cfg->wall_limit_s);
                end_with(&s, TR_EV_EXCEPTION, trace->end_message);
                rc = TR_OK;
                break;
            }
            if (rc)
                break;
            if (stop.kind == TR_STOP_EXITED) {
                trace->exit_code = stop.status;
                drain_output(&s);
                if (stop.nerrors) {
                    trace->end_errors = convert_errors(&s, stop.errors, stop.nerrors);
                    trace->nend_errors = trace->end_errors ? (uint32_t)stop.nerrors : 0;
                }
                break;
            }
            if (stop.kind == TR_STOP_KILLED) {
                drain_output(&s);
                if (!s.main_returned)
                    on_killed(&s, stop.signo);
                else
                    trace->signo = stop.signo;
                break;
            }
            if (tr_target_regs(t, &s.regs) != TR_OK) {
                rc = TR_ERR_GONE;
                break;
            }
            switch (stop.kind) {
            case TR_STOP_BREAKPOINT:
                if (!started) {
                    if (stop.pc != main_fn->low_pc)
                        break;
                    started = 1;
                    rc = at_main(&s, main_fn);
                    if (rc)
                        goto out;
                    break;
                }
                if (!s.main_returned)
                    on_breakpoint(&s, stop.pc);
                if (s.main_returned)
                    remove_all(&s);
                break;
            case TR_STOP_SIGNAL:
                deliver = stop.signo;
                if (started && !s.main_returned)
                    on_signal(&s, &stop);
                break;
            case TR_STOP_TOOL_ERROR:
                if (started && !s.main_returned)
                    on_tool_errors(&s, &stop);
                break;
            case TR_STOP_STEP:
            case TR_STOP_EXITED:
            case TR_STOP_KILLED:
                break;
            }
            if (s.stop_tracing) {
                tr_target_kill(t);
                if (trace->outcome == TR_OUT_OUTPUT_LIMIT && trace->end_message)
                    end_with(&s, TR_EV_EXCEPTION, trace->end_message);
                break;
            }
            if (deliver) {
                rc = tr_target_resume(t, TR_RESUME_CONT, deliver);
                if (rc)
                    break;
                /* delivered once: the stops its handler meets are plain */
                deliver = 0;
                goto wait_again;
            }
        }
    }
out:
    if (rc == TR_ERR_GONE && trace->nsteps)
        rc = TR_OK;
    if (rc == TR_OK)
        classify_limits(&s);
    if (rc && !errbuf[0]) /* the target's own words when it has some */
        snprintf(errbuf, TR_ERRBUF_LEN, "%s", t->errbuf[0] ? t->errbuf : tr_strerror(rc));
    if (rc && trace->nsteps) {
        /* keep what was traced; say why it ended */
        trace->outcome = TR_OUT_TRACER_ERROR;
        trace->end_message = tr_arena_printf(trace->arena, "Tracing stopped: %s", errbuf);
        end_with(&s, TR_EV_EXCEPTION, trace->end_message);
        rc = TR_OK;
    }
    if (s.out_fd >= 0)
        close(s.out_fd);
    if (s.err_fd >= 0)
        close(s.err_fd);
    free(s.close_line);
    free(s.acts);
    free(s.rets);
    tr_val_free(s.val);
    return rc;
}
