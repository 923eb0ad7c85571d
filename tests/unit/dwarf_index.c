/*
 * dwarf_index.c - the DWARF index against programs compiled here and now.
 *
 * Each test writes a small program into its own mkdtemp directory, compiles
 * it the way spp-trace does (g++ -std=c++17 / gcc -std=c11, -g -O0
 * -fno-omit-frame-pointer -fcf-protection=none -no-pie, the source named
 * main.cpp / main.c), opens the index and checks concrete facts: names,
 * lines, scopes, locations, type shapes, symbols and spellings. Line numbers
 * in the expectations are the line numbers of the embedded sources.
 *
 * Without a compiler the whole file is skipped (exit 77).
 */
#include "dwarf/dw_index.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dwarf/dw_int.h"

/* ---- helpers -------------------------------------------------------------- */

struct prog {
    char dir[64];
    char src[96];
    char exe[96];
    struct dw_index *ix;
};

static int run(char *const argv[], const char *cwd)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (chdir(cwd) != 0)
            _exit(126);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole file needs gcc and g++; without them it is skipped. */
static void need_compilers(void)
{
    static int ok = -1;
    if (ok < 0) {
        char *gcc[] = {"gcc", "--version", NULL};
        char *gxx[] = {"g++", "--version", NULL};
        ok = run(gcc, "/") == 0 && run(gxx, "/") == 0;
    }
    if (!ok)
        SKIP_ALL("gcc/g++ not found");
}

/* Compiles text as main.cpp (cxx) or main.c into a fresh directory. extra
   is one more compiler flag or NULL. */
static int compile(struct prog *p, int cxx, const char *text, const char *extra)
{
    need_compilers();
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "/tmp/spp-dwarf-XXXXXX");
    if (!mkdtemp(p->dir))
        return -1;
    snprintf(p->src, sizeof p->src, "%s/%s", p->dir, cxx ? "main.cpp" : "main.c");
    snprintf(p->exe, sizeof p->exe, "%s/prog", p->dir);
    FILE *f = fopen(p->src, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    char *argv[16];
    int n = 0;
    argv[n++] = cxx ? "g++" : "gcc";
    argv[n++] = cxx ? "-std=c++17" : "-std=c11";
    argv[n++] = "-g";
    argv[n++] = "-O0";
    argv[n++] = "-fno-omit-frame-pointer";
    argv[n++] = "-fcf-protection=none";
    argv[n++] = "-no-pie";
    if (extra)
        argv[n++] = (char *)extra;
    argv[n++] = cxx ? "main.cpp" : "main.c";
    argv[n++] = "-o";
    argv[n++] = "prog";
    argv[n] = NULL;
    return run(argv, p->dir);
}

static void prog_free(struct prog *p)
{
    dw_index_close(p->ix);
    p->ix = NULL;
    if (p->src[0])
        unlink(p->src);
    if (p->exe[0])
        unlink(p->exe);
    if (p->dir[0])
        rmdir(p->dir);
}

/* Compile and open; 0 on success. */
static int open_prog(struct prog *p, int cxx, const char *text, const char *extra)
{
    char err[DWX_ERRBUF_LEN];
    if (compile(p, cxx, text, extra) != 0) {
        fprintf(stderr, "  compile failed in %s\n", p->dir);
        return -1;
    }
    enum dw_err e = dw_index_open(p->exe, cxx ? "main.cpp" : "main.c", &p->ix, err, sizeof err);
    if (e != DWX_OK) {
        fprintf(stderr, "  dw_index_open: %s: %s\n", dw_strerror(e), err);
        return -1;
    }
    return 0;
}

/* First statement address of a user line, 0 if none. */
static dw_addr line_addr(const struct dw_index *ix, int line)
{
    size_t n;
    const struct dw_line *l = dw_index_lines(ix, &n);
    for (size_t i = 0; i < n; i++)
        if (l[i].line == line)
            return l[i].addr;
    return 0;
}

static const struct dw_var *var_in(const struct dw_var *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->name, name) == 0)
            return v[i];
    return NULL;
}

/* A variable of f's outermost scope. */
static const struct dw_var *local(const struct dw_func *f, const char *name)
{
    for (size_t i = 0; f && i < f->scope.nvars; i++)
        if (strcmp(f->scope.vars[i].name, name) == 0)
            return &f->scope.vars[i];
    return NULL;
}

/* The stripped type of a local of main. */
static const struct dw_type *main_type(const struct dw_index *ix, const char *var)
{
    const struct dw_var *v = local(dw_index_func_named(ix, "main"), var);
    return v ? dw_type_strip(v->type) : NULL;
}

static const struct dw_member *member(const struct dw_type *t, const char *name)
{
    for (size_t i = 0; t && i < t->nmembers; i++)
        if (t->members[i].name && strcmp(t->members[i].name, name) == 0)
            return &t->members[i];
    return NULL;
}

static const char *spelled(const struct dw_index *ix, const char *var, char *buf, size_t len)
{
    const struct dw_var *v = local(dw_index_func_named(ix, "main"), var);
    return v ? dw_type_name(v->type, buf, len) : "(no such variable)";
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- functions and lines ------------------------------------------------- */

static const char *const FUNCS_SRC =
    "#include <vector>\n"                          /* 1 */
    "#include <cstdio>\n"                          /* 2 */
    "namespace ns {\n"                             /* 3 */
    "template <typename T> struct Box {\n"         /* 4 */
    "    T val;\n"                                 /* 5 */
    "    T get() const {\n"                        /* 6 */
    "        return val;\n"                        /* 7 */
    "    }\n"                                      /* 8 */
    "};\n"                                         /* 9 */
    "int twice(int x)\n"                           /* 10 */
    "{\n"                                          /* 11 */
    "    int y = x * 2;\n"                         /* 12 */
    "    return y;\n"                              /* 13 */
    "}\n"                                          /* 14 */
    "}\n"                                          /* 15 */
    "struct List {\n"                              /* 16 */
    "    int items[4];\n"                          /* 17 */
    "    int n = 0;\n"                             /* 18 */
    "    void push(int v);\n"                      /* 19 */
    "};\n"                                         /* 20 */
    "void List::push(int v)\n"                     /* 21 */
    "{\n"                                          /* 22 */
    "    items[n++] = v;\n"                        /* 23 */
    "}\n"                                          /* 24 */
    "struct Dog {\n"                               /* 25 */
    "    int age;\n"                               /* 26 */
    "    explicit Dog(int a) : age(a)\n"           /* 27 */
    "    {\n"                                      /* 28 */
    "        std::printf(\"born\\n\");\n"          /* 29 */
    "    }\n"                                      /* 30 */
    "    ~Dog()\n"                                 /* 31 */
    "    {\n"                                      /* 32 */
    "        std::printf(\"gone\\n\");\n"          /* 33 */
    "    }\n"                                      /* 34 */
    "};\n"                                         /* 35 */
    "struct Vec {\n"                               /* 36 */
    "    int x, y;\n"                              /* 37 */
    "};\n"                                         /* 38 */
    "Vec operator+(Vec a, Vec b)\n"                /* 39 */
    "{\n"                                          /* 40 */
    "    return Vec{a.x + b.x, a.y + b.y};\n"      /* 41 */
    "}\n"                                          /* 42 */
    "int main()\n"                                 /* 43 */
    "{\n"                                          /* 44 */
    "    std::vector<int> v;\n"                    /* 45 */
    "    v.push_back(1);\n"                        /* 46 */
    "    ns::Box<int> b{7};\n"                     /* 47 */
    "    List l;\n"                                /* 48 */
    "    l.push(b.get());\n"                       /* 49 */
    "    Dog d(3);\n"                              /* 50 */
    "    Vec s = Vec{1, 2} + Vec{3, 4};\n"         /* 51 */
    "    auto add = [&](int k) {\n"                /* 52 */
    "        return k + s.x;\n"                    /* 53 */
    "    };\n"                                     /* 54 */
    "    return add(ns::twice(l.items[0])) + (int)v.size();\n" /* 55 */
    "}\n";                                         /* 56 */

static void test_user_functions(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, FUNCS_SRC, NULL) == 0);
    static const struct {
        const char *name;
        int decl_line, body_line;
    } want[] = {
        {"ns::twice", 10, 12},        {"List::push", 21, 23},
        {"operator+", 39, 41},        {"main", 43, 45},
        {"Dog::~Dog", 31, 33},        {"ns::Box<int>::get", 6, 7},
        {"main::<lambda>::operator()", 52, 53},
        {"Dog::Dog", 27, 0}, /* body starts in the init list */
    };
    size_t n;
    const struct dw_func *fs = dw_index_funcs(p.ix, &n);
    CHECK_INT(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct dw_func *f = dw_index_func_named(p.ix, want[i].name);
        CHECK(f != NULL);
        if (!f) {
            fprintf(stderr, "  missing %s\n", want[i].name);
            continue;
        }
        CHECK_INT(f->decl_line, want[i].decl_line);
        CHECK(f->low_pc < f->high_pc);
        CHECK(f->body_pc > f->low_pc && f->body_pc < f->high_pc);
        if (want[i].body_line)
            CHECK_INT(dw_index_line_at(p.ix, f->body_pc), want[i].body_line);
        CHECK(f->open_line > 0);
        CHECK(dw_index_func_at(p.ix, f->low_pc) == f);
        CHECK(dw_index_func_at(p.ix, f->high_pc - 1) == f);
        CHECK(dw_index_func_at(p.ix, f->body_pc) == f);
    }
    for (size_t i = 0; i < n; i++) {
        CHECK(strstr(fs[i].name, "std::") == NULL); /* library code is not the user's */
        if (i)
            CHECK(fs[i - 1].high_pc <= fs[i].low_pc); /* sorted by low_pc */
    }
    CHECK(dw_index_func_named(p.ix, "Dog::Dog") != NULL);
    CHECK_STR(dw_index_func_named(p.ix, "List::push")->linkage_name, "_ZN4List4pushEi");
    CHECK(dw_index_func_named(p.ix, "Vec::Vec") == NULL); /* implicit: artificial */
    const struct dw_func *twice = dw_index_func_named(p.ix, "ns::twice");
    CHECK(twice && twice->ret_type && strcmp(twice->ret_type->name, "int") == 0);
    CHECK(dw_index_func_named(p.ix, "List::push")->ret_type == NULL); /* void */
    CHECK_INT(dw_index_func_named(p.ix, "main")->open_line, 44);

    /* std::vector<int>::push_back is compiled into this CU but is library code */
    dw_addr pb = 0;
    CHECK(dw_index_symbol_addr(p.ix, "_ZNSt6vectorIiSaIiEE9push_backEOi", &pb));
    CHECK(pb != 0 && dw_index_func_at(p.ix, pb) == NULL);
    CHECK_INT(dw_index_line_at(p.ix, pb), 0);
    CHECK_INT(dw_index_line_at(p.ix, pb + 8), 0);
    CHECK(dw_index_func_at(p.ix, 0) == NULL);
    CHECK_INT(dw_index_line_at(p.ix, 0), 0);
    prog_free(&p);
}

static const char *const NAMES_SRC =
    "#include <cstdio>\n"                                                        /* 1 */
    "template <class T> T maxv(T a, T b) { return a > b ? a : b; }\n"            /* 2 */
    "namespace a { namespace b { int deep(int x) { return x + 1; } } }\n"        /* 3 */
    "namespace { int hidden(int x) { return x * 3; } }\n"                        /* 4 */
    "struct Outer {\n"                                                           /* 5 */
    "    struct Inner { int f() const { return 2; } };\n"                        /* 6 */
    "    static int sfn(int k) { return k * 2; }\n"                              /* 7 */
    "    Outer &operator+=(const Outer &) { return *this; }\n"                   /* 8 */
    "    operator int() const { return 7; }\n"                                   /* 9 */
    "    void withlambda() { auto l = [this](int q) { return q + v; }; v = l(1); }\n" /* 10 */
    "    int v = 0;\n"                                                           /* 11 */
    "};\n"                                                                       /* 12 */
    "int over(int x) { return x; }\n"                                            /* 13 */
    "double over(double x) { return x; }\n"                                      /* 14 */
    "auto glob = [](int z) { return z * 5; };\n"                                 /* 15 */
    "int main() {\n"                                                             /* 16 */
    "    Outer o; Outer::Inner in;\n"                                            /* 17 */
    "    o += o; o.withlambda();\n"                                              /* 18 */
    "    auto gen = [](auto x) { return x + 1; };\n"                             /* 19 */
    "    int r = maxv(1, 2) + a::b::deep(1) + hidden(2) + in.f() + Outer::sfn(3) + (int)o\n"
    "        + over(1) + (int)over(2.0) + glob(1) + gen(1) + (int)gen(2.5);\n"
    "    std::printf(\"%d\\n\", r);\n"
    "    return 0;\n"
    "}\n";

static void test_function_names(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, NAMES_SRC, NULL) == 0);
    static const struct {
        const char *name;
        int line;
    } want[] = {
        {"maxv<int>", 2},
        {"a::b::deep", 3},
        {"hidden", 4}, /* anonymous namespace: spelled as C++ code spells it */
        {"Outer::Inner::f", 6},
        {"Outer::sfn", 7},
        {"Outer::operator+=", 8},
        {"Outer::operator int", 9},
        {"Outer::withlambda", 10},
        {"Outer::withlambda::<lambda>::operator()", 10},
        {"<lambda>::operator()", 15}, /* a lambda at namespace scope */
        {"main::<lambda>::operator()<int>", 19},
        {"main::<lambda>::operator()<double>", 19},
        {"main", 16},
    };
    size_t n;
    dw_index_funcs(p.ix, &n);
    CHECK_INT(n, sizeof want / sizeof want[0] + 2); /* and the two "over" */
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct dw_func *f = dw_index_func_named(p.ix, want[i].name);
        CHECK(f != NULL);
        if (!f) {
            fprintf(stderr, "  missing %s\n", want[i].name);
            continue;
        }
        CHECK_INT(f->decl_line, want[i].line);
        CHECK_INT(dw_index_line_at(p.ix, f->body_pc), want[i].line == 16 ? 17 : want[i].line);
    }
    const struct dw_func *fs = dw_index_funcs(p.ix, &n);
    int overs = 0;
    for (size_t i = 0; i < n; i++)
        overs += strcmp(fs[i].name, "over") == 0;
    CHECK_INT(overs, 2); /* overloads: one entry each */
    const struct dw_func *l = dw_index_func_named(p.ix, "main::<lambda>::operator()<int>");
    REQUIRE(l != NULL);
    const struct dw_var *x = local(l, "x");
    CHECK(x && x->is_param && strcmp(x->type->name, "int") == 0);
    prog_free(&p);
}

static void test_lines(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, FUNCS_SRC, NULL) == 0);
    size_t n;
    const struct dw_line *l = dw_index_lines(p.ix, &n);
    REQUIRE(n > 20);
    for (size_t i = 0; i < n; i++) {
        if (i)
            CHECK(l[i - 1].addr < l[i].addr); /* one row per address, sorted */
        CHECK(dw_index_func_at(p.ix, l[i].addr) != NULL);
        CHECK(l[i].line >= 6 && l[i].line <= 56);
        CHECK_INT(dw_index_line_at(p.ix, l[i].addr), l[i].line);
    }
    /* every statement line of main and of the out-of-class method is there */
    for (int line = 45; line <= 56; line++)
        if (line != 53 && line != 52)
            CHECK(line_addr(p.ix, line) != 0);
    CHECK(line_addr(p.ix, 23) != 0);
    CHECK(line_addr(p.ix, 12) != 0 && line_addr(p.ix, 13) != 0);
    /* lines that hold no code */
    CHECK(line_addr(p.ix, 3) == 0);
    CHECK(line_addr(p.ix, 19) == 0);
    CHECK(line_addr(p.ix, 37) == 0);
    /* a pc in the middle of line 13's code maps back to 13 */
    dw_addr a13 = line_addr(p.ix, 13);
    CHECK_INT(dw_index_line_at(p.ix, a13 + 1), 13);
    prog_free(&p);
}

/* ---- variables and scopes ------------------------------------------------- */

static const char *const SCOPES_SRC =
    "int counter(int step)\n"               /* 1 */
    "{\n"                                   /* 2 */
    "    static int calls = 0;\n"           /* 3 */
    "    calls += step;\n"                  /* 4 */
    "    return calls;\n"                   /* 5 */
    "}\n"                                   /* 6 */
    "struct P {\n"                          /* 7 */
    "    int v;\n"                          /* 8 */
    "    int get(int k) { return v + k; }\n" /* 9 */
    "};\n"                                  /* 10 */
    "int main()\n"                          /* 11 */
    "{\n"                                   /* 12 */
    "    int total = 0;\n"                  /* 13 */
    "    int x = 1;\n"                      /* 14 */
    "    for (int i = 0; i < 3; i++) {\n"   /* 15 */
    "        int x = i * 2;\n"              /* 16 */
    "        total += x;\n"                 /* 17 */
    "    }\n"                               /* 18 */
    "    P p{x};\n"                         /* 19 */
    "    total += counter(1) + p.get(2);\n" /* 20 */
    "    return total;\n"                   /* 21 */
    "}\n";                                  /* 22 */

static void test_scopes_and_shadowing(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, SCOPES_SRC, NULL) == 0);
    const struct dw_func *m = dw_index_func_named(p.ix, "main");
    REQUIRE(m != NULL);
    const struct dw_var *vs[16];

    /* inside the loop body: i is visible, the inner x shadows the outer */
    dw_addr in_loop = line_addr(p.ix, 17);
    REQUIRE(in_loop != 0);
    size_t n = dw_func_vars_at(m, in_loop, vs, 16);
    REQUIRE(n <= 16);
    const struct dw_var *x = var_in(vs, n, "x");
    CHECK(x && x->decl_line == 16);
    CHECK(var_in(vs, n, "i") != NULL);
    CHECK(var_in(vs, n, "total") != NULL);
    size_t xs = 0;
    for (size_t i = 0; i < n; i++)
        xs += strcmp(vs[i]->name, "x") == 0;
    CHECK_INT(xs, 1);
    /* outermost first, declaration order */
    CHECK(n >= 1 && strcmp(vs[0]->name, "total") == 0);
    size_t ii = 0, ix = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(vs[i]->name, "i") == 0)
            ii = i;
        if (strcmp(vs[i]->name, "x") == 0)
            ix = i;
    }
    CHECK(ii < ix);

    /* after the loop: no i, and x is the outer one */
    dw_addr after = line_addr(p.ix, 19);
    REQUIRE(after != 0);
    n = dw_func_vars_at(m, after, vs, 16);
    CHECK(var_in(vs, n, "i") == NULL);
    x = var_in(vs, n, "x");
    CHECK(x && x->decl_line == 14);
    CHECK(x && x->loc.kind == DWX_LOC_FBREG && x->loc.offset < 0 && !x->loc.deref);
    CHECK(var_in(vs, n, "p") != NULL);

    /* cap: the count is returned even when it does not fit */
    const struct dw_var *one[1];
    CHECK(dw_func_vars_at(m, after, one, 1) == n);
    CHECK(n > 1 && one[0] == vs[0]);
    CHECK_INT(dw_func_vars_at(m, m->high_pc, vs, 16), 0);

    /* a static local: function scope, static storage */
    const struct dw_func *c = dw_index_func_named(p.ix, "counter");
    REQUIRE(c != NULL);
    n = dw_func_vars_at(c, line_addr(p.ix, 4), vs, 16);
    const struct dw_var *calls = var_in(vs, n, "calls");
    CHECK(calls && calls->is_static && calls->loc.kind == DWX_LOC_ADDR && calls->loc.addr);
    const struct dw_var *step = var_in(vs, n, "step");
    CHECK(step && step->is_param && !step->is_static && step->loc.kind == DWX_LOC_FBREG);
    CHECK(step && step->type && strcmp(step->type->name, "int") == 0);
    CHECK(!calls || !calls->is_param);
    dw_addr sym = 0;
    CHECK(dw_index_symbol_addr(p.ix, "_ZZ7counteriE5calls", &sym) && calls &&
          sym == calls->loc.addr);

    /* this is an artificial parameter */
    const struct dw_func *get = dw_index_func_named(p.ix, "P::get");
    REQUIRE(get != NULL);
    n = dw_func_vars_at(get, get->body_pc, vs, 16);
    const struct dw_var *self = var_in(vs, n, "this");
    CHECK(self && self->is_artificial && self->is_param && self->loc.kind == DWX_LOC_FBREG);
    CHECK(n == 2 && vs[0] == self && strcmp(vs[1]->name, "k") == 0);
    char buf[64];
    CHECK_STR(dw_type_name(self ? self->type : NULL, buf, sizeof buf), "P* const");
    prog_free(&p);
}

/* DW_AT_ranges on lexical blocks (a try/catch splits the loop body), read
   from .debug_rnglists (DWARF 5) and .debug_ranges (DWARF 4). */
static const char *const RANGES_SRC =
    "int main(int argc, char **argv)\n"              /* 1 */
    "{\n"                                            /* 2 */
    "    int total = 0;\n"                           /* 3 */
    "    for (int i = 0; i < argc; i++) {\n"         /* 4 */
    "        int x = i * 2;\n"                       /* 5 */
    "        try {\n"                                /* 6 */
    "            int t = x;\n"                       /* 7 */
    "            if (t > 100)\n"                     /* 8 */
    "                throw t;\n"                     /* 9 */
    "        } catch (int e) {\n"                    /* 10 */
    "            int q = e;\n"                       /* 11 */
    "            total += q;\n"                      /* 12 */
    "        }\n"                                    /* 13 */
    "        total += x;\n"                          /* 14 */
    "    }\n"                                        /* 15 */
    "    return total + (argv == 0);\n"              /* 16 */
    "}\n";                                           /* 17 */

static int has_multi_range(const struct dw_scope *s, int depth)
{
    if (s->nranges > 1)
        return 1;
    for (size_t i = 0; depth < 8 && i < s->nchildren; i++)
        if (has_multi_range(&s->children[i], depth + 1))
            return 1;
    return 0;
}

static void check_ranges(const char *flag)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, RANGES_SRC, flag) == 0);
    const struct dw_func *m = dw_index_func_named(p.ix, "main");
    REQUIRE(m != NULL);
    CHECK(has_multi_range(&m->scope, 0));
    const struct dw_var *vs[16];
    size_t n = dw_func_vars_at(m, line_addr(p.ix, 12), vs, 16);
    CHECK(var_in(vs, n, "q") && var_in(vs, n, "e") && var_in(vs, n, "x") && var_in(vs, n, "i"));
    CHECK(var_in(vs, n, "t") == NULL);
    n = dw_func_vars_at(m, line_addr(p.ix, 14), vs, 16);
    CHECK(var_in(vs, n, "x") && var_in(vs, n, "i") && !var_in(vs, n, "q"));
    n = dw_func_vars_at(m, line_addr(p.ix, 16), vs, 16);
    CHECK(!var_in(vs, n, "i") && var_in(vs, n, "total") && var_in(vs, n, "argc"));
    prog_free(&p);
}

static void test_block_ranges_dwarf5(void)
{
    check_ranges(NULL);
}

static void test_block_ranges_dwarf4(void)
{
    check_ranges("-gdwarf-4");
}

/* ---- types ------------------------------------------------------------------ */

static const char *const TYPES_SRC =
    "struct Inner { short a; double d; };\n"
    "struct Outer { char c; Inner in; int tail; };\n"
    "struct Bits { unsigned a : 3; unsigned b : 5; int c; unsigned d : 20; };\n"
    "union U { int i; float f; char c[4]; };\n"
    "struct Animal { virtual ~Animal() {} int legs = 4; };\n"
    "struct Dog : Animal { int age = 1; };\n"
    "struct A1 { int a = 1; };\n"
    "struct B1 { int b = 2; };\n"
    "struct AB : A1, B1 { int c = 3; };\n"
    "struct V1 : virtual Animal { int v1 = 5; };\n"
    "struct Anon { struct { int x, y; }; union { int u1; float u2; }; };\n"
    "enum Color { RED, GREEN = 5, BLUE = -2 };\n"
    "enum class Big : unsigned long { A = 1, B = 0xffffffffffUL };\n"
    "typedef int myint;\n"
    "typedef myint myint2;\n"
    "template <typename T, typename U> struct Pair { T first; U second; };\n"
    "int main()\n"
    "{\n"
    "    Outer o{}; Bits bits{}; U u{}; Dog dog; AB ab; V1 v1; Anon an{};\n"
    "    Color col = GREEN; Big big = Big::B; myint2 mi = 3;\n"
    "    int m2[2][3] = {}; __int128 i128 = 1; unsigned __int128 u128 = 2;\n"
    "    wchar_t wc = L'a'; char16_t c16 = u'b'; char32_t c32 = U'c';\n"
    "    bool flag = true; double dbl = 1.5; decltype(nullptr) np = nullptr;\n"
    "    Pair<int, double> pr{1, 2.0}; const volatile int cv = 1;\n"
    "    (void)np;\n"
    "    return o.c + bits.a + u.i + dog.age + ab.c + v1.v1 + an.x + col + (int)big + mi\n"
    "        + m2[1][2] + (int)i128 + (int)u128 + wc + c16 + c32 + flag + (int)dbl\n"
    "        + pr.first + cv;\n"
    "}\n";

static void test_struct_shapes(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, TYPES_SRC, NULL) == 0);
    const struct dw_type *o = main_type(p.ix, "o");
    REQUIRE(o && o->kind == DWX_T_STRUCT && o->nmembers == 3);
    CHECK_STR(o->name, "Outer");
    CHECK_INT(o->size, 32);
    CHECK_STR(o->members[0].name, "c");
    CHECK_STR(o->members[1].name, "in");
    CHECK_STR(o->members[2].name, "tail");
    CHECK_INT(o->members[0].offset, 0);
    CHECK_INT(o->members[1].offset, 8);
    CHECK_INT(o->members[2].offset, 24);
    const struct dw_type *in = dw_type_strip(o->members[1].type);
    REQUIRE(in && in->kind == DWX_T_STRUCT);
    CHECK_INT(in->size, 16);
    CHECK_INT(member(in, "d")->offset, 8);
    CHECK(dw_index_type_named(p.ix, "Inner") == in);
    CHECK(dw_index_type_named(p.ix, "Outer") == o);

    const struct dw_type *b = main_type(p.ix, "bits");
    REQUIRE(b && b->nmembers == 4);
    CHECK_INT(b->members[0].bit_size, 3);
    CHECK_INT(b->members[0].bit_pos, 0);
    CHECK_INT(b->members[1].bit_size, 5);
    CHECK_INT(b->members[1].bit_pos, 3);
    CHECK_INT(b->members[2].bit_size, 0);
    CHECK_INT(b->members[2].offset, 4);
    CHECK_INT(b->members[3].bit_size, 20);
    CHECK_INT(b->members[3].bit_pos, 64);

    const struct dw_type *u = main_type(p.ix, "u");
    REQUIRE(u && u->kind == DWX_T_UNION && u->nmembers == 3);
    for (size_t i = 0; i < u->nmembers; i++)
        CHECK_INT(u->members[i].offset, 0);
    CHECK_INT(u->size, 4);

    const struct dw_type *an = main_type(p.ix, "an");
    REQUIRE(an && an->nmembers == 2);
    CHECK(an->members[0].name == NULL && an->members[1].name == NULL);
    const struct dw_type *as = dw_type_strip(an->members[0].type);
    const struct dw_type *au = dw_type_strip(an->members[1].type);
    CHECK(as && as->kind == DWX_T_STRUCT && as->name == NULL && as->nmembers == 2);
    CHECK(au && au->kind == DWX_T_UNION && au->name == NULL);
    CHECK_INT(an->members[1].offset, 8);

    const struct dw_type *pr = main_type(p.ix, "pr");
    REQUIRE(pr && pr->ntparams == 2);
    CHECK_STR(pr->name, "Pair<int, double>");
    CHECK_STR(dw_type_strip(pr->tparams[0])->name, "int");
    CHECK_STR(dw_type_strip(pr->tparams[1])->name, "double");
    prog_free(&p);
}

static void test_inheritance(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, TYPES_SRC, NULL) == 0);
    const struct dw_type *dog = main_type(p.ix, "dog");
    REQUIRE(dog && dog->nmembers == 2);
    CHECK(dog->members[0].is_base && !dog->members[0].is_virtual_base);
    CHECK_INT(dog->members[0].offset, 0);
    const struct dw_type *animal = dw_type_strip(dog->members[0].type);
    REQUIRE(animal != NULL);
    CHECK_STR(animal->name, "Animal");
    CHECK_STR(dog->members[1].name, "age");
    CHECK_INT(dog->members[1].offset, 12);
    REQUIRE(animal->nmembers == 2);
    CHECK(animal->members[0].is_artificial);
    CHECK_STR(animal->members[0].name, "_vptr.Animal");
    CHECK_INT(animal->members[1].offset, 8);

    const struct dw_type *ab = main_type(p.ix, "ab");
    REQUIRE(ab && ab->nmembers == 3);
    CHECK(ab->members[0].is_base && ab->members[1].is_base && !ab->members[2].is_base);
    CHECK_STR(dw_type_strip(ab->members[0].type)->name, "A1");
    CHECK_STR(dw_type_strip(ab->members[1].type)->name, "B1");
    CHECK_INT(ab->members[0].offset, 0);
    CHECK_INT(ab->members[1].offset, 4);
    CHECK_INT(ab->members[2].offset, 8);

    const struct dw_type *v1 = main_type(p.ix, "v1");
    REQUIRE(v1 && v1->nmembers >= 2);
    const struct dw_member *vb = &v1->members[0];
    CHECK(vb->is_base && vb->is_virtual_base);
    CHECK(dw_type_strip(vb->type) == animal);
    CHECK_INT(vb->vbase_vtable_offset, -24);
    CHECK(member(v1, "v1") != NULL);
    prog_free(&p);
}

static void test_scalar_types(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, TYPES_SRC, NULL) == 0);
    const struct dw_type *col = main_type(p.ix, "col");
    REQUIRE(col && col->kind == DWX_T_ENUM && col->nenumerators == 3);
    CHECK_STR(col->enumerators[0].name, "RED");
    CHECK_INT(col->enumerators[0].value, 0);
    CHECK_INT(col->enumerators[1].value, 5);
    CHECK_STR(col->enumerators[2].name, "BLUE");
    CHECK_INT(col->enumerators[2].value, -2);
    CHECK_INT(col->encoding, DWX_ENC_SIGNED);
    CHECK_INT(col->size, 4);
    const struct dw_type *big = main_type(p.ix, "big");
    REQUIRE(big && big->kind == DWX_T_ENUM && big->nenumerators == 2);
    CHECK_INT(big->encoding, DWX_ENC_UNSIGNED);
    CHECK_INT(big->size, 8);
    CHECK(big->enumerators[1].value == 0xffffffffffLL);

    const struct dw_var *mi = local(dw_index_func_named(p.ix, "main"), "mi");
    REQUIRE(mi && mi->type && mi->type->kind == DWX_T_TYPEDEF);
    CHECK_STR(mi->type->name, "myint2");
    REQUIRE(mi->type->target && mi->type->target->kind == DWX_T_TYPEDEF);
    CHECK_STR(mi->type->target->name, "myint");
    CHECK(dw_type_strip(mi->type) == mi->type->target->target);
    CHECK_STR(dw_type_strip(mi->type)->name, "int");
    CHECK_INT(mi->type->size, 4);

    const struct dw_type *m2 = main_type(p.ix, "m2");
    REQUIRE(m2 && m2->kind == DWX_T_ARRAY && m2->ndims == 2);
    CHECK_INT(m2->dims[0].count, 2);
    CHECK_INT(m2->dims[1].count, 3);
    CHECK_INT(m2->size, 24);
    CHECK(m2->dims[0].vla_count.kind == DWX_LOC_NONE);

    static const struct {
        const char *var, *name;
        enum dw_encoding enc;
        uint64_t size;
    } base[] = {
        {"i128", "__int128", DWX_ENC_SIGNED, 16},
        {"u128", "__int128 unsigned", DWX_ENC_UNSIGNED, 16},
        {"wc", "wchar_t", DWX_ENC_SIGNED, 4},
        {"c16", "char16_t", DWX_ENC_UTF, 2},
        {"c32", "char32_t", DWX_ENC_UTF, 4},
        {"flag", "bool", DWX_ENC_BOOL, 1},
        {"dbl", "double", DWX_ENC_FLOAT, 8},
    };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        const struct dw_type *t = main_type(p.ix, base[i].var);
        CHECK(t && t->kind == DWX_T_BASE);
        if (!t)
            continue;
        CHECK_STR(t->name, base[i].name);
        CHECK_INT(t->encoding, base[i].enc);
        CHECK_INT(t->size, base[i].size);
    }
    const struct dw_type *np = main_type(p.ix, "np");
    CHECK(np && np->kind == DWX_T_NULLPTR);
    const struct dw_var *cv = local(dw_index_func_named(p.ix, "main"), "cv");
    REQUIRE(cv && cv->type);
    CHECK(cv->type->kind == DWX_T_CONST || cv->type->kind == DWX_T_VOLATILE);
    CHECK_STR(dw_type_strip(cv->type)->name, "int");
    char buf[64];
    CHECK_STR(dw_type_name(cv->type, buf, sizeof buf), "const volatile int");
    prog_free(&p);
}

static const char *const SPELL_SRC =
    "struct Node { int v; Node *next; };\n"
    "int sq(int x) { return x * x; }\n"
    "struct Counter { int x; int get(int k) { return x + k; } };\n"
    "int main()\n"
    "{\n"
    "    Node n{1, nullptr}; Node *pn = &n; const char *str = \"hi\";\n"
    "    int arr[3] = {1, 2, 3}; int (*fp)(int) = sq; unsigned int u = 5;\n"
    "    int Counter::*pm = &Counter::x; int (Counter::*pmf)(int) = &Counter::get;\n"
    "    char buf[2] = {0}; char *const cp = buf; int &&rr = 5; int m2[2][3] = {};\n"
    "    int (*pa)[3] = &arr; int *ap[2] = {0, 0}; const Node &cr = n;\n"
    "    Counter c{1};\n"
    "    return pn->v + str[0] + arr[0] + fp(2) + (int)u + c.*pm + (c.*pmf)(1)\n"
    "        + cp[0] + rr + m2[0][0] + (*pa)[0] + (ap[0] != 0) + cr.v;\n"
    "}\n";

static void test_type_spelling(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, SPELL_SRC, NULL) == 0);
    static const struct {
        const char *var, *spelling;
    } want[] = {
        {"n", "Node"},
        {"pn", "Node*"},
        {"str", "const char*"},
        {"arr", "int[3]"},
        {"fp", "int (*)(int)"},
        {"u", "unsigned int"},
        {"pm", "int Counter::*"},
        {"pmf", "int (Counter::*)(int)"},
        {"cp", "char* const"},
        {"rr", "int&&"},
        {"m2", "int[2][3]"},
        {"pa", "int (*)[3]"},
        {"ap", "int*[2]"},
        {"cr", "const Node&"},
    };
    char buf[128];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_STR(spelled(p.ix, want[i].var, buf, sizeof buf), want[i].spelling);
    const struct dw_type *pm = main_type(p.ix, "pm");
    REQUIRE(pm && pm->kind == DWX_T_PTRMEM);
    CHECK_STR(pm->ptrmem_class->name, "Counter");
    CHECK_INT(pm->size, 8);
    CHECK_INT(main_type(p.ix, "pmf")->size, 16);
    const struct dw_type *fp = main_type(p.ix, "fp");
    REQUIRE(fp && fp->kind == DWX_T_POINTER && fp->target && fp->target->kind == DWX_T_FUNC);
    CHECK_INT(fp->target->nparams, 1);
    CHECK_STR(fp->target->target->name, "int");
    CHECK(main_type(p.ix, "rr")->kind == DWX_T_RVREF);
    CHECK(main_type(p.ix, "cr")->kind == DWX_T_REF);
    const struct dw_type *node = main_type(p.ix, "n");
    REQUIRE(node != NULL);
    CHECK(dw_type_strip(member(node, "next")->type->target) == node); /* a cycle, closed */
    CHECK(dw_index_type_named(p.ix, "Node") == node);

    /* small buffers: a marked cut, never an overflow */
    char small[6];
    const struct dw_var *v = local(dw_index_func_named(p.ix, "main"), "pmf");
    dw_type_name(v->type, small, sizeof small);
    CHECK_INT(strlen(small), 5);
    CHECK(strstr(small, "...") != NULL);
    CHECK_STR(dw_type_name(NULL, buf, sizeof buf), "void");
    prog_free(&p);
}

static const char *const VLA_SRC =
    "#include <stdio.h>\n"                     /* 1 */
    "int f(int n)\n"                           /* 2 */
    "{\n"                                      /* 3 */
    "    int vla[n];\n"                        /* 4 */
    "    int m2[n][n + 1];\n"                  /* 5 */
    "    for (int i = 0; i < n; i++)\n"        /* 6 */
    "        vla[i] = i;\n"                    /* 7 */
    "    m2[0][0] = 1;\n"                      /* 8 */
    "    return vla[0] + m2[0][0];\n"          /* 9 */
    "}\n"                                      /* 10 */
    "struct Flex { int n; int data[]; };\n"    /* 11 */
    "int main(void)\n"                         /* 12 */
    "{\n"                                      /* 13 */
    "    struct Flex *fx = 0;\n"               /* 14 */
    "    printf(\"%d\\n\", f(3) + (fx != 0));\n" /* 15 */
    "    return 0;\n"                          /* 16 */
    "}\n";                                     /* 17 */

static void test_c_vla(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 0, VLA_SRC, NULL) == 0);
    const struct dw_func *f = dw_index_func_named(p.ix, "f");
    REQUIRE(f != NULL);
    /* gcc saves the stack pointer for the VLAs on the opening line, so the
       second row is still line 3 */
    CHECK_INT(dw_index_line_at(p.ix, f->body_pc), 3);
    CHECK_INT(f->open_line, 3);
    const struct dw_var *vla = local(f, "vla");
    REQUIRE(vla && vla->type);
    CHECK(vla->loc.kind == DWX_LOC_FBREG && vla->loc.deref);
    const struct dw_type *t = dw_type_strip(vla->type);
    REQUIRE(t && t->kind == DWX_T_ARRAY && t->ndims == 1);
    CHECK_INT(t->dims[0].count, -1);
    CHECK(t->dims[0].vla_count.kind == DWX_LOC_FBREG && !t->dims[0].vla_count.deref);
    CHECK(t->dims[0].vla_count.offset < 0 && t->dims[0].vla_count.offset != vla->loc.offset);
    CHECK(!t->dims[0].vla_holds_count);
    const struct dw_var *m2 = local(f, "m2");
    REQUIRE(m2 && m2->type);
    t = dw_type_strip(m2->type);
    REQUIRE(t && t->ndims == 2);
    CHECK(t->dims[0].vla_count.kind == DWX_LOC_FBREG && t->dims[1].vla_count.kind == DWX_LOC_FBREG);
    CHECK(t->dims[0].vla_count.offset != t->dims[1].vla_count.offset);
    const struct dw_var *n = local(f, "n");
    CHECK(n && n->is_param && n->loc.kind == DWX_LOC_FBREG);

    const struct dw_type *flex = dw_index_type_named(p.ix, "Flex");
    REQUIRE(flex && flex->nmembers == 2);
    const struct dw_type *data = dw_type_strip(flex->members[1].type);
    CHECK(data && data->kind == DWX_T_ARRAY && data->dims[0].count == -1);
    CHECK(data && data->dims[0].vla_count.kind == DWX_LOC_NONE);
    char buf[32];
    CHECK_STR(dw_type_name(flex->members[1].type, buf, sizeof buf), "int[]");
    CHECK_INT(dw_index_line_at(p.ix, line_addr(p.ix, 15)), 15);
    prog_free(&p);
}

static const char *const STD_SRC =
    "#include <iostream>\n"                    /* 1 */
    "#include <string>\n"                      /* 2 */
    "#include <vector>\n"                      /* 3 */
    "#include <map>\n"                         /* 4 */
    "struct Node { int v; Node *next; };\n"    /* 5 */
    "int main()\n"                             /* 6 */
    "{\n"                                      /* 7 */
    "    std::vector<int> v{1, 2, 3};\n"       /* 8 */
    "    std::map<std::string, int> m;\n"      /* 9 */
    "    m[\"a\"] = 1;\n"                      /* 10 */
    "    std::string s = \"hi\";\n"            /* 11 */
    "    Node n{1, nullptr};\n"                /* 12 */
    "    for (int i = 0; i < 3; i++)\n"        /* 13 */
    "        v.push_back(i);\n"                /* 14 */
    "    std::cout << s << v.size() << m.size() << n.v << std::endl;\n" /* 15 */
    "    return 0;\n"                          /* 16 */
    "}\n";                                     /* 17 */

static void test_std_types(void)
{
    struct prog p;
    REQUIRE(compile(&p, 1, STD_SRC, NULL) == 0);
    char err[DWX_ERRBUF_LEN];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum dw_err e = dw_index_open(p.exe, "main.cpp", &p.ix, err, sizeof err);
    double ms = ms_since(&t0);
    REQUIRE(e == DWX_OK);
    printf("  timing: dw_index_open(iostream+string+vector+map) %.2f ms\n", ms);

    CHECK_INT(dw_index_funcs(p.ix, &(size_t){0}) != NULL, 1);
    size_t nf;
    dw_index_funcs(p.ix, &nf);
    CHECK_INT(nf, 1); /* only main: the rest is library code */

    const struct dw_var *s = local(dw_index_func_named(p.ix, "main"), "s");
    REQUIRE(s && s->type);
    char buf[256];
    CHECK_STR(dw_type_name(s->type, buf, sizeof buf), "std::string");
    const struct dw_type *str = dw_type_strip(s->type);
    REQUIRE(str && str->kind == DWX_T_CLASS);
    CHECK_STR(str->name, "std::__cxx11::basic_string<char, std::char_traits<char>, "
                         "std::allocator<char> >");
    CHECK(member(str, "_M_dataplus") != NULL);
    CHECK(member(str, "_M_string_length") != NULL);
    CHECK_INT(member(str, "_M_string_length")->offset, 8);
    CHECK_INT(str->size, 32);
    CHECK(str->ntparams >= 1 && strcmp(dw_type_strip(str->tparams[0])->name, "char") == 0);
    CHECK(dw_index_type_named(p.ix, "std::string") == str);
    CHECK(dw_index_type_named(p.ix, "std::__cxx11::basic_string<char, std::char_traits<char>, "
                                    "std::allocator<char> >") == str);

    const struct dw_type *vec = main_type(p.ix, "v");
    REQUIRE(vec && vec->ntparams >= 1);
    CHECK_STR(vec->name, "std::vector<int, std::allocator<int> >");
    CHECK_STR(dw_type_strip(vec->tparams[0])->name, "int");
    REQUIRE(vec->nmembers >= 1 && vec->members[0].is_base);
    const struct dw_type *vbase = dw_type_strip(vec->members[0].type);
    const struct dw_member *impl = member(vbase, "_M_impl");
    CHECK(impl != NULL);
    CHECK_INT(vec->size, 24);
    CHECK(dw_index_type_named(p.ix, "std::vector<int, std::allocator<int> >") == vec);

    const struct dw_type *map = main_type(p.ix, "m");
    CHECK(map && map->kind == DWX_T_CLASS && map->size == 48 && map->ntparams >= 2);
    /* a type no variable reaches is still found by name */
    CHECK(dw_index_type_named(p.ix, "std::_Rb_tree_node_base") != NULL);
    CHECK(dw_index_type_named(p.ix, "Node") == main_type(p.ix, "n"));
    CHECK(dw_index_type_named(p.ix, "No::Such") == NULL);
    CHECK(dw_index_type_named(p.ix, "int") == NULL); /* not a class */
    CHECK_INT(dw_index_line_at(p.ix, line_addr(p.ix, 14)), 14);
    prog_free(&p);
}

/* ---- globals and symbols ---------------------------------------------------- */

static const char *const GLOBALS_SRC =
    "namespace ns { int nsvar = 4; }\n"                 /* 1 */
    "struct Counter { static int count; int x; };\n"    /* 2 */
    "int Counter::count = 7;\n"                         /* 3 */
    "int g1 = 3;\n"                                     /* 4 */
    "static double g2 = 1.5;\n"                         /* 5 */
    "extern int g3;\n"                                  /* 6 */
    "const char *gname = \"x\";\n"                      /* 7 */
    "struct Animal { virtual ~Animal() {} };\n"         /* 8 */
    "struct Dog : Animal { int age = 2; };\n"           /* 9 */
    "int main()\n"                                      /* 10 */
    "{\n"                                               /* 11 */
    "    static int local_static = 1;\n"                /* 12 */
    "    Counter c{1}; Dog d;\n"                        /* 13 */
    "    return ns::nsvar + Counter::count + g1 + (int)g2 + local_static + gname[0] + c.x\n"
    "        + d.age;\n"                                /* 15 */
    "}\n";

static void test_globals(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, GLOBALS_SRC, NULL) == 0);
    size_t n;
    const struct dw_var *g = dw_index_globals(p.ix, &n);
    static const char *const names[] = {"ns::nsvar", "Counter::count", "g1", "g2", "gname"};
    REQUIRE(n == sizeof names / sizeof names[0]);
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(g[i].name, names[i]);
        CHECK(g[i].loc.kind == DWX_LOC_ADDR && g[i].loc.addr != 0 && g[i].is_static);
    }
    CHECK_STR(g[3].type->name, "double");
    char buf[64];
    CHECK_STR(dw_type_name(g[4].type, buf, sizeof buf), "const char*");
    dw_addr a = 0;
    CHECK(dw_index_symbol_addr(p.ix, "_ZN7Counter5countE", &a) && a == g[1].loc.addr);
    CHECK(dw_index_symbol_addr(p.ix, "g1", &a) && a == g[2].loc.addr);
    /* the class shows its static member with the definition's address */
    const struct dw_type *ct = dw_index_type_named(p.ix, "Counter");
    REQUIRE(ct != NULL);
    const struct dw_member *cnt = member(ct, "count");
    CHECK(cnt && cnt->is_static && cnt->static_addr == g[1].loc.addr);
    CHECK(member(ct, "x") && !member(ct, "x")->is_static);
    prog_free(&p);
}

static void test_globals_dwarf4(void)
{
    /* DWARF 4 spells a static member as DW_TAG_member + DW_AT_external */
    struct prog p;
    REQUIRE(open_prog(&p, 1, GLOBALS_SRC, "-gdwarf-4") == 0);
    size_t n;
    const struct dw_var *g = dw_index_globals(p.ix, &n);
    REQUIRE(n == 5);
    CHECK_STR(g[1].name, "Counter::count");
    const struct dw_member *cnt = member(dw_index_type_named(p.ix, "Counter"), "count");
    CHECK(cnt && cnt->is_static && cnt->static_addr == g[1].loc.addr);
    const struct dw_func *m = dw_index_func_named(p.ix, "main");
    CHECK(m && dw_index_line_at(p.ix, m->body_pc) == 13); /* a static's init is no code */
    prog_free(&p);
}

static void test_symbols(void)
{
    struct prog p;
    REQUIRE(open_prog(&p, 1, GLOBALS_SRC, NULL) == 0);
    dw_addr vt = 0, off = 99;
    REQUIRE(dw_index_symbol_addr(p.ix, "_ZTV3Dog", &vt));
    CHECK(vt != 0);
    CHECK_STR(dw_index_symbol_at(p.ix, vt + 16, &off), "_ZTV3Dog");
    CHECK_INT(off, 16);
    char buf[128];
    CHECK_STR(dw_demangle("_ZTV3Dog", buf, sizeof buf), "vtable for Dog");
    CHECK_STR(dw_demangle("_ZN7Counter5countE", buf, sizeof buf), "Counter::count");
    CHECK(dw_demangle("main", buf, sizeof buf) == NULL);
    CHECK(dw_demangle("_ZTV3Dog", buf, 4) == NULL); /* does not fit: no silent cut */
    const struct dw_func *m = dw_index_func_named(p.ix, "main");
    REQUIRE(m != NULL);
    CHECK_STR(dw_index_symbol_at(p.ix, m->low_pc + 1, &off), "main");
    CHECK_INT(off, 1);
    CHECK(dw_index_symbol_at(p.ix, 1, &off) == NULL);
    CHECK(!dw_index_symbol_addr(p.ix, "no_such_symbol", &vt));
    prog_free(&p);
}

static void test_rodata_and_constants(void)
{
    /* string literals live in .rodata: a char pointer there points to one;
       an unused static local has no storage, only its value */
    static const char src[] = "const char msg[] = \"hi\";\n"
                              "int counter = 1;\n"
                              "int main(void)\n"
                              "{\n"
                              "    static int limit = 456;\n"
                              "    const char *s = \"hello\";\n"
                              "    return s[0] + counter;\n"
                              "}\n";
    struct prog p;
    REQUIRE(open_prog(&p, 0, src, NULL) == 0);
    dw_addr a = 0;
    struct dw_range sec = {0, 0};
    REQUIRE(dw_index_symbol_addr(p.ix, "msg", &a));
    CHECK(dw_index_rodata_at(p.ix, a, &sec) && sec.lo <= a && a < sec.hi);
    REQUIRE(dw_index_symbol_addr(p.ix, "counter", &a));
    CHECK(!dw_index_rodata_at(p.ix, a, NULL)); /* writable data */
    const struct dw_func *m = dw_index_func_named(p.ix, "main");
    REQUIRE(m != NULL);
    CHECK(!dw_index_rodata_at(p.ix, m->low_pc, NULL)); /* code */
    const struct dw_var *vars[8];
    size_t n = dw_func_vars_at(m, m->body_pc, vars, 8);
    const struct dw_var *limit = NULL;
    for (size_t i = 0; i < n && i < 8; i++)
        if (strcmp(vars[i]->name, "limit") == 0)
            limit = vars[i];
    REQUIRE(limit != NULL);
    CHECK_INT(limit->loc.kind, DWX_LOC_NONE);
    REQUIRE(limit->const_bytes != NULL && limit->const_len >= 4);
    CHECK_INT(limit->const_bytes[0] | limit->const_bytes[1] << 8, 456);
    prog_free(&p);
}

/* ---- errors and hostile input ------------------------------------------------ */

static void test_open_errors(void)
{
    char err[DWX_ERRBUF_LEN];
    struct dw_index *ix = NULL;
    CHECK_INT(dw_index_open("/nonexistent/prog", "main.cpp", &ix, err, sizeof err),
              DWX_ERR_OPEN);
    CHECK(ix == NULL && strstr(err, "/nonexistent/prog") != NULL);
    dw_index_close(NULL);

    struct prog p;
    REQUIRE(compile(&p, 0, "int main(void) { return 0; }\n", NULL) == 0);
    /* a file that is not ELF: the source itself */
    CHECK_INT(dw_index_open(p.src, "main.c", &ix, err, sizeof err), DWX_ERR_OPEN);
    CHECK(ix == NULL);
    CHECK_INT(dw_index_open(p.exe, "other.c", &ix, err, sizeof err), DWX_ERR_NO_CU);
    CHECK(ix == NULL && err[0] != '\0');
    CHECK_INT(dw_index_open(p.exe, "main.c", &ix, err, sizeof err), DWX_OK);
    dw_index_close(ix);
    ix = NULL;
    prog_free(&p);

    /* no -g: no DWARF at all */
    REQUIRE(compile(&p, 0, "int main(void) { return 0; }\n", "-g0") == 0);
    enum dw_err e = dw_index_open(p.exe, "main.c", &ix, err, sizeof err);
    CHECK(e == DWX_ERR_FORMAT || e == DWX_ERR_NO_CU);
    CHECK(ix == NULL);
    prog_free(&p);

    for (int c = DWX_OK; c <= DWX_ERR_NO_CU; c++)
        CHECK(dw_strerror((enum dw_err)c) && dw_strerror((enum dw_err)c)[0]);
}

/* Where a section's bytes are in the file. */
static int section_span(const char *path, const char *name, size_t *off, size_t *size)
{
    int fd = open(path, O_RDONLY);
    int found = 0;
    if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t shstrndx;
    if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
        Elf_Scn *scn = NULL;
        while (!found && (scn = elf_nextscn(elf, scn)) != NULL) {
            GElf_Shdr sh;
            const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
            if (n && strcmp(n, name) == 0) {
                *off = sh.sh_offset;
                *size = sh.sh_size;
                found = 1;
            }
        }
    }
    elf_end(elf);
    close(fd);
    return found;
}

/* Everything a tracer would touch, on whatever the index made of the file. */
static void exercise(const char *exe)
{
    char err[DWX_ERRBUF_LEN], buf[256];
    struct dw_index *ix = NULL;
    if (dw_index_open(exe, "main.cpp", &ix, err, sizeof err) != DWX_OK)
        return;
    size_t nf, nl, ng;
    const struct dw_func *f = dw_index_funcs(ix, &nf);
    const struct dw_line *l = dw_index_lines(ix, &nl);
    const struct dw_var *g = dw_index_globals(ix, &ng);
    for (size_t i = 0; i < nl; i++) {
        const struct dw_func *fn = dw_index_func_at(ix, l[i].addr);
        const struct dw_var *vs[32];
        size_t n = dw_func_vars_at(fn, l[i].addr, vs, 32);
        for (size_t k = 0; k < n && k < 32; k++)
            dw_type_name(vs[k]->type, buf, sizeof buf);
        (void)dw_index_line_at(ix, l[i].addr);
    }
    for (size_t i = 0; i < nf; i++)
        dw_type_name(f[i].ret_type, buf, sizeof buf);
    for (size_t i = 0; i < ng; i++)
        dw_type_name(g[i].type, buf, sizeof buf);
    (void)dw_index_type_named(ix, "std::string");
    (void)dw_index_type_named(ix, "Dog");
    dw_index_close(ix);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_corrupt_dwarf(void)
{
    struct prog p;
    REQUIRE(compile(&p, 1, GLOBALS_SRC, NULL) == 0);
    FILE *f = fopen(p.exe, "rb");
    REQUIRE(f != NULL);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *orig = malloc((size_t)len);
    uint8_t *mut = malloc((size_t)len);
    REQUIRE(orig && mut && fread(orig, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    static const char *const secs[] = {".debug_info", ".debug_abbrev", ".debug_line",
                                       ".debug_str", ".debug_rnglists"};
    char bad[128];
    snprintf(bad, sizeof bad, "%s/bad", p.dir);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int crashes = 0, runs = 0;
    for (size_t s = 0; s < sizeof secs / sizeof secs[0]; s++) {
        size_t off, size;
        if (!section_span(p.exe, secs[s], &off, &size) || size == 0)
            continue;
        for (int round = 0; round < 24; round++) {
            memcpy(mut, orig, (size_t)len);
            int flips = 1 + (int)(xorshift(&seed) % 8);
            for (int k = 0; k < flips; k++)
                mut[off + xorshift(&seed) % size] = (uint8_t)xorshift(&seed);
            FILE *o = fopen(bad, "wb");
            REQUIRE(o != NULL);
            fwrite(mut, 1, (size_t)len, o);
            fclose(o);
            pid_t pid = fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                alarm(20);
                free(orig); /* the child's copies: leak checkers see them */
                free(mut);
                exercise(bad);
                _exit(0);
            }
            int st = 0;
            waitpid(pid, &st, 0);
            runs++;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                crashes++;
                fprintf(stderr, "  %s round %d: child died (signal %d)\n", secs[s], round,
                        WIFSIGNALED(st) ? WTERMSIG(st) : 0);
            }
        }
    }
    unlink(bad);
    CHECK(runs > 50);
    CHECK_INT(crashes, 0);
    free(orig);
    free(mut);
    prog_free(&p);
}

/* ---- internals: expression decoder, arena cap -------------------------------- */

static void test_expressions(void)
{
    struct dw_loc l;
    static const uint8_t fb[] = {0x91, 0x68}; /* fbreg -24 */
    dw_expr_location(fb, sizeof fb, &l);
    CHECK(l.kind == DWX_LOC_FBREG && l.offset == -24 && !l.deref);
    static const uint8_t fbd[] = {0x91, 0xa8, 0x7f, 0x06}; /* fbreg -88; deref */
    dw_expr_location(fbd, sizeof fbd, &l);
    CHECK(l.kind == DWX_LOC_FBREG && l.offset == -88 && l.deref);
    dw_expr_value_location(fbd, sizeof fbd, &l);
    CHECK(l.kind == DWX_LOC_FBREG && l.offset == -88 && !l.deref);
    dw_expr_value_location(fb, sizeof fb, &l);
    CHECK(l.kind == DWX_LOC_NONE);
    static const uint8_t ad[] = {0x03, 0x28, 0x40, 0x40, 0, 0, 0, 0, 0}; /* addr 0x404028 */
    dw_expr_location(ad, sizeof ad, &l);
    CHECK(l.kind == DWX_LOC_ADDR && l.addr == 0x404028);
    static const uint8_t br[] = {0x76, 0x10}; /* breg6 +16 */
    dw_expr_location(br, sizeof br, &l);
    CHECK(l.kind == DWX_LOC_BREG && l.reg == 6 && l.offset == 16);
    static const uint8_t rg[] = {0x50}; /* reg0 */
    dw_expr_location(rg, sizeof rg, &l);
    CHECK(l.kind == DWX_LOC_REG && l.reg == 0);
    /* hostile: truncated operands, unknown ops, trailing junk */
    static const uint8_t t1[] = {0x03, 0x28, 0x40};
    static const uint8_t t2[] = {0x91, 0x80, 0x80, 0x80};
    static const uint8_t t3[] = {0x91, 0x68, 0x9f}; /* stack_value */
    static const uint8_t t4[] = {0xe0};
    static const uint8_t t5[] = {0x91, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *bad[] = {t1, t2, t3, t4, t5};
    size_t badlen[] = {sizeof t1, sizeof t2, sizeof t3, sizeof t4, sizeof t5};
    for (size_t i = 0; i < 5; i++) {
        dw_expr_location(bad[i], badlen[i], &l);
        CHECK_INT(l.kind, DWX_LOC_NONE);
    }
    dw_expr_location(NULL, 0, &l);
    CHECK_INT(l.kind, DWX_LOC_NONE);

    uint64_t off = 0;
    int64_t vt = 0;
    static const uint8_t pu[] = {0x23, 0x0c}; /* plus_uconst 12 */
    CHECK_INT(dw_expr_member_location(pu, sizeof pu, &off, &vt), 0);
    CHECK_INT(off, 12);
    static const uint8_t vb[] = {0x12, 0x06, 0x48, 0x1c, 0x06, 0x22}; /* virtual base */
    CHECK_INT(dw_expr_member_location(vb, sizeof vb, &off, &vt), 1);
    CHECK_INT(vt, -24);
    CHECK_INT(dw_expr_member_location(vb, 4, &off, &vt), -1);
}

static void test_arena_limits(void)
{
    struct dw_arena a;
    dw_arena_init(&a, 4096);
    void *p1 = dw_arena_alloc(&a, 1000);
    CHECK(p1 != NULL && ((uintptr_t)p1 & 15) == 0);
    CHECK(dw_arena_alloc(&a, 8192) == NULL); /* over the cap: refused, not grown */
    CHECK(dw_arena_array(&a, SIZE_MAX / 2, 4) == NULL);
    size_t got = 0;
    while (dw_arena_alloc(&a, 512) && got < 100)
        got++;
    CHECK(got < 100 && a.total <= 4096);
    dw_arena_free(&a);
    dw_arena_free(&a); /* twice is harmless */

    struct dw_vec v;
    dw_vec_init(&v, sizeof(int));
    for (int i = 0; i < 1000; i++) {
        int *s = dw_vec_push(&v);
        REQUIRE(s != NULL);
        *s = i;
    }
    CHECK_INT(v.n, 1000);
    CHECK_INT(((int *)v.p)[999], 999);
    dw_vec_free(&v);
}

TEST_MAIN(TEST(test_user_functions), TEST(test_function_names), TEST(test_lines), TEST(test_scopes_and_shadowing),
          TEST(test_block_ranges_dwarf5), TEST(test_block_ranges_dwarf4),
          TEST(test_struct_shapes), TEST(test_inheritance), TEST(test_scalar_types),
          TEST(test_type_spelling), TEST(test_c_vla), TEST(test_std_types), TEST(test_globals),
          TEST(test_globals_dwarf4), TEST(test_symbols), TEST(test_rodata_and_constants),
          TEST(test_open_errors),
          TEST(test_corrupt_dwarf), TEST(test_expressions), TEST(test_arena_limits))
