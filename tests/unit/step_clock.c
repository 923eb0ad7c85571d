/*
 * step_clock.c - the clock both runs of memcheck mode share. The stepper
 * records the runtime's logical clock at every step (tr_step.clock), and a
 * program built with the clock shows the same clock on the same step under
 * the ptrace target and under the Valgrind target: the property that lets
 * a Valgrind run that never stops per step place what it finds on the
 * ptrace trace's step. Then that unstopped run itself (tracer/errwatch.c):
 * it plants no statement breakpoint and stops only at main, its return and
 * memcheck's errors, each of its findings lands on the right pass
 * (run/place.c), and the runtime ends it at the clock limit the tracer
 * wrote (docs/memcheck.md).
 * Skipped (77) when the runtime object, gcc, valgrind or ptrace is missing.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tests/support/rt_scratch.h"
#include "tests/support/wrap_target.h"
#include "dwarf/dw_index.h"
#include "run/run.h"
#include "targets/ptrace/ptrace_target.h"
#include "targets/valgrind/vg_target.h"
#include "run/vg_engine_int.h"
#include "tracer/compile.h"
#include "tracer/errwatch.h"
#include "tracer/rt/sppmon.h"
#include "tracer/sandbox.h"
#include "tracer/step.h"

#define LOOP_LINE 5

static char root[256];

/* Line LOOP_LINE runs on 4 passes; a call and a branch make the passes
   differ in length. */
static const char code[] = "int sq(int v) { return v * v; }\n"
                           "int main(void) {\n"
                           "    int s = 0;\n"
                           "    for (int i = 0; i < 4; i++) {\n"
                           "        s += sq(i);\n"
                           "        if (i % 2)\n"
                           "            s++;\n"
                           "    }\n"
                           "    return s == 16 ? 0 : 1;\n"
                           "}\n";

/* An overrun on the 6th pass of line OVERRUN_LINE, a loop that never ends
   (with an error far into it: i == 100000000). */
#define OVERRUN_LINE 6
static const char overrun[] = "#include <stdlib.h>\n"
                              "int main(void) {\n"
                              "    int *a = malloc(5 * sizeof *a);\n"
                              "    int s = 0;\n"
                              "    for (int i = 0; i <= 5; i++)\n"
                              "        a[i] = i;\n"
                              "    s = a[1];\n"
                              "    free(a);\n"
                              "    for (long i = 0;; i++)\n"
                              "        if (i == 100000000) a[0] = s;\n"
                              "    return 0;\n"
                              "}\n";

/* Compiled into root/name (its path into run, 512 bytes). */
static int build(const char *name, const char *src, int clock, struct tr_compile_result *r,
                 char *run)
{
    char err[TR_ERRBUF_LEN];
    snprintf(run, 512, "%s/%s", root, name);
    if (mkdir(run, 0755) != 0)
        return -1;
    struct tr_compile_opts o = {.run_dir = run, .code = src, .code_len = strlen(src),
                                .lang = TR_LANG_C, .rt_obj = tr_run_rt_obj(), .clock = clock};
    return tr_compile(&o, r, err) == TR_OK && r->ok ? 0 : -1;
}

/* What the unstopped run asked of its target (tests/support/wrap_target.h). */
static struct wrap_counts counts;

enum how { PTRACE, VALGRIND, UNSTOPPED };

/* The whole trace of exe in dir, under Valgrind or ptrace, or the sparse
   trace of an unstopped Valgrind run; NULL on failure. */
/* A trace's function names point into its program's index: the index stays
   open until the trace is released. */
static struct {
    struct tr_trace *tr;
    struct dw_index *ix;
} kept[4];

static int keep(struct tr_trace *tr, struct dw_index *ix)
{
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (!kept[i].tr) {
            kept[i].tr = tr;
            kept[i].ix = ix;
            return 0;
        }
    return -1;
}

static void release(struct tr_trace *tr)
{
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (kept[i].tr == tr) {
            dw_index_close(kept[i].ix);
            kept[i].tr = NULL;
            kept[i].ix = NULL;
        }
    tr_trace_free(tr);
}

static struct tr_trace *trace(const struct tr_compile_result *r, const char *dir, enum how how)
{
    int valgrind = how != PTRACE;
    char out[PATH_MAX], errp[PATH_MAX], err[TR_ERRBUF_LEN];
    snprintf(out, sizeof out, "%s/%s.out", dir, valgrind ? "vg" : "pt");
    snprintf(errp, sizeof errp, "%s/%s.err", dir, valgrind ? "vg" : "pt");
    struct tr_limits lim;
    tr_limits_default(&lim);
    if (valgrind) {
        lim.as_bytes = TR_LIMIT_AS_VALGRIND;
        lim.wall_ms = TR_LIMIT_WALL_MEMCHECK_MS;
        lim.cpu_soft_s = (unsigned)(lim.wall_ms / 1000);
        lim.cpu_hard_s = lim.cpu_soft_s + 1;
    }
    struct tr_launch l = {.exe = r->exe, .run_dir = dir, .stdin_path = "/dev/null",
                          .stdout_path = out, .stderr_path = errp, .limits = &lim};
    struct dw_index *ix = NULL;
    struct tr_target *t = NULL;
    struct tr_trace *tr = tr_trace_new(64u << 20);
    char dwerr[DWX_ERRBUF_LEN];
    if (!tr || dw_index_open(r->exe, r->src_name, &ix, dwerr, sizeof dwerr) != DWX_OK)
        goto fail;
    if (valgrind) {
        struct vg_options vo;
        vg_options_default(&vo);
        vo.exact_regs = how != UNSTOPPED;
        if (vg_target_open(&l, &vo, &t, err) != TR_OK)
            goto fail;
    } else if (tr_ptrace_open(&l, &t, err) != TR_OK) {
        goto fail;
    }
    tr->code = "";
    if (how == UNSTOPPED) {
        struct tr_target *w = wrap_target(t, &counts);
        if (!w) {
            dw_index_close(ix);
            tr_trace_free(tr);
            return NULL;
        }
        struct tr_errwatch_cfg wc = {.deadline_ms = tr_now_ms() + lim.wall_ms,
                                     .wall_limit_s = (int)(lim.wall_ms / 1000),
                                     .mc_convert = vg_describe,
                                     .max_errors = VG_MAX_ERRORS};
        enum tr_err rc = tr_errwatch_run(w, ix, &wc, tr, err);
        tr_target_destroy(w);
        if (rc == TR_OK && keep(tr, ix) == 0)
            return tr;
        dw_index_close(ix);
        tr_trace_free(tr);
        return NULL;
    }
    struct tr_step_cfg cfg = {.max_steps = 1000,
                              .deadline_ms = tr_now_ms() + lim.wall_ms,
                              .stdout_path = out,
                              .stderr_path = errp,
                              .output_cap = TR_LIMIT_OUTPUT,
                              .trace_cap = 32u << 20,
                              .wall_limit_s = (int)(lim.wall_ms / 1000),
                              .cpu_limit_s = (int)lim.cpu_soft_s};
    enum tr_err rc = tr_step_run(t, ix, &cfg, tr, err);
    tr_target_destroy(t);
    if (rc == TR_OK && tr->nsteps > 0 && keep(tr, ix) == 0)
        return tr;
    dw_index_close(ix);
    tr_trace_free(tr);
    return NULL;
fail:
    tr_target_destroy(t);
    dw_index_close(ix);
    tr_trace_free(tr);
    return NULL;
}

static void test_same_clock_on_the_same_step_under_ptrace_and_valgrind(void)
{
    struct tr_compile_result r;
    char dir[512];
    REQUIRE(build("clock", code, 1, &r, dir) == 0);
    struct tr_trace *pt = trace(&r, dir, PTRACE);
    struct tr_trace *vg = trace(&r, dir, VALGRIND);
    REQUIRE(pt && vg);
    CHECK_INT((long long)pt->nsteps, (long long)vg->nsteps);
    size_t passes = 0;
    uint64_t last_pass = 0;
    for (size_t i = 0; i < pt->nsteps && i < vg->nsteps; i++) {
        const struct tr_step *p = &pt->steps[i], *v = &vg->steps[i];
        CHECK_INT(p->line, v->line);
        CHECK_INT((long long)p->clock, (long long)v->clock);
        if (i > 0)
            CHECK(p->clock >= pt->steps[i - 1].clock); /* time never runs back */
        if (p->line == LOOP_LINE && p->event == TR_EV_STEP_LINE && !p->hidden) {
            /* every pass over the loop's line is at a later clock */
            CHECK(passes == 0 || p->clock > last_pass);
            last_pass = p->clock;
            passes++;
        }
    }
    CHECK_INT((long long)passes, 4);
    /* main's first step comes before its first block's tick (the stepper
       stops at the line, the tick is the block's first call) */
    CHECK_INT((long long)pt->steps[0].clock, 0);
    CHECK(pt->steps[pt->nsteps - 1].clock > 0);
    release(pt);
    release(vg);
    tr_compile_result_free(&r);
}

static void test_clock_is_zero_without_it(void)
{
    struct tr_compile_result r;
    char dir[512];
    REQUIRE(build("plain", code, 0, &r, dir) == 0);
    struct tr_trace *pt = trace(&r, dir, PTRACE);
    REQUIRE(pt); /* a ptrace trace alone: no clock to compare */
    for (size_t i = 0; i < pt->nsteps; i++)
        CHECK_INT((long long)pt->steps[i].clock, 0);
    release(pt);
    tr_compile_result_free(&r);
}

/* The native trace of overrun stops at 1000 steps (in the endless loop);
   the unstopped run, limited to that trace's last clock, stops only at
   main, at the overrun and where its runtime kills it. */
static void test_unstopped_run_stops_only_at_errors(void)
{
    struct tr_compile_result r;
    char dir[512], path[640];
    REQUIRE(build("unstopped", overrun, 1, &r, dir) == 0);
    struct tr_trace *pt = trace(&r, dir, PTRACE);
    REQUIRE(pt && pt->outcome == TR_OUT_STEP_LIMIT);
    /* what vg_mc_finish writes when the native run stops at a limit */
    snprintf(path, sizeof path, "%s/%s", dir, SPP_RT_CLOCK_FILE);
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    uint64_t limit = pt->steps[pt->nsteps - 1].clock + 1;
    fwrite(&limit, sizeof limit, 1, f);
    fclose(f);
    struct tr_trace *vg = trace(&r, dir, UNSTOPPED);
    REQUIRE(vg != NULL);
    unlink(path);
    /* main's entry and main's return: no statement breakpoint at all */
    CHECK_INT(counts.bps_planted, 2);
    /* main, the overrun, and the end (killed at the limit, never at the
       error far into the loop) */
    CHECK_INT(counts.stops, 3);
    CHECK_INT(vg->signo, SIGKILL);
    REQUIRE(vg->nsteps == 1);
    const struct tr_step *e = &vg->steps[0];
    CHECK_STR(e->mc[0].kind, "InvalidWrite");
    CHECK_INT(e->line, OVERRUN_LINE);
    CHECK_STR(e->func_name, "main");
    CHECK_INT(e->nframes, 1);
    CHECK(e->nheap >= 1 && e->heap[0].seq == 1 && e->heap[0].size == 20);
    /* placed on the 6th pass of the line */
    int exact;
    size_t at = vg_place_step(pt, e, &exact);
    CHECK_INT(exact, 1);
    int pass = 0;
    for (size_t i = 0; i <= at && i < pt->nsteps; i++)
        pass += pt->steps[i].line == OVERRUN_LINE && !pt->steps[i].hidden;
    CHECK_INT(pass, 6);
    CHECK_INT(pt->steps[at].line, OVERRUN_LINE);
    release(pt);
    release(vg);
    tr_compile_result_free(&r);
}

int main(void)
{
    if (rt_scratch_find_rt() != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    if (access("/usr/bin/valgrind", X_OK) != 0 && access("/usr/local/bin/valgrind", X_OK) != 0)
        SKIP_ALL("valgrind is not installed");
    if (rt_scratch_make(root, sizeof root, "spp-step-clock") != 0)
        SKIP_ALL("cannot make a temporary directory");
    static const struct check_test tests[] = {
        TEST(test_same_clock_on_the_same_step_under_ptrace_and_valgrind),
        TEST(test_clock_is_zero_without_it), TEST(test_unstopped_run_stops_only_at_errors)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    rt_scratch_remove(root);
    return rc;
}
