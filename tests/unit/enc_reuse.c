/*
 * enc_reuse.c - the fast encoders write exactly what the straightforward
 * ones write. tr_enc_trace and tr_enc_vgtrace print values straight into
 * the text and reuse a value's text from the step before when it did not
 * change; with `reference` set they print every value through cJSON and
 * reuse nothing (what they did before). Both must give the same bytes for
 * every sample program and the student corpus, in every format, whole and
 * cut at a size cap; traceContent also without reuse and as the inside of
 * a JSON string (escaped as cJSON escapes it). Also the JSON writers against cJSON itself: numbers
 * at the int limits and past them, fractions, and every byte in a string.
 * Skipped (77) when the runtime object or the sample programs are missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "tests/support/rt_scratch.h"
#include "run/run.h"
#include "tracer/enc.h"
#include "tracer/enc_int.h"
#include "tracer/request.h"

static char root[256];

/* Where a and b first differ, for the failure message. */
static size_t first_diff(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i])
        i++;
    return i;
}

static void check_same(const char *what, const char *name, const char *fast, size_t fn,
                       const char *ref, size_t rn)
{
    CHECK(fast && ref);
    if (!fast || !ref)
        return;
    if (fn != rn || memcmp(fast, ref, fn) != 0) {
        size_t at = first_diff(fast, fn, ref, rn);
        fprintf(stderr, "  %s of %s: %zu bytes, reference %zu; first difference at %zu:\n"
                        "    fast: %.80s\n    ref:  %.80s\n",
                what, name, fn, rn, at, fast + (at > 20 ? at - 20 : 0),
                ref + (at > 20 ? at - 20 : 0));
        CHECK(!"fast encoding equals the reference");
    }
}

/* The reference vgtrace as the inside of a JSON string: what cJSON would
   print for it, less the quotes. */
static char *as_json_body(const char *text, size_t n, size_t *len)
{
    char *copy = malloc(n + 1), *body = NULL;
    if (!copy)
        return NULL;
    memcpy(copy, text, n);
    copy[n] = '\0';
    cJSON *j = cJSON_CreateString(copy);
    char *js = j ? cJSON_PrintUnformatted(j) : NULL;
    if (js && strlen(js) >= 2) {
        *len = strlen(js) - 2;
        body = strndup(js + 1, *len);
    }
    cJSON_free(js);
    cJSON_Delete(j);
    free(copy);
    return body;
}

/* traceContent: the fast encoder with reuse across records and without,
   plain and as a JSON string's inside, whole and cut at a third, against
   the reference (cJSON, nothing reused). */
static void compare_vgtrace(const struct tr_trace *t, const char *name)
{
    static const struct {
        const char *what;
        unsigned how;
    } modes[] = {{"vgtrace", 0},
                 {"vgtrace without reuse", TR_VG_NO_REUSE},
                 {"vgtrace as JSON", TR_VG_JSON},
                 {"vgtrace as JSON without reuse", TR_VG_JSON | TR_VG_NO_REUSE}};
    size_t rn = 0, jn = 0;
    char *ref = tr_enc_vgtrace_with(t, 0, &rn, NULL, TR_VG_REFERENCE);
    CHECK(ref != NULL);
    if (!ref)
        return;
    char *ref_json = as_json_body(ref, rn, &jn);
    CHECK(ref_json != NULL);
    /* the reference's own JSON form is what cJSON prints */
    size_t rjn = 0;
    char *rj = tr_enc_vgtrace_with(t, 0, &rjn, NULL, TR_VG_REFERENCE | TR_VG_JSON);
    check_same("reference vgtrace as JSON", name, rj, rjn, ref_json, jn);
    free(rj);
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        int json = (modes[k].how & TR_VG_JSON) != 0;
        size_t fn = 0, want_n = json ? jn : rn;
        const char *want = json ? ref_json : ref;
        char *fast = tr_enc_vgtrace_with(t, 0, &fn, NULL, modes[k].how);
        check_same(modes[k].what, name, fast, fn, want, want_n);
        free(fast);
        size_t cap = want_n / 3 > 4096 ? want_n / 3 : 0;
        if (!cap)
            continue;
        struct tr_enc_cut fc = {0}, rc = {0};
        size_t cn = 0;
        fast = tr_enc_vgtrace_with(t, cap, &fn, &fc, modes[k].how);
        char *cref = tr_enc_vgtrace_with(t, cap, &cn, &rc,
                                         TR_VG_REFERENCE | (modes[k].how & TR_VG_JSON));
        check_same(modes[k].what, name, fast, fn, cref, cn);
        CHECK_INT(fc.kept, rc.kept);
        CHECK(fc.kept < fc.total); /* the cap did cut */
        CHECK(fn <= cap);
        free(fast);
        free(cref);
    }
    free(ref);
    free(ref_json);
}

/* Every encoding of t, fast and reference, whole and cut at a third. */
static void compare_encodings(const struct tr_trace *t, const char *name)
{
    static const struct {
        const char *what;
        enum tr_enc_style style;
    } styles[] = {{"seepp trace", TR_ENC_SEEPP}, {"opt trace", TR_ENC_OPT}};
    for (size_t k = 0; k < sizeof styles / sizeof styles[0]; k++) {
        size_t fn = 0, rn = 0;
        char *fast = tr_enc_trace_with(t, styles[k].style, 0, &fn, NULL, 0);
        char *ref = tr_enc_trace_with(t, styles[k].style, 0, &rn, NULL, 1);
        check_same(styles[k].what, name, fast, fn, ref, rn);
        size_t cap = rn / 3 > 4096 ? rn / 3 : 0;
        free(fast);
        free(ref);
        if (!cap)
            continue;
        struct tr_enc_cut fc = {0}, rc = {0};
        fast = tr_enc_trace_with(t, styles[k].style, cap, &fn, &fc, 0);
        ref = tr_enc_trace_with(t, styles[k].style, cap, &rn, &rc, 1);
        check_same("cut trace", name, fast, fn, ref, rn);
        CHECK_INT(fc.kept, rc.kept);
        CHECK(fc.kept < fc.total); /* the cap did cut */
        free(fast);
        free(ref);
    }
    compare_vgtrace(t, name);
}

/* Trace path (memcheck too when asked) and compare its encodings. Returns 1
   when a trace was made. */
static int trace_and_compare(const char *path, int memcheck)
{
    struct tr_request r;
    if (rt_scratch_request(&r, path) != 0) {
        tr_request_free(&r);
        return 0;
    }
    r.memcheck = memcheck;
    struct tr_run_opts o = {.engine = TR_ENGINE_PTRACE, .work_root = root};
    struct tr_result *res = NULL;
    int made = 0;
    if (tr_run_result(&r, &o, &res) == TR_OK && res && res->ok && res->trace) {
        const char *slash = strrchr(path, '/');
        compare_encodings(res->trace, slash ? slash + 1 : path);
        made = res->trace->nsteps > 0;
    }
    tr_result_free(res);
    tr_request_free(&r);
    return made;
}

static int trace_plain(const char *path)
{
    return trace_and_compare(path, 0);
}

static void test_sample_programs(void)
{
    const char *dir = getenv("SPP_PROGRAMS");
    CHECK(rt_scratch_each_program(dir && *dir ? dir : "../shared/programs", trace_plain) >= 10);
}

static void test_student_corpus(void)
{
    CHECK(rt_scratch_each_program("tests/programs/student", trace_plain) >= 10);
}

/* memcheck findings on steps (memcheckErrors) and at the end */
static void test_memcheck_findings(void)
{
    if (access("/usr/bin/valgrind", X_OK) != 0) {
        printf("  (no valgrind: memcheck findings not compared)\n");
        return;
    }
    CHECK(trace_and_compare("tests/programs/mc_invalid_read.c", 1));
    CHECK(trace_and_compare("tests/programs/mc_leaks.c", 1));
}

/* The writers print what cJSON prints. */
static void test_writers_match_cjson(void)
{
    static const double nums[] = {0,          -1,          7,           2147483647.0,
                                  2147483648.0, -2147483648.0, -2147483649.0, 4294967296.0,
                                  1e300,      0.1,         -2.5,        18446744073709551615.0,
                                  1.0 / 3.0,  123456789012345678.0};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        struct tr_enc_buf b = {0};
        cJSON *j = cJSON_CreateNumber(nums[i]);
        char *want = cJSON_PrintUnformatted(j);
        CHECK(tr_enc_buf_num(&b, nums[i]) == 0);
        CHECK_STR(b.p, want);
        cJSON_free(want);
        cJSON_Delete(j);
        free(b.p);
    }
    char all[256];
    for (int c = 1; c < 256; c++)
        all[c - 1] = (char)c;
    all[255] = '\0';
    struct tr_enc_buf b = {0};
    cJSON *j = cJSON_CreateString(all);
    char *want = cJSON_PrintUnformatted(j);
    CHECK(tr_enc_buf_str(&b, all) == 0);
    CHECK_STR(b.p, want);
    cJSON_free(want);
    cJSON_Delete(j);
    free(b.p);
    b = (struct tr_enc_buf){0};
    CHECK(tr_enc_buf_addr(&b, 0x7ffc0a1bULL) == 0 && tr_enc_buf_addr(&b, 0) == 0);
    CHECK_STR(b.p, "\"0x7FFC0A1B\"\"0x0\"");
    free(b.p);
}

int main(void)
{
    if (rt_scratch_find_rt() != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    if (rt_scratch_make(root, sizeof root, "spp-enc-reuse") != 0)
        SKIP_ALL("cannot make a temporary directory");
    /* the precompiled headers in our own directory, not beside this binary */
    char pch[300];
    snprintf(pch, sizeof pch, "%s/pch", root);
    setenv("SPP_PCH_DIR", pch, 1);
    static const struct check_test tests[] = {
        TEST(test_writers_match_cjson), TEST(test_sample_programs), TEST(test_student_corpus),
        TEST(test_memcheck_findings)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    rt_scratch_remove(root);
    return rc;
}
