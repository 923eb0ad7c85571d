/*
 * vg_place.c - memcheck mode with an unstopped Valgrind run, without
 * valgrind: where a finding of that run lands on hand-built native traces
 * (by clock, function, line and depth), how its address moves to the
 * native run's block by allocation order, and what memcheck.note says when
 * the runs cannot be aligned, the native run stopped at a limit, or the
 * program ended differently.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "run/run.h"
#include "run/vg_engine_int.h"

/* A native step: func at line, `depth` frames (outer ones "main"), clock. */
static struct tr_step *nstep(struct tr_trace *t, const char *func, int line, uint32_t depth,
                             uint64_t clock)
{
    struct tr_step *s = tr_trace_append(t);
    s->event = TR_EV_STEP_LINE;
    s->line = line;
    s->func_name = func;
    s->clock = clock;
    s->frames = tr_arena_alloc(t->arena, depth * sizeof *s->frames);
    for (uint32_t i = 0; i < depth; i++)
        s->frames[i] = (struct tr_frame){.func_name = i + 1 == depth ? func : "main",
                                         .line = line};
    s->nframes = depth;
    return s;
}

/* An error step of the unstopped run: innermost frame func:line at depth. */
static struct tr_step *estep(struct tr_trace *t, const char *func, int line, uint32_t depth,
                             uint64_t clock)
{
    struct tr_step *s = nstep(t, func, line, depth, clock);
    s->mc = tr_arena_alloc(t->arena, sizeof *s->mc);
    s->mc[0] = (struct tr_mc_error){.kind = "InvalidRead", .message = "Invalid read of size 4"};
    s->nmc = 1;
    s->exception_msg = s->mc[0].message;
    return s;
}

static size_t place(const struct tr_trace *pt, const struct tr_step *e, int *exact)
{
    return vg_place_step(pt, e, exact);
}

/* main: line 5, then 4 passes over line 7 (clocks 3, 6, 9, 12), line 9. */
static void test_each_pass_has_its_clock(void)
{
    struct tr_trace *pt = tr_trace_new(0), *vg = tr_trace_new(0);
    nstep(pt, "main", 5, 1, 0); /* main's first step: before its first tick */
    for (int k = 1; k <= 4; k++)
        nstep(pt, "main", 7, 1, 3u * (unsigned)k);
    nstep(pt, "main", 9, 1, 14);
    int exact;
    CHECK_INT(place(pt, estep(vg, "main", 7, 1, 10), &exact), 3); /* during the 3rd pass */
    CHECK_INT(exact, 1);
    CHECK_INT(place(pt, estep(vg, "main", 7, 1, 6), &exact), 2);
    CHECK_INT(place(pt, estep(vg, "main", 7, 1, 13), &exact), 4);
    CHECK_INT(place(pt, estep(vg, "main", 5, 1, 1), &exact), 0);
    CHECK_INT(place(pt, estep(vg, "main", 9, 1, 14), &exact), 5);
    /* past the native run's last step */
    CHECK_INT(place(pt, estep(vg, "main", 9, 1, 15), &exact), VG_NOWHERE);
    /* no step at that line: the last step before its clock, not exact */
    CHECK_INT(place(pt, estep(vg, "main", 8, 1, 7), &exact), 2);
    CHECK_INT(exact, 0);
    tr_trace_free(pt);
    tr_trace_free(vg);
}

/* fill returns to a smashed address at clock 5: its return step and the
   crash's step share the clock; the jump (no user frame) is the return's */
static void test_no_user_frame_goes_by_clock(void)
{
    struct tr_trace *pt = tr_trace_new(0), *vg = tr_trace_new(0);
    nstep(pt, "main", 10, 1, 0);
    nstep(pt, "fill", 6, 2, 3);
    nstep(pt, "fill", 7, 2, 5)->event = TR_EV_RETURN;
    nstep(pt, "fill", 7, 2, 5)->event = TR_EV_EXCEPTION;
    struct tr_step *e = estep(vg, "", 0, 0, 5);
    e->nframes = 0;
    int exact;
    CHECK_INT(place(pt, e, &exact), 2);
    CHECK_INT(exact, 1);
    tr_trace_free(pt);
    tr_trace_free(vg);
}

/* int sq(int v) { return v * v; } called from line 8: its call and return
   steps share one clock, and so does main's line 8 after the return. */
static void test_steps_sharing_a_clock(void)
{
    struct tr_trace *pt = tr_trace_new(0), *vg = tr_trace_new(0);
    nstep(pt, "main", 8, 1, 2);
    nstep(pt, "sq", 1, 2, 3)->event = TR_EV_CALL;
    nstep(pt, "sq", 1, 2, 3)->event = TR_EV_RETURN;
    nstep(pt, "main", 8, 1, 3)->hidden = 1;
    nstep(pt, "main", 9, 1, 4);
    int exact;
    /* in sq's body: its call step (before the return step) */
    CHECK_INT(place(pt, estep(vg, "sq", 1, 2, 3), &exact), 1);
    CHECK_INT(exact, 1);
    /* on line 8 after sq returned (x = sq(2) + a[9]): the caller's step after the return */
    CHECK_INT(place(pt, estep(vg, "main", 8, 1, 3), &exact), 3);
    /* on line 8 before the call (sq(a[9])): the first step of line 8 */
    CHECK_INT(place(pt, estep(vg, "main", 8, 1, 2), &exact), 0);
    tr_trace_free(pt);
    tr_trace_free(vg);
}

/* Recursion: f's line 2 at depth 2 and at depth 3. */
static void test_depth_tells_activations_apart(void)
{
    struct tr_trace *pt = tr_trace_new(0), *vg = tr_trace_new(0);
    nstep(pt, "main", 10, 1, 1);
    nstep(pt, "f", 2, 2, 5);
    nstep(pt, "f", 2, 3, 7);
    nstep(pt, "f", 3, 3, 8);
    nstep(pt, "f", 2, 2, 9);
    int exact;
    CHECK_INT(place(pt, estep(vg, "f", 2, 2, 8), &exact), 1);
    CHECK_INT(exact, 1);
    CHECK_INT(place(pt, estep(vg, "f", 2, 3, 8), &exact), 2);
    CHECK_INT(place(pt, estep(vg, "f", 2, 2, 9), &exact), 4);
    /* memcheck cut the stack at 2 user frames: depth 2 or more */
    struct tr_step *cut = estep(vg, "f", 2, 2, 8);
    cut->pc = 1;
    CHECK_INT(place(pt, cut, &exact), 2);
    tr_trace_free(pt);
    tr_trace_free(vg);
}

/* ---- vg_place: the whole hand-over -------------------------------------------------- */

static struct tr_value *pointer_to(struct tr_trace *t, tr_addr target)
{
    struct tr_value *v = tr_arena_alloc(t->arena, sizeof *v);
    *v = (struct tr_value){.kind = TR_V_POINTER, .size = 8, .type = "int*", .target = target,
                           .text = "0x0"};
    return v;
}

static struct tr_value *array_of(struct tr_trace *t, tr_addr addr, uint64_t size)
{
    struct tr_value *v = tr_arena_alloc(t->arena, sizeof *v);
    *v = (struct tr_value){.kind = TR_V_ARRAY, .addr = addr, .size = size, .is_heap_block = 1};
    return v;
}

/* main: line 5 (clock 0), line 6 (2), line 7 (4); a (line 6 on) points to
   the program's first block, 20 bytes at 0x5000 natively. */
static struct tr_result *native(void)
{
    struct tr_trace *pt = tr_trace_new(0);
    pt->engine = "ptrace";
    pt->code = "";
    for (int i = 0; i < 3; i++) {
        struct tr_step *s = nstep(pt, "main", 5 + i, 1, 2u * (unsigned)i);
        s->frames[0].vars = tr_arena_alloc(pt->arena, sizeof *s->frames[0].vars);
        s->frames[0].vars[0] = (struct tr_var){"a", pointer_to(pt, i ? 0x5000 : 0)};
        s->frames[0].nvars = 1;
        if (i) {
            s->heap = tr_arena_alloc(pt->arena, sizeof *s->heap);
            s->heap[0] = (struct tr_heap_block){0x5000, 20, array_of(pt, 0x5000, 20), 1};
            s->nheap = 1;
        }
    }
    struct tr_result *res = calloc(1, sizeof *res);
    res->trace = pt;
    res->engine = "ptrace";
    return res;
}

/* The unstopped run's finding: a write just past that block, which lives
   at 0x4a00000 under Valgrind, during line 6 (clock 3). */
static struct tr_trace *overrun(void)
{
    struct tr_trace *vg = tr_trace_new(0);
    struct tr_step *e = estep(vg, "main", 6, 1, 3);
    static struct tr_mc_frame at6[] = {{"main", 6}}, at5[] = {{"main", 5}};
    e->mc[0] = (struct tr_mc_error){
        .kind = "InvalidWrite",
        .message = "Invalid write of size 4: 0 bytes after a block of 20 bytes allocated at "
                   "line 5 in main",
        .block = "0 bytes after a block of 20 bytes allocated at line 5 in main",
        .addr = 0x4a00014, .size = 4, .stack = at6, .nstack = 1, .alloc = at5, .nalloc = 1};
    e->exception_msg = e->mc[0].message;
    e->heap = tr_arena_alloc(vg->arena, sizeof *e->heap);
    e->heap[0] = (struct tr_heap_block){0x4a00000, 20, array_of(vg, 0x4a00000, 20), 1};
    e->nheap = 1;
    return vg;
}

static void test_finding_worded_from_the_native_step(void)
{
    struct tr_result *res = native();
    struct tr_trace *vg = overrun();
    vg->end_errors = tr_arena_alloc(vg->arena, sizeof *vg->end_errors);
    vg->end_errors[0] = (struct tr_mc_error){.kind = "Leak_DefinitelyLost",
                                             .message = "Memory leak: 20 bytes in 1 block",
                                             .size = 20, .blocks = 1};
    vg->nend_errors = 1;
    vg_place(res, vg);
    struct tr_trace *t = res->trace;
    CHECK_INT(res->memcheck_ran, 1);
    CHECK(res->memcheck_note == NULL);
    CHECK_INT(t->steps[0].nmc, 0);
    REQUIRE(t->steps[1].nmc == 1);
    CHECK_INT(t->steps[2].nmc, 0);
    const struct tr_mc_error *m = &t->steps[1].mc[0];
    CHECK_INT(m->addr, 0x5014); /* the native block's end, by allocation order */
    CHECK_STR(m->message, "Invalid write of size 4: 0 bytes after a block of 20 bytes "
                          "allocated at line 5 in main, the block a points to");
    CHECK_STR(t->steps[1].exception_msg, m->message);
    CHECK_INT(t->nend_errors, 1);
    CHECK(strstr(t->steps[2].exception_msg, "Memory leak: 20 bytes") != NULL);
    tr_trace_free(t);
    free(res);
}

static void test_native_limit_drops_later_findings(void)
{
    struct tr_result *res = native();
    res->trace->outcome = TR_OUT_STEP_LIMIT;
    struct tr_trace *vg = overrun();
    vg->steps[0].clock = 40; /* after the native run's last step */
    vg->signo = SIGKILL;     /* the runtime ended it at the clock limit */
    vg->outcome = TR_OUT_RUNTIME_ERROR;
    vg_place(res, vg);
    for (size_t i = 0; i < res->trace->nsteps; i++)
        CHECK_INT(res->trace->steps[i].nmc, 0);
    REQUIRE(res->memcheck_note != NULL);
    CHECK_STR(res->memcheck_note, "The trace stopped at a limit; memcheck checked the program "
                                  "up to the same point (1 later finding is not shown)");
    tr_trace_free(res->trace);
    free(res);
}

static void test_different_end_is_said(void)
{
    struct tr_result *res = native();
    struct tr_trace *pt = res->trace;
    pt->outcome = TR_OUT_RUNTIME_ERROR;
    pt->signo = SIGABRT;
    pt->end_message = "Aborted by the C library's heap check: free(): double free detected";
    struct tr_trace *vg = overrun();
    vg->exit_code = 0;
    vg_place(res, vg);
    REQUIRE(res->memcheck_note != NULL);
    CHECK(strstr(res->memcheck_note, "ran differently under Valgrind") != NULL);
    CHECK(strstr(res->memcheck_note, "natively it ended at line 7 in main (Aborted by the C "
                                     "library's heap check: free(): double free") != NULL);
    CHECK(strstr(res->memcheck_note, "under Valgrind it exited with status 0") != NULL);
    CHECK_INT(res->trace->steps[1].nmc, 1); /* what was found before still shows */
    tr_trace_free(res->trace);
    free(res);
}

static void test_unaligned_finding_is_said(void)
{
    struct tr_result *res = native();
    struct tr_trace *vg = overrun();
    vg->steps[0].line = 40; /* no native step at main:40 */
    vg->steps[0].func_name = "main";
    vg_place(res, vg);
    CHECK_INT(res->trace->steps[1].nmc, 1); /* the last step before its clock */
    REQUIRE(res->memcheck_note != NULL);
    CHECK(strstr(res->memcheck_note, "1 finding could not be aligned exactly with the native "
                                     "run (the first at line 40 in main)") != NULL);
    tr_trace_free(res->trace);
    free(res);
}

TEST_MAIN(TEST(test_each_pass_has_its_clock), TEST(test_no_user_frame_goes_by_clock),
          TEST(test_steps_sharing_a_clock),
          TEST(test_depth_tells_activations_apart), TEST(test_finding_worded_from_the_native_step),
          TEST(test_native_limit_drops_later_findings), TEST(test_different_end_is_said),
          TEST(test_unaligned_finding_is_said))
