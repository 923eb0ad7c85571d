/*
 * errwatch.c - a checking tool's run without steps (see errwatch.h).
 *
 * Key idea: the program stops only where the tool says something is wrong,
 * so the run costs what the tool costs. What places an error in another
 * run of the same program is read at that stop: the runtime's logical
 * clock (basic blocks entered so far, the same count in every run of a
 * deterministic program), the error's user frames (function, line, depth)
 * and the heap blocks around the address it is about, with their
 * allocation order (addresses differ between runs, the order does not).
 * Besides errors it stops twice: at main's entry (allocations before main
 * are not shown; errors before it are not the user's lines) and when main
 * returns (errors after it, in exit handlers, neither).
 */
#include "tracer/errwatch.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/rt/sppmon.h"

#define NEAR_BLOCK 4096 /* an address this far outside a block may be about it */

struct watcher {
    struct tr_target *t;
    const struct dw_index *ix;
    const struct tr_errwatch_cfg *cfg;
    struct tr_trace *trace;
    tr_addr rt_addr;   /* the runtime's table, 0 when absent */
    uint64_t main_seq; /* allocations before main */
    uint32_t nerrors;
    char *errbuf;
};

/* Is pc in a function of the user's file? */
static int is_user(const struct watcher *w, tr_addr pc)
{
    return pc && dw_index_func_at(w->ix, pc) != NULL;
}

/* The blocks of raw[0..n) whose neighbourhood holds addr, appended to out. */
static uint32_t near_blocks(const struct watcher *w, const struct spp_rt_block *raw, size_t n,
                            tr_addr addr, struct tr_heap_block *out, uint32_t have, uint32_t cap)
{
    for (size_t i = 0; i < n && have < cap; i++) {
        if (raw[i].seq <= w->main_seq)
            continue;
        tr_addr a = raw[i].addr ^ SPP_RT_ADDR_KEY;
        if (addr + NEAR_BLOCK < a || addr >= a + raw[i].size + NEAR_BLOCK)
            continue;
        struct tr_value *v = tr_arena_alloc(w->trace->arena, sizeof *v);
        if (!v)
            break;
        *v = (struct tr_value){.kind = TR_V_ARRAY, .addr = a, .size = raw[i].size,
                               .is_heap_block = 1};
        out[have++] = (struct tr_heap_block){a, raw[i].size, v, raw[i].seq - w->main_seq};
    }
    return have;
}

/* The runtime's table at this stop: live blocks, then the recently freed. */
struct rt_view {
    uint64_t clock;
    struct spp_rt_block *live, *freed;
    size_t nlive, nfreed;
};

static void read_rt(struct watcher *w, struct rt_view *v)
{
    memset(v, 0, sizeof *v);
    struct spp_rt hdr;
    if (!w->rt_addr || tr_target_read(w->t, w->rt_addr, &hdr, SPP_RT_HEADER_SIZE) != TR_OK ||
        hdr.magic != SPP_RT_MAGIC)
        return;
    v->clock = hdr.clock;
    size_t nl = hdr.nblocks > SPP_RT_MAX_BLOCKS ? SPP_RT_MAX_BLOCKS : (size_t)hdr.nblocks;
    size_t nf = hdr.nfreed > SPP_RT_FREED_RING ? SPP_RT_FREED_RING : (size_t)hdr.nfreed;
    v->live = nl ? malloc(nl * sizeof *v->live) : NULL;
    v->freed = nf ? malloc(nf * sizeof *v->freed) : NULL;
    if (v->live && tr_target_read(w->t, w->rt_addr + SPP_RT_HEADER_SIZE, v->live,
                                  nl * sizeof *v->live) == TR_OK)
        v->nlive = nl;
    tr_addr fr = w->rt_addr + (tr_addr)offsetof(struct spp_rt, freed);
    if (v->freed && tr_target_read(w->t, fr, v->freed, nf * sizeof *v->freed) == TR_OK)
        v->nfreed = nf;
}

/* One sparse step per finding of this stop. */
static enum tr_err on_errors(struct watcher *w, const struct tr_stop *stop)
{
    struct tr_trace *tr = w->trace;
    struct tr_arena *ar = tr->arena;
    if (!w->cfg->mc_convert || stop->nerrors == 0)
        return TR_OK;
    struct tr_mc_error *e =
        w->cfg->mc_convert(w->cfg->mc_ctx, ar, w->ix, stop->errors, stop->nerrors);
    if (!e)
        return TR_ERR_NOMEM;
    struct rt_view rt;
    read_rt(w, &rt);
    enum tr_err rc = TR_OK;
    for (size_t i = 0; i < stop->nerrors && w->nerrors < w->cfg->max_errors; i++, w->nerrors++) {
        const struct tr_tool_error *te = &stop->errors[i];
        const struct tr_mc_error *m = &e[i];
        struct tr_step *s = tr_trace_append(tr);
        if (!s) {
            rc = TR_ERR_NOMEM;
            break;
        }
        s->event = TR_EV_STEP_LINE;
        s->clock = rt.clock;
        s->mc = &e[i];
        s->nmc = 1;
        s->exception_msg = m->message;
        s->line = m->nstack ? m->stack[0].line : 0;
        s->func_name = m->nstack ? m->stack[0].func : "";
        /* a stack memcheck cut (--num-callers) ends in a user frame: then
           the depth is only a lower bound */
        s->pc = te->nstack && is_user(w, te->stack[te->nstack - 1].pc) ? 1 : 0;
        s->frames = tr_arena_alloc(ar, (m->nstack ? m->nstack : 1) * sizeof *s->frames);
        if (!s->frames) {
            rc = TR_ERR_NOMEM;
            break;
        }
        for (uint32_t k = 0; k < m->nstack; k++) {
            const struct tr_mc_frame *f = &m->stack[m->nstack - 1 - k];
            s->frames[k] = (struct tr_frame){.func_name = f->func, .line = f->line};
        }
        s->nframes = m->nstack;
        if (m->addr) {
            uint32_t cap = 8, n = 0;
            s->heap = tr_arena_alloc(ar, cap * sizeof *s->heap);
            if (s->heap) {
                n = near_blocks(w, rt.live, rt.nlive, m->addr, s->heap, n, cap);
                n = near_blocks(w, rt.freed, rt.nfreed, m->addr, s->heap, n, cap);
            }
            s->nheap = n;
        }
    }
    free(rt.live);
    free(rt.freed);
    return rc;
}

enum tr_err tr_errwatch_run(struct tr_target *t, const struct dw_index *ix,
                            const struct tr_errwatch_cfg *cfg, struct tr_trace *trace,
                            char *errbuf)
{
    struct watcher w = {.t = t, .ix = ix, .cfg = cfg, .trace = trace, .errbuf = errbuf};
    const struct dw_func *main_fn = dw_index_func_named(ix, "main");
    if (!main_fn) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the program has no main function in the user's file");
        return TR_ERR_DWARF;
    }
    dw_addr rt;
    if (dw_index_symbol_addr(ix, SPP_RT_SYMBOL, &rt))
        w.rt_addr = rt;
    trace->outcome = TR_OUT_OK;
    int started = 0, returned = 0;
    tr_addr ret_addr = 0;
    enum tr_err rc = tr_target_insert_bp(t, main_fn->low_pc);
    int deliver = 0;
    while (rc == TR_OK) {
        rc = tr_target_resume(t, TR_RESUME_CONT, deliver);
        if (rc)
            break;
        deliver = 0;
        struct tr_stop stop;
        rc = tr_target_wait(t, cfg->deadline_ms, &stop);
        if (rc == TR_ERR_TIMEOUT) {
            tr_step_end_wall_limit(t, trace, cfg->wall_limit_s);
            rc = TR_OK;
            break;
        }
        if (rc)
            break;
        if (stop.kind == TR_STOP_EXITED) {
            trace->exit_code = stop.status;
            if (stop.nerrors && cfg->mc_convert) {
                trace->end_errors = cfg->mc_convert(cfg->mc_ctx, trace->arena, ix, stop.errors,
                                                    stop.nerrors);
                trace->nend_errors = trace->end_errors ? (uint32_t)stop.nerrors : 0;
            }
            break;
        }
        if (stop.kind == TR_STOP_KILLED) {
            trace->signo = stop.signo;
            trace->exit_code = -1;
            trace->outcome = TR_OUT_RUNTIME_ERROR;
            break;
        }
        switch (stop.kind) {
        case TR_STOP_BREAKPOINT:
            if (!started && stop.pc == main_fn->low_pc) {
                struct tr_regs regs;
                struct spp_rt hdr;
                started = 1;
                (void)tr_target_remove_bp(t, main_fn->low_pc);
                if (w.rt_addr &&
                    tr_target_read(t, w.rt_addr, &hdr, SPP_RT_HEADER_SIZE) == TR_OK &&
                    hdr.magic == SPP_RT_MAGIC)
                    w.main_seq = hdr.seq;
                else
                    w.rt_addr = 0;
                /* at the entry, before the prologue: [sp] is where main returns to */
                if ((rc = tr_target_regs(t, &regs)) == TR_OK &&
                    (rc = tr_target_read(t, regs.sp, &ret_addr, sizeof ret_addr)) == TR_OK)
                    rc = tr_target_insert_bp(t, ret_addr);
            } else if (started && !returned && stop.pc == ret_addr) {
                returned = 1;
                (void)tr_target_remove_bp(t, ret_addr);
            }
            break;
        case TR_STOP_SIGNAL:
            deliver = stop.signo;
            break;
        case TR_STOP_TOOL_ERROR:
            if (started && !returned)
                rc = on_errors(&w, &stop);
            break;
        case TR_STOP_STEP:
        case TR_STOP_EXITED:
        case TR_STOP_KILLED:
            break;
        }
    }
    if (rc && !errbuf[0])
        snprintf(errbuf, TR_ERRBUF_LEN, "%s", t->errbuf[0] ? t->errbuf : tr_strerror(rc));
    return rc;
}
