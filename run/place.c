/*
 * place.c - memcheck mode with an unstopped Valgrind run: each finding of
 * that run onto the native step it happened on.
 *
 * Key idea: both runs execute the same binary, whose runtime counts the
 * basic blocks of the user's code (spp_rt.clock). The native stepper reads
 * that clock at every step; the Valgrind run reads it at every error stop
 * with the error's user frames (tracer/errwatch.h). An error at clock C
 * whose innermost user frame is function f, line L, at depth d (user
 * frames on the stack) happened during the LAST native step with clock
 * <= C that is at (f, L, d): a later pass over the line has entered more
 * blocks. Steps can share a clock (no block starts between them: the call
 * and return steps of a one-line function, a loop's `i++` back on the
 * header line, the caller's line right after a return); of those, the
 * EARLIEST is the one, because the error happened during the step's line,
 * before the next step. No step at (f, L, d): the last step with clock
 * <= C, and the note says the runs could not be aligned exactly there. An
 * error with no user frame at all (a jump to a smashed return address)
 * goes on the earliest step at the last clock <= C.
 *
 * Addresses of the Valgrind run move to the native run's by allocation
 * order: the error step carries the blocks around its address with their
 * allocation numbers; the native steps' heap tables say where the block
 * with that number lives natively. Then the finding is worded from the
 * native step's state (describe.c: the variables that point to the block,
 * the uninitialised variables of the function at that step).
 */
#include "run/vg_engine_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

#define NEAR_BLOCK 4096 /* as describe.c: an address this far past a block is about it */

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Is native step s where the error step e's innermost frame is? */
static int at_frame(const struct tr_step *s, const struct tr_step *e)
{
    if (s->line != e->line || !same_str(s->func_name, e->func_name))
        return 0;
    /* e->pc = 1: memcheck cut the stack, its depth is a lower bound */
    return e->pc == 1 ? s->nframes >= e->nframes : s->nframes == e->nframes;
}

size_t vg_place_step(const struct tr_trace *pt, const struct tr_step *e, int *exact)
{
    *exact = 0;
    size_t n = pt->nsteps;
    if (n == 0 || e->clock > pt->steps[n - 1].clock)
        return VG_NOWHERE;
    size_t last = VG_NOWHERE; /* the last step with clock <= C */
    for (size_t i = n; i-- > 0;) {
        const struct tr_step *s = &pt->steps[i];
        if (s->clock > e->clock)
            continue;
        if (last == VG_NOWHERE)
            last = i;
        if (!at_frame(s, e))
            continue;
        /* the earliest step at (f, L, d) with this same clock */
        size_t best = i;
        for (size_t k = i; k-- > 0 && pt->steps[k].clock == s->clock;)
            if (at_frame(&pt->steps[k], e))
                best = k;
        *exact = 1;
        return best;
    }
    if (e->nframes == 0 && last != VG_NOWHERE) {
        /* no user frame to align by (a jump to nowhere): the clock alone,
           the earliest step at it - not the crash's step that follows */
        *exact = 1;
        while (last > 0 && pt->steps[last - 1].clock == pt->steps[last].clock)
            last--;
    }
    return last;
}

/* Where the block with allocation number seq lives natively, looking back
   from step idx (a freed block is in the steps before its free). */
static int native_block(const struct tr_trace *pt, size_t idx, uint64_t seq, tr_addr *addr)
{
    for (size_t i = idx + 1; i-- > 0;) {
        const struct tr_step *s = &pt->steps[i];
        for (uint32_t k = 0; k < s->nheap; k++)
            if (s->heap[k].seq == seq) {
                *addr = s->heap[k].addr;
                return 1;
            }
    }
    return 0;
}

/* m->addr, an address of the Valgrind run, as the native run's: the block
   it is about (the one memcheck names, else the one just below it) by
   allocation order. Left alone when no block maps. */
static void to_native(const struct tr_trace *pt, size_t idx, const struct tr_step *e,
                      struct tr_mc_error *m)
{
    if (!m->addr || !e->nheap)
        return;
    const struct tr_heap_block *vb = NULL;
    tr_addr base;
    uint64_t size;
    if (vg_block_of(m, &base, &size))
        for (uint32_t k = 0; k < e->nheap && !vb; k++)
            if (e->heap[k].addr == base && e->heap[k].size == size)
                vb = &e->heap[k];
    for (uint32_t k = 0; k < e->nheap && !vb; k++) {
        const struct tr_heap_block *b = &e->heap[k];
        if (b->addr <= m->addr && m->addr - b->addr < b->size + NEAR_BLOCK &&
            (!vb || b->addr > vb->addr))
            vb = b;
    }
    tr_addr nat;
    if (vb && vb->seq && native_block(pt, idx, vb->seq, &nat))
        m->addr = nat + (m->addr - vb->addr);
}

/* How the Valgrind run ended, in words. */
static const char *vg_end(struct tr_arena *a, const struct tr_trace *vg)
{
    if (vg->outcome == TR_OUT_TIME_LIMIT)
        return vg->end_message ? vg->end_message : "it ran out of time";
    if (vg->signo)
        return tr_arena_printf(a, "it was killed by signal %d (%s)", vg->signo,
                               strsignal(vg->signo));
    return tr_arena_printf(a, "it exited with status %d", vg->exit_code);
}

static const char *native_end(struct tr_arena *a, const struct tr_trace *pt)
{
    const struct tr_step *s = &pt->steps[pt->nsteps - 1];
    const char *why = pt->end_message ? pt->end_message
                      : pt->signo    ? strsignal(pt->signo)
                                     : NULL;
    if (why)
        return tr_arena_printf(a, "it ended at line %d in %s (%s)", s->line,
                               s->func_name ? s->func_name : "?", why);
    return tr_arena_printf(a, "it exited with status %d", pt->exit_code);
}

static int native_limit(const struct tr_trace *pt)
{
    return pt->outcome == TR_OUT_STEP_LIMIT || pt->outcome == TR_OUT_TIME_LIMIT ||
           pt->outcome == TR_OUT_OUTPUT_LIMIT;
}

/* Did the program end differently in the two runs (not by our limits)? */
static int ended_differently(const struct tr_trace *pt, const struct tr_trace *vg)
{
    if (native_limit(pt) || vg->outcome == TR_OUT_TIME_LIMIT)
        return 0;
    if (pt->outcome != TR_OUT_OK && pt->outcome != TR_OUT_RUNTIME_ERROR)
        return 0;
    return pt->signo != vg->signo || (!pt->signo && pt->exit_code != vg->exit_code);
}

static const char *join_note(struct tr_arena *a, const char *note, const char *more)
{
    if (!more)
        return note;
    return note ? tr_arena_printf(a, "%s. %s", note, more) : more;
}

void vg_place(struct tr_result *res, struct tr_trace *vg)
{
    struct tr_trace *pt = res->trace;
    struct tr_arena *a = pt->arena;
    size_t dropped = 0, loose = 0, beyond = 0;
    const struct tr_step *first_loose = NULL;
    int bad = 0;
    res->memcheck_ran = 1;
    for (size_t i = 0; i < vg->nsteps && !bad; i++) {
        struct tr_step *e = &vg->steps[i];
        int exact;
        size_t at = vg_place_step(pt, e, &exact);
        if (at == VG_NOWHERE) {
            if (native_limit(pt))
                dropped++;
            else
                beyond++;
            continue;
        }
        if (!exact && loose++ == 0)
            first_loose = e;
        for (uint32_t k = 0; k < e->nmc; k++)
            to_native(pt, at, e, &e->mc[k]);
        if (vg_fold_errors(pt, &pt->steps[at], e) != 0)
            bad = 1;
    }
    if (!bad && vg->nend_errors) {
        pt->end_errors = vg_dup_errors(a, vg->end_errors, vg->nend_errors, 0, &bad);
        pt->nend_errors = pt->end_errors ? vg->nend_errors : 0;
    }
    if (bad || vg_name_uninit(pt) != 0 || vg_finish_trace(pt) != 0) {
        res->memcheck_note = "memcheck ran, but its findings did not fit in memory";
        res->memcheck_partial = 1;
        tr_trace_free(vg);
        return;
    }
    const char *note = NULL;
    if (ended_differently(pt, vg) || beyond)
        note = tr_arena_printf(a,
                               "The program ran differently under Valgrind than natively "
                               "(natively %s; under Valgrind %s): memcheck's findings are "
                               "shown on the native steps up to where the runs parted",
                               native_end(a, pt), vg_end(a, vg));
    else if (vg->outcome == TR_OUT_TIME_LIMIT && !native_limit(pt)) {
        note = tr_arena_printf(a, "Valgrind stopped early (%s): later steps were not checked",
                               vg_end(a, vg));
        res->memcheck_partial = 1;
    }
    if (native_limit(pt))
        note = join_note(a, note,
                         dropped ? tr_arena_printf(a,
                                                   "The trace stopped at a limit; memcheck "
                                                   "checked the program up to the same point "
                                                   "(%zu later %s not shown)",
                                                   dropped, dropped == 1 ? "finding is"
                                                                          : "findings are")
                                 : "The trace stopped at a limit; memcheck checked the program "
                                   "up to the same point");
    if (loose)
        note = join_note(
            a, note,
            tr_arena_printf(a,
                            "%zu %s could not be aligned exactly with the native run (the "
                            "first at line %d in %s) and %s shown on the step before it",
                            loose, loose == 1 ? "finding" : "findings", first_loose->line,
                            first_loose->func_name && *first_loose->func_name
                                ? first_loose->func_name
                                : "?",
                            loose == 1 ? "is" : "are"));
    if (vg->nsteps >= VG_MAX_ERRORS)
        note = join_note(a, note,
                         tr_arena_printf(a, "Only the first %u findings are shown",
                                         (unsigned)VG_MAX_ERRORS));
    res->memcheck_note = note;
    tr_trace_free(vg);
}
