/*
 * merge.c - one answer from two runs of the same program: the fast ptrace
 * trace and the Valgrind trace of memcheck mode.
 *
 * Key idea: a deterministic program takes the same steps in both runs, so
 * the runs correspond step by step by index, and within a step value by
 * value by path: frame index and variable name, then member name or
 * element index; globals by name; heap blocks by allocation order (the
 * heap table's seq), because block addresses differ under Valgrind. Two
 * steps are "the same" when their event, line, function and stack of
 * function names agree. Then memcheck's findings go onto the ptrace step
 * of the same index (memcheckErrors, exceptionMsg) and every value
 * Valgrind saw uninitialised shows "<UNINITIALIZED>" at the same path;
 * addresses, output and exit status stay the native ones.
 *
 * When the runs differ (input-dependent timing, uninitialised memory that
 * happens to steer control differently, glibc aborting a double free that
 * Valgrind survives), the Valgrind trace is served instead - it is the one
 * whose findings are true of what is shown - and memcheck.note says where
 * they parted. When Valgrind stopped early at its own limit but agreed up
 * to there, the ptrace trace gets the findings of that prefix.
 */
#include "run/vg_engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int same_step(const struct tr_step *a, const struct tr_step *b)
{
    if (a->event != b->event || a->line != b->line || a->nframes != b->nframes ||
        !same_str(a->func_name, b->func_name))
        return 0;
    for (uint32_t i = 0; i < a->nframes; i++)
        if (!same_str(a->frames[i].func_name, b->frames[i].func_name))
            return 0;
    return 1;
}

/* ---- copying findings across arenas --------------------------------------- */

static const char *dup(struct tr_arena *a, const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = tr_arena_strdup(a, s);
    if (!d)
        *bad = 1;
    return d;
}

static struct tr_mc_frame *dup_frames(struct tr_arena *a, const struct tr_mc_frame *f, uint32_t n,
                                      int *bad)
{
    if (!f || !n)
        return NULL;
    struct tr_mc_frame *d = tr_arena_alloc(a, n * sizeof *d);
    if (!d) {
        *bad = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        d[i] = (struct tr_mc_frame){dup(a, f[i].func, bad), f[i].line};
    return d;
}

struct tr_mc_error *vg_dup_errors(struct tr_arena *a, const struct tr_mc_error *e, uint32_t n,
                                      uint32_t extra, int *bad)
{
    struct tr_mc_error *d = tr_arena_alloc(a, (n + extra ? n + extra : 1) * sizeof *d);
    if (!d) {
        *bad = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        d[extra + i] = e[i];
        struct tr_mc_error *x = &d[extra + i];
        x->kind = dup(a, e[i].kind, bad);
        x->message = dup(a, e[i].message, bad);
        x->block = dup(a, e[i].block, bad);
        x->stack = dup_frames(a, e[i].stack, e[i].nstack, bad);
        x->alloc = dup_frames(a, e[i].alloc, e[i].nalloc, bad);
        x->freed = dup_frames(a, e[i].freed, e[i].nfreed, bad);
    }
    return d;
}

int vg_fold_errors(struct tr_trace *pt, struct tr_step *ps, const struct tr_step *vs)
{
    if (!vs->nmc)
        return 0;
    int bad = 0;
    struct tr_mc_error *all = vg_dup_errors(pt->arena, vs->mc, vs->nmc, ps->nmc, &bad);
    if (!all || bad)
        return -1;
    if (ps->nmc)
        memcpy(all, ps->mc, ps->nmc * sizeof *all);
    const char *msg = ps->exception_msg;
    for (uint32_t i = 0; i < vs->nmc; i++) {
        const char *m = all[ps->nmc + i].message;
        msg = msg ? tr_arena_printf(pt->arena, "%s\n%s", msg, m) : m;
        if (!msg)
            return -1;
    }
    ps->mc = all;
    ps->nmc += vs->nmc;
    ps->exception_msg = msg;
    return 0;
}

/* ---- uninitialised values ----------------------------------------------------- */

static void fold_vars(struct tr_var *d, uint32_t nd, const struct tr_var *s, uint32_t ns)
{
    for (uint32_t i = 0; i < nd; i++) {
        /* the same index first: variables come in declaration order */
        const struct tr_var *m = i < ns && same_str(d[i].name, s[i].name) ? &s[i] : NULL;
        for (uint32_t j = 0; !m && j < ns; j++)
            if (same_str(d[i].name, s[j].name))
                m = &s[j];
        if (m)
            tr_value_copy_uninit(d[i].value, m->value);
    }
}

static int cmp_seq(const void *a, const void *b)
{
    const struct tr_heap_block *x = *(const struct tr_heap_block *const *)a;
    const struct tr_heap_block *y = *(const struct tr_heap_block *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void fold_heap(struct tr_arena *a, struct tr_step *ps, const struct tr_step *vs)
{
    if (!ps->nheap || !vs->nheap)
        return;
    const struct tr_heap_block **by_seq = malloc(vs->nheap * sizeof *by_seq);
    if (!by_seq)
        return;
    for (uint32_t i = 0; i < vs->nheap; i++)
        by_seq[i] = &vs->heap[i];
    qsort(by_seq, vs->nheap, sizeof *by_seq, cmp_seq);
    for (uint32_t i = 0; i < ps->nheap; i++) {
        struct tr_heap_block *d = &ps->heap[i];
        if (!d->seq)
            continue;
        struct tr_heap_block key = {.seq = d->seq};
        const struct tr_heap_block *kp = &key;
        const struct tr_heap_block **m = bsearch(&kp, by_seq, vs->nheap, sizeof *by_seq, cmp_seq);
        if (!m || (*m)->size != d->size)
            continue;
        /* a value other steps show too: marks for this step go on a copy */
        if (d->value->shared && tr_value_has_uninit((*m)->value)) {
            struct tr_value *own = tr_value_clone(a, d->value);
            if (!own)
                continue;
            d->value = own;
        }
        tr_value_copy_uninit(d->value, (*m)->value);
    }
    free(by_seq);
}

static void fold_values(struct tr_arena *a, struct tr_step *ps, const struct tr_step *vs)
{
    for (uint32_t j = 0; j < ps->nframes && j < vs->nframes; j++)
        fold_vars(ps->frames[j].vars, ps->frames[j].nvars, vs->frames[j].vars, vs->frames[j].nvars);
    fold_vars(ps->globals, ps->nglobals, vs->globals, vs->nglobals);
    fold_heap(a, ps, vs);
}

/* ---- the decision --------------------------------------------------------------- */

/* Did the Valgrind run stop at a limit of its own (not the program's doing)? */
static int stopped_early(const struct tr_trace *pt, const struct tr_trace *vg)
{
    switch (vg->outcome) {
    case TR_OUT_TIME_LIMIT:
    case TR_OUT_TRACER_ERROR:
    case TR_OUT_OUTPUT_LIMIT:
    case TR_OUT_MEMORY_LIMIT:
        return vg->outcome != pt->outcome;
    case TR_OUT_OK:
    case TR_OUT_COMPILE_ERROR:
    case TR_OUT_COMPILE_LIMIT:
    case TR_OUT_RUNTIME_ERROR:
    case TR_OUT_PROCESS_LIMIT:
    case TR_OUT_STEP_LIMIT:
    case TR_OUT_INTERNAL_ERROR:
        break;
    }
    return 0;
}

static const char *where(struct tr_arena *a, const struct tr_trace *t, size_t k)
{
    if (k >= t->nsteps)
        return t->end_message ? tr_arena_printf(a, "it had ended (%s)", t->end_message)
                              : "it had ended";
    const struct tr_step *s = &t->steps[k];
    if (s->event == TR_EV_EXCEPTION && s->exception_msg)
        return tr_arena_printf(a, "line %d in %s: %s", s->line, s->func_name ? s->func_name : "?",
                               s->exception_msg);
    return tr_arena_printf(a, "line %d in %s", s->line, s->func_name ? s->func_name : "?");
}

static int fold_all(struct tr_trace *pt, const struct tr_trace *vg, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fold_values(pt->arena, &pt->steps[i], &vg->steps[i]);
        if (vg_fold_errors(pt, &pt->steps[i], &vg->steps[i]) != 0)
            return -1;
    }
    return 0;
}

void vg_merge(struct tr_result *res, struct tr_trace *vg)
{
    struct tr_trace *pt = res->trace;
    size_t np = pt->nsteps, nv = vg->nsteps, k = 0;
    while (k < np && k < nv && same_step(&pt->steps[k], &vg->steps[k]))
        k++;
    res->memcheck_ran = 1;
    if (k == np && k == nv) {
        int bad = 0;
        if (fold_all(pt, vg, np) != 0)
            bad = 1;
        if (!bad && vg->nend_errors) {
            pt->end_errors = vg_dup_errors(pt->arena, vg->end_errors, vg->nend_errors, 0, &bad);
            pt->nend_errors = pt->end_errors ? vg->nend_errors : 0;
        }
        if (bad || vg_finish_trace(pt) != 0) {
            res->memcheck_note = "memcheck ran, but its findings did not fit in memory";
            res->memcheck_partial = 1;
        }
        tr_trace_free(vg);
        return;
    }
    if (nv && stopped_early(pt, vg) && k + 1 >= nv) {
        /* its last step is the one saying why it stopped */
        int bad = fold_all(pt, vg, nv - 1) != 0 || vg_finish_trace(pt) != 0;
        res->memcheck_partial = 1;
        res->memcheck_note = tr_arena_printf(
            pt->arena,
            "Valgrind stopped early (%s): memory checking covers the first %zu of %zu steps%s",
            vg->end_message ? vg->end_message : tr_outcome_name(vg->outcome), nv - 1, np,
            bad ? "; some findings did not fit in memory" : "");
        tr_trace_free(vg);
        return;
    }
    /* the runs parted: Valgrind's trace is the one its findings describe */
    const char *note =
        tr_arena_printf(vg->arena,
                        "The program ran differently under Valgrind than natively from step %zu on "
                        "(natively: %s; under Valgrind: %s), so the trace shown is Valgrind's",
                        k + 1, where(vg->arena, pt, k), where(vg->arena, vg, k));
    vg->code = tr_arena_strdup(vg->arena, pt->code ? pt->code : "");
    vg->build_output = pt->build_output ? tr_arena_strdup(vg->arena, pt->build_output) : NULL;
    vg->engine = "valgrind";
    tr_trace_free(pt);
    res->trace = vg;
    res->engine = "valgrind";
    res->memcheck_note = note;
}
