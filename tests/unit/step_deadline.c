/*
 * step_deadline.c - a run past its deadline ends in the same words whichever
 * loop drives the program: the stepper (tracer/step.c) and the unstopped
 * checking run (tracer/errwatch.c) both say "Time limit exceeded: stopped
 * after N s (infinite loop?)", end with outcome time limit and kill the
 * program once. The deadline is not waited for: a wrapper target
 * (tests/support/wrap_target.h) answers "timed out" at a chosen wait, so
 * nothing here depends on the clock.
 * Skipped (77) when the runtime object, gcc or ptrace is missing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "dwarf/dw_index.h"
#include "run/run.h"
#include "targets/ptrace/ptrace_target.h"
#include "tests/support/rt_scratch.h"
#include "tests/support/wrap_target.h"
#include "tracer/compile.h"
#include "tracer/errwatch.h"
#include "tracer/sandbox.h"
#include "tracer/step.h"

#define WALL_S 7
#define WANT "Time limit exceeded: stopped after 7 s (infinite loop?)"

static char root[256];
static struct tr_compile_result prog;
static char run_dir[512];

static const char endless[] = "int main(void) {\n"
                              "    long i = 0;\n"
                              "    for (;;)\n"
                              "        i++;\n"
                              "    return 0;\n"
                              "}\n";

static struct wrap_counts n;

/* The program under ptrace, its wait number `at` timing out; NULL when
   ptrace cannot start it. */
static struct tr_target *open_timing_out(int at)
{
    static struct tr_limits lim;
    char out[PATH_MAX], err[PATH_MAX], errbuf[TR_ERRBUF_LEN];
    snprintf(out, sizeof out, "%s/out", run_dir);
    snprintf(err, sizeof err, "%s/err", run_dir);
    tr_limits_default(&lim);
    struct tr_launch l = {.exe = prog.exe, .run_dir = run_dir, .stdin_path = "/dev/null",
                          .stdout_path = out, .stderr_path = err, .limits = &lim};
    struct tr_target *t = NULL;
    if (tr_ptrace_open(&l, &t, errbuf) != TR_OK)
        return NULL;
    n.timeout_at = at;
    return wrap_target(t, &n);
}

/* The stepper: main's entry, a few passes of the loop, then the deadline. */
static void test_the_stepper_ends_at_the_deadline(void)
{
    struct dw_index *ix = NULL;
    char dwerr[DWX_ERRBUF_LEN], err[TR_ERRBUF_LEN], out[PATH_MAX], errp[PATH_MAX];
    REQUIRE(dw_index_open(prog.exe, prog.src_name, &ix, dwerr, sizeof dwerr) == DWX_OK);
    struct tr_target *t = open_timing_out(6);
    struct tr_trace *tr = tr_trace_new(8u << 20);
    snprintf(out, sizeof out, "%s/out", run_dir);
    snprintf(errp, sizeof errp, "%s/err", run_dir);
    struct tr_step_cfg cfg = {.max_steps = 1000, .stdout_path = out, .stderr_path = errp,
                              .output_cap = 1 << 16, .trace_cap = 4u << 20,
                              .wall_limit_s = WALL_S};
    if (t && tr) {
        tr->code = endless;
        CHECK_INT(tr_step_run(t, ix, &cfg, tr, err), TR_OK);
        CHECK_INT(n.waits, 6);
        CHECK_INT(n.kills, 1);
        CHECK_INT(tr->outcome, TR_OUT_TIME_LIMIT);
        CHECK_STR(tr->end_message, WANT);
        /* the student sees it on the last step */
        CHECK(tr->nsteps >= 2);
        if (tr->nsteps) {
            const struct tr_step *last = &tr->steps[tr->nsteps - 1];
            CHECK_INT(last->event, TR_EV_EXCEPTION);
            CHECK_STR(last->exception_msg, WANT);
        }
    }
    CHECK(t != NULL);
    tr_target_destroy(t);
    tr_trace_free(tr);
    dw_index_close(ix);
}

/* The unstopped run: main's entry, then the deadline. */
static void test_the_unstopped_run_ends_in_the_same_words(void)
{
    struct dw_index *ix = NULL;
    char dwerr[DWX_ERRBUF_LEN], err[TR_ERRBUF_LEN];
    REQUIRE(dw_index_open(prog.exe, prog.src_name, &ix, dwerr, sizeof dwerr) == DWX_OK);
    struct tr_target *t = open_timing_out(2);
    struct tr_trace *tr = tr_trace_new(8u << 20);
    struct tr_errwatch_cfg cfg = {.wall_limit_s = WALL_S, .max_errors = 10};
    if (t && tr) {
        tr->code = endless;
        CHECK_INT(tr_errwatch_run(t, ix, &cfg, tr, err), TR_OK);
        CHECK_INT(n.waits, 2);
        CHECK_INT(n.kills, 1);
        CHECK_INT(tr->outcome, TR_OUT_TIME_LIMIT);
        CHECK_STR(tr->end_message, WANT);
        CHECK_INT(tr->nsteps, 0); /* no error was found: no step */
    }
    CHECK(t != NULL);
    tr_target_destroy(t);
    tr_trace_free(tr);
    dw_index_close(ix);
}

int main(void)
{
    if (rt_scratch_find_rt() != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    if (rt_scratch_make(root, sizeof root, "spp-step-deadline") != 0)
        SKIP_ALL("cannot make a temporary directory");
    char err[TR_ERRBUF_LEN];
    snprintf(run_dir, sizeof run_dir, "%s/run", root);
    struct tr_compile_opts o = {.run_dir = run_dir, .code = endless,
                                .code_len = sizeof endless - 1, .lang = TR_LANG_C,
                                .rt_obj = tr_run_rt_obj()};
    if (mkdir(run_dir, 0755) != 0 || tr_compile(&o, &prog, err) != TR_OK || !prog.ok) {
        tr_compile_result_free(&prog);
        rt_scratch_remove(root);
        SKIP_ALL("cannot compile the test program (gcc missing?)");
    }
    static const struct check_test tests[] = {TEST(test_the_stepper_ends_at_the_deadline),
                                              TEST(test_the_unstopped_run_ends_in_the_same_words)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    tr_compile_result_free(&prog);
    rt_scratch_remove(root);
    return rc;
}
