/*
 * val_reuse.c - a heap block's value reused from the step before
 * (tracer/val_reuse.c) changes nothing a user sees. Every sample program,
 * the student corpus, memcheck and uninitialised-value programs (with
 * memcheck on: the run layer writes Valgrind's marks into the values) and
 * tests/programs/reuse_blocks.cpp (a block seen through another type, a
 * long string member whose text changes in its own block, realloc, a new[]
 * cookie block, a polymorphic object) are traced with SPP_VAL_REUSE=0 and
 * with reuse on; the two traces must encode to the same bytes in every
 * format (See++ trace, Python Tutor, traceContent, text). And reuse must
 * have happened where the heap stays: on the linked list most blocks are
 * the step before's, and the trace's arena is smaller for it.
 * Skipped (77) when the runtime object or the sample programs are missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tests/support/rt_scratch.h"
#include "run/run.h"
#include "tracer/enc.h"
#include "tracer/request.h"

static char root[256];

struct traced {
    struct tr_result *res;
    int made;      /* compare: both runs gave a trace */
    size_t shared; /* heap block values some step shares with another */
    size_t blocks; /* heap block values over all steps */
};

/* path traced with reuse on or off; res NULL when no trace came out. */
static struct traced trace(const char *path, int memcheck, int reuse)
{
    struct traced out = {0};
    struct tr_request r;
    if (rt_scratch_request(&r, path) != 0) {
        tr_request_free(&r);
        return out;
    }
    r.memcheck = memcheck;
    setenv("SPP_VAL_REUSE", reuse ? "1" : "0", 1);
    struct tr_run_opts o = {.engine = TR_ENGINE_PTRACE, .work_root = root};
    if (tr_run_result(&r, &o, &out.res) != TR_OK || !out.res || !out.res->ok ||
        !out.res->trace) {
        tr_result_free(out.res);
        out.res = NULL;
    }
    unsetenv("SPP_VAL_REUSE");
    tr_request_free(&r);
    for (uint32_t i = 0; out.res && i < out.res->trace->nsteps; i++) {
        const struct tr_step *st = &out.res->trace->steps[i];
        for (uint32_t k = 0; k < st->nheap; k++) {
            out.blocks++;
            out.shared += st->heap[k].value && st->heap[k].value->shared;
        }
    }
    return out;
}

static void same_bytes(const char *what, const char *name, char *a, size_t an, char *b,
                       size_t bn)
{
    CHECK(a && b);
    if (a && b && (an != bn || memcmp(a, b, an) != 0)) {
        size_t i = 0;
        while (i < an && i < bn && a[i] == b[i])
            i++;
        fprintf(stderr, "  %s of %s: %zu bytes with reuse, %zu without; differ at %zu:\n"
                        "    reuse: %.80s\n    fresh: %.80s\n",
                what, name, an, bn, i, a + (i > 20 ? i - 20 : 0), b + (i > 20 ? i - 20 : 0));
        CHECK(!"the trace with reuse equals the trace without");
    }
    free(a);
    free(b);
}

/* Every encoding of the two traces of path. Returns the counts of the
   trace with reuse (made 0 when there was no trace). */
static struct traced compare(const char *path, int memcheck)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    struct traced on = trace(path, memcheck, 1), off = trace(path, memcheck, 0);
    struct traced got = {.blocks = 0};
    CHECK((on.res != NULL) == (off.res != NULL));
    if (on.res && off.res) {
        const struct tr_trace *a = on.res->trace, *b = off.res->trace;
        CHECK_INT(a->nsteps, b->nsteps);
        CHECK_INT(a->outcome, b->outcome);
        CHECK_INT(off.shared, 0);
        size_t an = 0, bn = 0;
        char *x = tr_enc_trace(a, TR_ENC_SEEPP, 0, &an, NULL);
        char *y = tr_enc_trace(b, TR_ENC_SEEPP, 0, &bn, NULL);
        same_bytes("seepp trace", name, x, an, y, bn);
        x = tr_enc_trace(a, TR_ENC_OPT, 0, &an, NULL);
        y = tr_enc_trace(b, TR_ENC_OPT, 0, &bn, NULL);
        same_bytes("opt trace", name, x, an, y, bn);
        x = tr_enc_vgtrace(a, 0, &an, NULL);
        y = tr_enc_vgtrace(b, 0, &bn, NULL);
        same_bytes("vgtrace", name, x, an, y, bn);
        x = tr_enc_text(a, 0, 0, &an);
        y = tr_enc_text(b, 0, 0, &bn);
        same_bytes("text", name, x, an, y, bn);
        got = on;
        got.res = NULL;
        got.made = 1;
    }
    tr_result_free(on.res);
    tr_result_free(off.res);
    return got;
}

static int compare_plain(const char *path)
{
    return compare(path, 0).made;
}

static void test_sample_programs(void)
{
    const char *dir = getenv("SPP_PROGRAMS");
    CHECK(rt_scratch_each_program(dir && *dir ? dir : "../shared/programs", compare_plain) >= 4);
}

static void test_student_corpus(void)
{
    CHECK(rt_scratch_each_program("tests/programs/student", compare_plain) >= 8);
}

/* memcheck's marks are folded into the ptrace trace's values: a value two
   steps share must not take one step's marks into the other */
static void test_memcheck_programs(void)
{
    if (access("/usr/bin/valgrind", X_OK) != 0) {
        printf("  (no valgrind: memcheck runs not compared)\n");
        return;
    }
    static const char *const progs[] = {
        "tests/programs/uninit_heap.cpp", "tests/programs/uninit_valgrind.c",
        "tests/programs/mc_uninit_struct.c", "tests/programs/mc_use_after_free.c",
        "tests/programs/mc_leaks.c", "tests/programs/student/uninit_sum.c"};
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++)
        CHECK(compare(progs[i], 1).made);
}

/* Views that change, text in another block, realloc, new[], a Circle. */
static void test_blocks_that_change(void)
{
    struct traced t = compare("tests/programs/reuse_blocks.cpp", 0);
    CHECK(t.blocks > 0);
    CHECK(t.shared > 0);
}

/* The list's nodes do not change while it is walked: most block values of
   the trace are shared, and the arena holds them once. */
static void test_list_reuses_its_nodes(void)
{
    struct traced on = trace("tests/programs/student/linked_list.cpp", 0, 1);
    struct traced off = trace("tests/programs/student/linked_list.cpp", 0, 0);
    CHECK(on.res && off.res);
    if (on.res && off.res) {
        printf("  linked_list: %zu of %zu block values shared; arena %zu bytes, %zu without\n",
               on.shared, on.blocks, tr_arena_used(on.res->trace->arena),
               tr_arena_used(off.res->trace->arena));
        CHECK(on.shared * 2 > on.blocks);
        CHECK(tr_arena_used(on.res->trace->arena) * 2 < tr_arena_used(off.res->trace->arena));
    }
    tr_result_free(on.res);
    tr_result_free(off.res);
}

int main(void)
{
    if (rt_scratch_find_rt() != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    if (rt_scratch_make(root, sizeof root, "spp-val-reuse") != 0)
        SKIP_ALL("cannot make a temporary directory");
    char pch[300];
    snprintf(pch, sizeof pch, "%s/pch", root);
    setenv("SPP_PCH_DIR", pch, 1);
    static const struct check_test tests[] = {
        TEST(test_blocks_that_change), TEST(test_list_reuses_its_nodes),
        TEST(test_sample_programs), TEST(test_student_corpus), TEST(test_memcheck_programs)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    rt_scratch_remove(root);
    return rc;
}
