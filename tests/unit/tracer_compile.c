/*
 * tracer_compile.c - the compile driver: precompiled headers (built once,
 * used for exactly the leading includes, capped), the See++ shim line, and
 * the first error's line and text for compile and link errors.
 */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tracer/compile.h"
#include "run/run.h"

static char root[256];

static int mkdir_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", root, name);
    return mkdir(out, 0755);
}

static int count_gch(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        n += l > 4 && strcmp(e->d_name + l - 4, ".gch") == 0;
    }
    if (d)
        closedir(d);
    return n;
}

static int compile(const char *code, enum tr_lang lang, const char *pch, const char *run,
                   struct tr_compile_result *r)
{
    char err[TR_ERRBUF_LEN];
    struct tr_compile_opts o = {.run_dir = run, .code = code, .code_len = strlen(code),
                                .lang = lang, .rt_obj = tr_run_rt_obj(), .pch_dir = pch};
    return tr_compile(&o, r, err) == TR_OK ? 0 : -1;
}

static void test_pch_built_once_then_used(void)
{
    char pch[512], run1[512], run2[512];
    REQUIRE(mkdir_in(pch, sizeof pch, "pch1") == 0);
    REQUIRE(mkdir_in(run1, sizeof run1, "run1") == 0 && mkdir_in(run2, sizeof run2, "run2") == 0);
    const char *code = "// leading comment\n#include <cstdio>\n\n#include <cstdlib>\n"
                       "int main() { printf(\"hi\\n\"); return 0; }\n";
    struct tr_compile_result r;
    REQUIRE(compile(code, TR_LANG_CXX, pch, run1, &r) == 0);
    CHECK(r.ok);
    CHECK(r.used_pch);
    CHECK_INT(count_gch(pch), 1);
    tr_compile_result_free(&r);
    REQUIRE(compile(code, TR_LANG_CXX, pch, run2, &r) == 0);
    CHECK(r.ok && r.used_pch);
    CHECK_INT(count_gch(pch), 1); /* reused, not rebuilt */
    tr_compile_result_free(&r);
    /* a define before the includes could change them: no PCH */
    const char *defined = "#define NDEBUG\n#include <cstdio>\nint main() { return 0; }\n";
    REQUIRE(compile(defined, TR_LANG_CXX, pch, run2, &r) == 0);
    CHECK(r.ok && !r.used_pch);
    tr_compile_result_free(&r);
}

static void test_pch_cache_is_capped(void)
{
    char pch[512], run[512], f[700];
    REQUIRE(mkdir_in(pch, sizeof pch, "pchfull") == 0 && mkdir_in(run, sizeof run, "run3") == 0);
    for (int i = 0; i < 40; i++) {
        snprintf(f, sizeof f, "%s/filler%02d.hpp.gch", pch, i);
        FILE *fp = fopen(f, "w");
        REQUIRE(fp);
        fclose(fp);
    }
    struct tr_compile_result r;
    REQUIRE(compile("#include <cstdio>\nint main() { return 0; }\n", TR_LANG_CXX, pch, run,
                    &r) == 0);
    CHECK(r.ok);
    CHECK(!r.used_pch);
    CHECK_INT(count_gch(pch), 40); /* nothing new built */
    tr_compile_result_free(&r);
}

static void test_shim_line_replaced_line_numbers_kept(void)
{
    char run[512];
    REQUIRE(mkdir_in(run, sizeof run, "run4") == 0);
    /* with the shim, std::string's unions would become structs */
    const char *code = "#define union struct\nunion U { int i; char c; };\n"
                       "int main() { U u; u.i = 65; return sizeof(U) == 4 ? 0 : 1; }\n"
                       "int broken = ;\n";
    struct tr_compile_result r;
    REQUIRE(compile(code, TR_LANG_CXX, NULL, run, &r) == 0);
    CHECK(!r.ok);
    CHECK_INT(r.error_line, 4); /* still the line as received */
    tr_compile_result_free(&r);
}

static void test_first_error_and_link_error(void)
{
    char run[512];
    REQUIRE(mkdir_in(run, sizeof run, "run5") == 0);
    struct tr_compile_result r;
    REQUIRE(compile("int main(void) {\n  int x = 1;\n  return y + x;\n}\n", TR_LANG_C, NULL, run,
                    &r) == 0);
    CHECK(!r.ok && !r.limit_hit);
    CHECK_STR(r.src_name, "main.c");
    CHECK_INT(r.error_line, 3);
    CHECK(r.error_msg && strstr(r.error_msg, "error:") && strstr(r.error_msg, "y"));
    CHECK(r.diagnostics && strstr(r.diagnostics, "main.c:3:") && !strstr(r.diagnostics, root));
    tr_compile_result_free(&r);
    REQUIRE(compile("int helper(int);\nint main() {\n  return helper(1);\n}\n", TR_LANG_CXX,
                    NULL, run, &r) == 0);
    CHECK(!r.ok);
    CHECK_INT(r.error_line, 3);
    CHECK(r.error_msg && strstr(r.error_msg, "undefined reference") &&
          strstr(r.error_msg, "helper"));
    tr_compile_result_free(&r);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    (void)f;
    return remove(path);
}

int main(void)
{
    char rt[PATH_MAX];
    /* tests run from the repository root (tests/run_all.sh) */
    if (!getenv("SPP_RT_OBJ") && realpath("build/rt/sppmon.o", rt))
        setenv("SPP_RT_OBJ", rt, 1);
    if (!tr_run_rt_obj() || access(tr_run_rt_obj(), R_OK) != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    snprintf(root, sizeof root, "/tmp/spp-compile-test-XXXXXX");
    if (!mkdtemp(root))
        SKIP_ALL("cannot make a temporary directory");
    chmod(root, 0755); /* the compiler may run as another uid */
    static const struct check_test tests[] = {
        TEST(test_pch_built_once_then_used), TEST(test_pch_cache_is_capped),
        TEST(test_shim_line_replaced_line_numbers_kept), TEST(test_first_error_and_link_error)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
