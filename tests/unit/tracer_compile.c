/*
 * tracer_compile.c - the compile driver: precompiled headers (built once,
 * used for exactly the leading includes or a part of them, capped), the See++ shim line, and
 * the first error's line and text for compile and link errors, and the
 * clock option: a program built with it counts one tick of the runtime's
 * logical clock per basic block, the same count at the same point of every
 * run, natively and under Valgrind (the program prints spp_rt.clock
 * itself: what a tracer reading spp_rt sees); without it the clock stays 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "tests/support/rt_scratch.h"
#include "tracer/compile.h"
#include "run/run.h"
#include "tracer/rt/sppmon.h"

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

/* Fill a PCH directory to its cap: it builds nothing more, as a read-only
   installation (Lambda's) builds nothing. */
static void fill_to_cap(const char *pch)
{
    char f[700];
    for (int i = 0; i < 40; i++) {
        snprintf(f, sizeof f, "%s/filler%02d.hpp.gch", pch, i);
        FILE *fp = fopen(f, "w");
        REQUIRE(fp);
        fclose(fp);
    }
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* The one .hpp of a directory holding one PCH: 0 and its path. */
static int only_header(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = -1;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".hpp") == 0) {
            snprintf(out, cap, "%s/%s", dir, e->d_name);
            found = found == -1 ? 0 : -2;
        }
    }
    if (d)
        closedir(d);
    return found;
}

/* A list no PCH matches exactly uses the PCH of a part of it; never a
   PCH holding a header the source did not include (its names would
   compile where g++ alone says "not declared"), nor a file whose name is
   not the hash of what it holds. */
static void test_pch_of_part_of_the_list(void)
{
    char pch[512], run[512], hdr[800], forged[800];
    REQUIRE(mkdir_in(pch, sizeof pch, "pchpart") == 0 && mkdir_in(run, sizeof run, "runpart") == 0);
    struct tr_compile_result r;
    REQUIRE(compile("#include <vector>\nint main() { std::vector<int> v; return (int)v.size(); }\n",
                    TR_LANG_CXX, pch, run, &r) == 0);
    CHECK(r.ok && r.used_pch);
    tr_compile_result_free(&r);
    REQUIRE(only_header(pch, hdr, sizeof hdr) == 0);
    fill_to_cap(pch);

    /* <cstdio> and <vector>: the <vector> PCH serves it */
    const char *both = "#include <cstdio>\n#include <vector>\n"
                       "int main() { std::vector<int> v{1, 2}; printf(\"%d\\n\", (int)v.size()); "
                       "return 0; }\n";
    REQUIRE(compile(both, TR_LANG_CXX, pch, run, &r) == 0);
    CHECK(r.ok);
    CHECK(r.used_pch);
    CHECK_INT(count_gch(pch), 41); /* nothing built */
    tr_compile_result_free(&r);

    /* <cstdio> alone: std::vector stays undeclared */
    const char *lacks = "#include <cstdio>\n"
                        "int main() { std::vector<int> v; return (int)v.size(); }\n";
    REQUIRE(compile(lacks, TR_LANG_CXX, pch, run, &r) == 0);
    CHECK(!r.ok);
    CHECK(!r.used_pch);
    CHECK(r.error_msg && strstr(r.error_msg, "vector"));
    tr_compile_result_free(&r);

    /* the <vector> PCH under a name claiming <cstdio>: not taken */
    snprintf(forged, sizeof forged, "%s/0123456789abcdef.hpp", pch);
    FILE *fp = fopen(forged, "w");
    REQUIRE(fp);
    fputs("#include <cstdio>\n", fp);
    fclose(fp);
    char gch_from[900], gch_to[900];
    snprintf(gch_from, sizeof gch_from, "%s.gch", hdr);
    snprintf(gch_to, sizeof gch_to, "%s.gch", forged);
    REQUIRE(copy_file(gch_from, gch_to) == 0);
    REQUIRE(compile(lacks, TR_LANG_CXX, pch, run, &r) == 0);
    CHECK(!r.ok && !r.used_pch);
    tr_compile_result_free(&r);

    /* a C source never takes a C++ PCH */
    REQUIRE(compile("#include <stdio.h>\n#include <stdlib.h>\n"
                    "int main(void) { printf(\"%d\\n\", abs(-2)); return 0; }\n",
                    TR_LANG_C, pch, run, &r) == 0);
    CHECK(r.ok && !r.used_pch);
    tr_compile_result_free(&r);
}

static void test_pch_cache_is_capped(void)
{
    char pch[512], run[512];
    REQUIRE(mkdir_in(pch, sizeof pch, "pchfull") == 0 && mkdir_in(run, sizeof run, "run3") == 0);
    fill_to_cap(pch);
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

#define NPASS 6

/* ---- the runtime's logical clock (spp_rt.clock, sppmon.h) ------------------

   The program prints the clock at the head of each pass of a loop whose
   odd passes take one more branch, then once after it. */
static int build(const char *name, int clock, struct tr_compile_result *r)
{
    char run[512], code[1024], err[TR_ERRBUF_LEN];
    snprintf(run, sizeof run, "%s/%s", root, name);
    if (mkdir(run, 0755) != 0)
        return -1;
    snprintf(code, sizeof code,
             "#include <stdio.h>\n"
             "extern unsigned long long spp_rt[];\n"
             "int main(void) {\n"
             "    int s = 0;\n"
             "    for (int i = 0; i < %d; i++) {\n"
             "        printf(\"%%llu\\n\", spp_rt[%zu]);\n"
             "        if (i %% 2)\n"
             "            s += i;\n"
             "    }\n"
             "    printf(\"%%llu\\n\", spp_rt[%zu]);\n"
             "    return s == 9 ? 0 : 1;\n"
             "}\n",
             NPASS, offsetof(struct spp_rt, clock) / 8, offsetof(struct spp_rt, clock) / 8);
    struct tr_compile_opts o = {.run_dir = run, .code = code, .code_len = strlen(code),
                                .lang = TR_LANG_C, .rt_obj = tr_run_rt_obj(), .clock = clock};
    return tr_compile(&o, r, err) == TR_OK && r->ok ? 0 : -1;
}

/* Runs argv (no shell) and parses the NPASS + 1 clock values it prints.
   0 when it exited 0 and printed exactly them. */
static int run_clocks(const char *const argv[], unsigned long long *out)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(p[1], 1);
        if (null >= 0)
            dup2(null, 2);
        close(p[0]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    while (got + 1 < sizeof buf && (n = read(p[0], buf + got, sizeof buf - 1 - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    char *s = buf;
    for (int i = 0; i <= NPASS; i++) {
        char *end;
        out[i] = strtoull(s, &end, 10);
        if (end == s || *end != '\n')
            return -1;
        s = end + 1;
    }
    return *s ? -1 : 0;
}

static int have_valgrind(void)
{
    const char *argv[] = {"valgrind", "--version", NULL};
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_clock_counts_blocks_the_same_natively_and_under_valgrind(void)
{
    struct tr_compile_result r;
    REQUIRE(build("clock", 1, &r) == 0);
    unsigned long long nat[NPASS + 1], nat2[NPASS + 1], vg[NPASS + 1];
    const char *native[] = {r.exe, NULL};
    REQUIRE(run_clocks(native, nat) == 0);
    /* every pass moves the clock on; an odd pass by one block more than an
       even one (the `s += i` branch), the same amount every time */
    for (int i = 1; i <= NPASS; i++)
        CHECK(nat[i] > nat[i - 1]);
    unsigned long long even = nat[1] - nat[0], odd = nat[2] - nat[1];
    CHECK(odd > even);
    for (int i = 2; i + 1 < NPASS; i += 2) {
        CHECK(nat[i + 1] - nat[i] == even);
        CHECK(nat[i + 2] - nat[i + 1] == odd);
    }
    REQUIRE(run_clocks(native, nat2) == 0);
    CHECK(memcmp(nat, nat2, sizeof nat) == 0);
    if (!have_valgrind())
        return; /* the native half still ran */
    const char *under_vg[] = {"valgrind", "-q", "--error-exitcode=99", r.exe, NULL};
    REQUIRE(run_clocks(under_vg, vg) == 0);
    for (int i = 0; i <= NPASS; i++)
        CHECK_INT((long long)vg[i], (long long)nat[i]);
    tr_compile_result_free(&r);
}

static void test_no_clock_without_the_flag(void)
{
    struct tr_compile_result r;
    REQUIRE(build("plain", 0, &r) == 0);
    unsigned long long nat[NPASS + 1];
    const char *native[] = {r.exe, NULL};
    REQUIRE(run_clocks(native, nat) == 0);
    for (int i = 0; i <= NPASS; i++)
        CHECK_INT((long long)nat[i], 0);
    tr_compile_result_free(&r);
}

int main(void)
{
    if (rt_scratch_find_rt() != 0)
        SKIP_ALL("runtime object not built (make build/rt/sppmon.o)");
    if (rt_scratch_make(root, sizeof root, "spp-compile-test") != 0)
        SKIP_ALL("cannot make a temporary directory");
    static const struct check_test tests[] = {
        TEST(test_pch_built_once_then_used), TEST(test_pch_cache_is_capped),
        TEST(test_pch_of_part_of_the_list),
        TEST(test_shim_line_replaced_line_numbers_kept), TEST(test_first_error_and_link_error),
        TEST(test_clock_counts_blocks_the_same_natively_and_under_valgrind),
        TEST(test_no_clock_without_the_flag)};
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    rt_scratch_remove(root);
    return rc;
}
