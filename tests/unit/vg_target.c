/*
 * vg_target.c - the Valgrind target against real valgrind: the programs of
 * tests/programs/vg/ are compiled into a fresh temp dir, run under memcheck
 * and driven through vgdb. Every target is destroyed by close_prog(), which
 * also checks that no process of the run and no FIFO or file is left.
 * Addresses come from nm (functions, and asm labels the programs place at
 * exact points). Skipped (77) when valgrind or gcc is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tracer/rt/sppmon.h"
#include "tracer/sandbox.h"
#include "tracer/target.h"
#include "targets/valgrind/vg_target.h"

#define WAIT_MS 30000

static char g_tmp[PATH_MAX]; /* this run's temp dir */
static char g_src[PATH_MAX]; /* tests/programs/vg */

/* ---- helpers ---------------------------------------------------------------- */

static int run_argv(const char *const argv[])
{
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Compiles tests/programs/vg/<name>.c or .cpp (plus extra, an object) once. */
static const char *build(const char *name, const char *extra, const char *suffix)
{
    static char paths[16][PATH_MAX];
    static int n;
    char exe[PATH_MAX], src[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/%s%s", g_tmp, name, suffix);
    for (int i = 0; i < n; i++)
        if (strcmp(paths[i], exe) == 0)
            return paths[i];
    snprintf(src, sizeof src, "%s/%s.c", g_src, name);
    int cxx = access(src, R_OK) != 0;
    if (cxx)
        snprintf(src, sizeof src, "%s/%s.cpp", g_src, name);
    const char *argv[] = {cxx ? "g++" : "gcc", cxx ? "-std=c++17" : "-std=c11", "-g", "-O0",
                          "-fno-omit-frame-pointer", "-fcf-protection=none", "-no-pie", src,
                          "-o", exe, extra, NULL};
    if (run_argv(argv) != 0 || n == 16) {
        fprintf(stderr, "  cannot compile %s\n", src);
        return NULL;
    }
    snprintf(paths[n], PATH_MAX, "%s", exe);
    return paths[n++];
}

/* Address (and size when nm knows it) of a symbol; 0 when absent. */
static uint64_t sym(const char *exe, const char *name, uint64_t *size)
{
    char cmd[PATH_MAX + 64], line[512];
    snprintf(cmd, sizeof cmd, "nm -S --defined-only '%s'", exe);
    FILE *f = popen(cmd, "r");
    uint64_t addr = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, s = 0;
        char type, nm_name[256];
        if (sscanf(line, "%llx %llx %c %255s", &a, &s, &type, nm_name) == 4 ||
            (s = 0, sscanf(line, "%llx %c %255s", &a, &type, nm_name) == 3)) {
            if (strcmp(nm_name, name) == 0) {
                addr = a;
                if (size)
                    *size = s;
            }
        }
    }
    pclose(f);
    if (!addr)
        fprintf(stderr, "  no symbol %s in %s\n", name, exe);
    return addr;
}

struct prog {
    const char *exe;
    char run_dir[PATH_MAX];
    char out[PATH_MAX], err[PATH_MAX];
    struct tr_limits lim;
    struct tr_launch l;
    struct tr_target *t;
    int64_t open_ms; /* how long vg_target_open took */
};

/* The target a test left open when a REQUIRE stopped it: destroyed before
   the next one opens, so no valgrind outlives its test for long. */
static struct tr_target *g_left_open;

static void destroy_left_open(void)
{
    tr_target_destroy(g_left_open);
    g_left_open = NULL;
}

static struct tr_target *open_prog(struct prog *p, const char *exe, const struct vg_options *o)
{
    destroy_left_open();
    memset(p, 0, sizeof *p);
    snprintf(p->run_dir, sizeof p->run_dir, "%s/runXXXXXX", g_tmp);
    if (!exe || !mkdtemp(p->run_dir))
        return NULL;
    snprintf(p->out, sizeof p->out, "%s/stdout", g_tmp);
    snprintf(p->err, sizeof p->err, "%s/stderr", g_tmp);
    tr_limits_default(&p->lim);
    p->lim.as_bytes = TR_LIMIT_AS_VALGRIND;
    p->lim.cpu_soft_s = 60;
    p->lim.cpu_hard_s = 61;
    p->l = (struct tr_launch){.exe = exe,
                              .run_dir = p->run_dir,
                              .stdin_path = "/dev/null",
                              .stdout_path = p->out,
                              .stderr_path = p->err,
                              .limits = &p->lim};
    char eb[TR_ERRBUF_LEN] = "";
    int64_t t0 = tr_now_ms();
    enum tr_err rc = vg_target_open(&p->l, o, &p->t, eb);
    p->open_ms = tr_now_ms() - t0;
    if (rc != TR_OK) {
        fprintf(stderr, "  vg_target_open: %s: %s\n", tr_strerror(rc), eb);
        return NULL;
    }
    g_left_open = p->t;
    return p->t;
}

/* Builds tests/programs/vg/<name>.c and opens a target on it. */
static struct tr_target *start(struct prog *p, const char *name, const struct vg_options *o)
{
    const char *exe = build(name, NULL, "");
    struct tr_target *t = open_prog(p, exe, o);
    p->exe = exe;
    return t;
}

/* Calls fn(pid, command line with NULs as spaces, argv[0]'s basename) for
   each process mentioning dir (valgrind, vgdb, the program's children);
   returns how many. */
static int procs_mentioning_fn(const char *dir, void (*fn)(int, const char *, const char *, void *),
                               void *arg)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[8192];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r <= 0)
            continue;
        buf[r] = '\0';
        const char *slash = strrchr(buf, '/'); /* within argv[0] */
        const char *base = slash ? slash + 1 : buf;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        if (strstr(buf, dir)) {
            n++;
            if (fn)
                fn((int)strtol(e->d_name, NULL, 10), buf, base, arg);
        }
    }
    if (d)
        closedir(d);
    return n;
}

static void report_left(int pid, const char *cmd, const char *base, void *arg)
{
    (void)base, (void)arg;
    fprintf(stderr, "  left running: pid %d: %.120s\n", pid, cmd);
}

static int procs_mentioning(const char *dir)
{
    return procs_mentioning_fn(dir, report_left, NULL);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Destroys the target and checks nothing of the run is left. */
static void close_prog(struct prog *p)
{
    if (!p->t)
        return;
    tr_target_destroy(p->t);
    p->t = NULL;
    g_left_open = NULL;
    CHECK_INT(procs_mentioning(p->run_dir), 0);
    DIR *d = opendir(p->run_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        fprintf(stderr, "  left in run dir: %s\n", e->d_name);
        CHECK(0);
    }
    if (d)
        closedir(d);
    nftw(p->run_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static enum tr_err wait_stop(struct tr_target *t, struct tr_stop *st)
{
    enum tr_err rc = tr_target_wait(t, tr_now_ms() + WAIT_MS, st);
    if (rc)
        fprintf(stderr, "  wait: %s: %s\n", tr_strerror(rc), t->errbuf);
    return rc;
}

static enum tr_err cont(struct tr_target *t, struct tr_stop *st)
{
    enum tr_err rc = tr_target_resume(t, TR_RESUME_CONT, 0);
    if (rc) {
        fprintf(stderr, "  resume: %s: %s\n", tr_strerror(rc), t->errbuf);
        return rc;
    }
    return wait_stop(t, st);
}

static uint64_t read_u64(struct tr_target *t, uint64_t addr)
{
    uint64_t v = 0;
    CHECK_INT(tr_target_read(t, addr, &v, sizeof v), TR_OK);
    return v;
}

static int read_i32(struct tr_target *t, uint64_t addr)
{
    int32_t v = 0;
    CHECK_INT(tr_target_read(t, addr, &v, sizeof v), TR_OK);
    return v;
}

static int stack_has(const struct tr_tool_frame *f, size_t n, const char *fn)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].fn && strcmp(f[i].fn, fn) == 0)
            return 1;
    return 0;
}

static const struct tr_tool_error *find_kind(const struct tr_stop *st, const char *kind)
{
    for (size_t i = 0; i < st->nerrors; i++)
        if (st->errors[i].kind && strcmp(st->errors[i].kind, kind) == 0)
            return &st->errors[i];
    return NULL;
}

/* Continues past tool-error stops until a stop of another kind. */
static enum tr_err cont_skip_errors(struct tr_target *t, struct tr_stop *st)
{
    enum tr_err rc;
    while ((rc = cont(t, st)) == TR_OK && st->kind == TR_STOP_TOOL_ERROR)
        ;
    return rc;
}

/* ---- tests ---------------------------------------------------------------------- */

static void starts_stopped_then_breakpoint(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "basic", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    CHECK_STR(t->ops->name, "valgrind");
    CHECK(tr_target_has(t, TR_CAP_TOOL_ERRORS | TR_CAP_VBITS | TR_CAP_SINGLESTEP));
    uint64_t main_size = 0, add = sym(exe, "add", NULL), main_fn = sym(exe, "main", &main_size);
    uint64_t counter = sym(exe, "counter", NULL);

    /* stopped before any code of the program: pc is in the loader */
    struct tr_regs r;
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK(r.pc != 0 && (r.pc < main_fn || r.pc >= main_fn + main_size));
    CHECK_INT(read_i32(t, counter), 0x12345678);

    REQUIRE(tr_target_insert_bp(t, add) == TR_OK);
    struct tr_stop st;
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_BREAKPOINT);
    CHECK_INT(st.pc, add);
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK_INT(r.pc, add);
    CHECK_INT(r.sp % 16, 8); /* just after the call pushed its return address */
    CHECK_INT(r.rdi, 3);     /* add(3, 4) */
    CHECK_INT(r.rsi, 4);
    uint64_t ret = read_u64(t, r.sp);
    CHECK(ret > main_fn && ret < main_fn + main_size);
    close_prog(&p);
}

static void memory_registers_and_step(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "basic", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t add_size = 0, add = sym(exe, "add", &add_size);
    uint64_t body = sym(exe, "add_body", NULL), arg_addr = sym(exe, "arg_addr", NULL);
    uint64_t counter = sym(exe, "counter", NULL), exit_code = sym(exe, "exit_code", NULL);
    uint64_t scratch = sym(exe, "scratch", NULL);
    REQUIRE(add && body && arg_addr && counter && exit_code && scratch);

    REQUIRE(tr_target_insert_bp(t, body) == TR_OK);
    struct tr_stop st;
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_BREAKPOINT);
    CHECK_INT(st.pc, body);
    struct tr_regs r;
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK_INT(r.sp % 16, 0);
    CHECK(r.fp >= r.sp);

    /* a global, and the int argument `a` spilled to the stack frame */
    CHECK_INT(read_i32(t, counter), 0x12345678);
    uint64_t a_addr = read_u64(t, arg_addr);
    CHECK(a_addr >= r.sp - 128 && a_addr < r.fp); /* a leaf: maybe in the red zone */
    CHECK_INT(read_i32(t, a_addr), 3);
    uint8_t big[20000]; /* more than one 'm' packet */
    CHECK_INT(tr_target_read(t, r.sp, big, 512), TR_OK);
    CHECK_INT(tr_target_read(t, 0, big, 4), TR_ERR_MEM);

    /* a single step moves to the next instruction of add */
    REQUIRE(tr_target_resume(t, TR_RESUME_STEP, 0) == TR_OK);
    REQUIRE(wait_stop(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_STEP);
    CHECK(st.pc > body && st.pc < add + add_size);
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK_INT(r.pc, st.pc);

    /* writes: a global the program returns, across a packet boundary too */
    int v = 42;
    REQUIRE(tr_target_write(t, exit_code, &v, sizeof v) == TR_OK);
    CHECK_INT(read_i32(t, exit_code), 42);
    uint8_t pattern[9000];
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 7);
    CHECK_INT(tr_target_write(t, scratch, pattern, sizeof pattern), TR_OK);
    CHECK_INT(tr_target_read(t, scratch, big, sizeof pattern), TR_OK);
    CHECK(memcmp(big, pattern, sizeof pattern) == 0);

    REQUIRE(tr_target_remove_bp(t, body) == TR_OK);
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_EXITED);
    CHECK_INT(st.status, 42);
    CHECK_INT(tr_target_resume(t, TR_RESUME_CONT, 0), TR_ERR_GONE);
    close_prog(&p);
}

static void float_registers(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "basic", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t half = sym(exe, "half", NULL), th = sym(exe, "three_halves", NULL);
    REQUIRE(half && th);
    REQUIRE(tr_target_insert_bp(t, half) == TR_OK);
    REQUIRE(tr_target_insert_bp(t, th) == TR_OK);
    struct tr_stop st;
    struct tr_regs r;
    struct tr_fpregs f;

    /* at each callee's entry, plant a breakpoint at its return address */
    REQUIRE(cont(t, &st) == TR_OK && st.pc == half);
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    uint64_t ret = read_u64(t, r.sp);
    REQUIRE(tr_target_fpregs(t, &f) == TR_OK);
    double x;
    memcpy(&x, f.xmm0, sizeof x);
    CHECK(x == 5.0); /* the argument */
    REQUIRE(tr_target_insert_bp(t, ret) == TR_OK);
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.pc, ret);
    REQUIRE(tr_target_fpregs(t, &f) == TR_OK);
    memcpy(&x, f.xmm0, sizeof x);
    CHECK(x == 2.5);

    REQUIRE(cont(t, &st) == TR_OK && st.pc == th);
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    ret = read_u64(t, r.sp);
    REQUIRE(tr_target_insert_bp(t, ret) == TR_OK);
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.pc, ret);
    REQUIRE(tr_target_fpregs(t, &f) == TR_OK);
    long double ld = 0;
    memcpy(&ld, f.st0, 10);
    CHECK(ld == 1.5L);
    close_prog(&p);
}

/* Registers are exact at a breakpoint, even one a later instruction of the
   same block overwrites. */
static void registers_exact_at_breakpoint(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "basic", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t bp = sym(exe, "precise_bp", NULL);
    REQUIRE(bp && tr_target_insert_bp(t, bp) == TR_OK);
    struct tr_stop st;
    REQUIRE(cont(t, &st) == TR_OK && st.pc == bp);
    struct tr_regs r;
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK_INT(r.rax, 0x1111);
    REQUIRE(tr_target_resume(t, TR_RESUME_STEP, 0) == TR_OK);
    REQUIRE(wait_stop(t, &st) == TR_OK && st.kind == TR_STOP_STEP);
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK_INT(r.rax, 0x2222);
    close_prog(&p);
}

/* A one-instruction loop that jumps to itself: every arrival is a stop. */
static void loop_to_same_address(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "basic", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t loop = sym(exe, "spin_loop", NULL), tick = sym(exe, "tick", NULL);
    REQUIRE(loop && tick);
    REQUIRE(tr_target_insert_bp(t, loop) == TR_OK);
    REQUIRE(tr_target_insert_bp(t, tick) == TR_OK);
    struct tr_stop st;
    int arrivals = 0;
    while (cont(t, &st) == TR_OK && st.kind == TR_STOP_BREAKPOINT && st.pc == loop)
        arrivals++;
    CHECK_INT(arrivals, 3);
    CHECK_INT(st.kind, TR_STOP_BREAKPOINT);
    CHECK_INT(st.pc, tick);
    close_prog(&p);
}

/* 500 breakpoint stops with 500 more breakpoints inserted: registers and
   512 bytes of stack at each. Prints the cost per stop and valgrind's
   start-up (a measurement, not a limit: the machine may be loaded). */
static void stops_per_second(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "basic", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t tick = sym(exe, "tick", NULL), ticks = sym(exe, "ticks", NULL);
    uint64_t main_fn = sym(exe, "main", NULL);
    REQUIRE(tick && ticks && main_fn);
    int64_t t0 = tr_now_ms();
    /* the stepper keeps hundreds inserted: 500 more that never hit (each
       new translation is checked against all of them) */
    for (uint64_t i = 0; i < 500; i++)
        REQUIRE(tr_target_insert_bp(t, 0x10000000 + 16 * i) == TR_OK);
    int64_t insert_ms = tr_now_ms() - t0;
    REQUIRE(tr_target_insert_bp(t, main_fn) == TR_OK);
    struct tr_stop st;
    REQUIRE(cont(t, &st) == TR_OK && st.pc == main_fn);
    int64_t to_main = tr_now_ms() - t0;
    REQUIRE(tr_target_insert_bp(t, tick) == TR_OK);

    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int stops = 0;
    uint8_t stack[512];
    struct tr_regs r;
    while (cont(t, &st) == TR_OK && st.kind == TR_STOP_BREAKPOINT) {
        if (tr_target_regs(t, &r) != TR_OK || tr_target_read(t, r.sp, stack, 512) != TR_OK)
            break;
        stops++;
        if (stops == 500)
            break;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK_INT(stops, 500);
    CHECK_INT(read_i32(t, ticks), 499); /* the 500th arrival, before ticks++ */
    double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3);
    fprintf(stderr,
            "  perf: %d stops, %.0f us per stop (continue, stop, regs, 512 B of stack); "
            "valgrind start to first stop %lld ms, to main %lld ms; 500 inserts %lld ms\n",
            stops, us / (stops ? stops : 1), (long long)p.open_ms,
            (long long)(p.open_ms + to_main), (long long)insert_ms);
    close_prog(&p);
}

/* The errors of errors.c in program order, then the leak at exit. */
static void memcheck_errors_in_order(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "errors", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t fill_size = 0, fill = sym(exe, "fill", &fill_size);
    uint64_t uaf_size = 0, uaf = sym(exe, "use_after_free", &uaf_size);
    uint64_t cond_size = 0, cond = sym(exe, "cond", &cond_size);
    uint64_t loop_i = sym(exe, "loop_i", NULL);
    REQUIRE(fill && uaf && cond && loop_i);
    struct tr_stop st;
    const struct tr_tool_error *e;

    /* heap overflow by one int, in the 6th iteration only */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    CHECK(st.pc >= fill && st.pc < fill + fill_size);
    CHECK_INT(read_i32(t, loop_i), 5);
    REQUIRE(st.nerrors == 1);
    e = &st.errors[0];
    CHECK_STR(e->kind, "InvalidWrite");
    CHECK_INT(e->size, 4);
    CHECK(e->addr != 0);
    CHECK(e->auxwhat && strstr(e->auxwhat, "0 bytes after a block of size 20"));
    REQUIRE(e->nstack >= 2);
    CHECK_INT(e->stack[0].pc, st.pc);
    CHECK_STR(e->stack[0].fn, "fill");
    CHECK_STR(e->stack[0].file, "errors.c");
    CHECK(e->stack[0].line > 0);
    CHECK(stack_has(e->aux_stack, e->naux_stack, "make"));
    struct tr_regs r;
    REQUIRE(tr_target_regs(t, &r) == TR_OK);
    CHECK_INT(r.pc, st.pc);

    /* use after free: the free and the allocation stacks */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    CHECK(st.pc >= uaf && st.pc < uaf + uaf_size);
    REQUIRE((e = find_kind(&st, "InvalidRead")) != NULL);
    CHECK_INT(e->size, 4);
    CHECK(e->auxwhat && strstr(e->auxwhat, "free'd"));
    CHECK(stack_has(e->aux_stack, e->naux_stack, "main"));
    CHECK(stack_has(e->alloc_stack, e->nalloc_stack, "make"));

    /* double free: reported, and the program goes on */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    REQUIRE((e = find_kind(&st, "InvalidFree")) != NULL);
    CHECK(stack_has(e->stack, e->nstack, "free_twice"));

    /* a conditional jump on an uninitialised value */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    CHECK(st.pc >= cond && st.pc < cond + cond_size);
    REQUIRE((e = find_kind(&st, "UninitCondition")) != NULL);
    CHECK_STR(e->stack[0].fn, "cond");

    /* normal exit, with the leak */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_EXITED);
    CHECK_INT(st.status, 0);
    REQUIRE((e = find_kind(&st, "Leak_DefinitelyLost")) != NULL);
    CHECK_INT(e->size, 20);
    CHECK_INT(e->blocks, 1);
    CHECK(stack_has(e->stack, e->nstack, "leak"));
    CHECK_INT(st.nerrors, 1);
    close_prog(&p);
}

static void validity_bits(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "errors", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t before = sym(exe, "vbits_before", NULL), after = sym(exe, "vbits_after", NULL);
    uint64_t x_addr = sym(exe, "x_addr", NULL);
    REQUIRE(before && after && x_addr);
    REQUIRE(tr_target_insert_bp(t, before) == TR_OK);
    REQUIRE(tr_target_insert_bp(t, after) == TR_OK);
    struct tr_stop st;
    REQUIRE(cont_skip_errors(t, &st) == TR_OK);
    REQUIRE(st.kind == TR_STOP_BREAKPOINT && st.pc == before);
    uint64_t x = read_u64(t, x_addr);
    uint8_t vb[4];
    REQUIRE(tr_target_vbits(t, x, vb, 4) == TR_OK);
    CHECK(vb[0] == 0xff && vb[1] == 0xff && vb[2] == 0xff && vb[3] == 0xff);
    CHECK_INT(tr_target_vbits(t, 0, vb, 4), TR_ERR_MEM);
    tr_addr bad = 0;
    int unaddr = 9;
    REQUIRE(tr_target_check_defined(t, x, 4, &bad, &unaddr) == TR_OK);
    CHECK(bad == x && unaddr == 0);
    REQUIRE(tr_target_check_defined(t, 0, 4, &bad, &unaddr) == TR_OK);
    CHECK(bad == 0 && unaddr == 1);

    REQUIRE(cont_skip_errors(t, &st) == TR_OK);
    REQUIRE(st.kind == TR_STOP_BREAKPOINT && st.pc == after);
    REQUIRE(tr_target_vbits(t, x, vb, 4) == TR_OK);
    CHECK(vb[0] == 0 && vb[1] == 0 && vb[2] == 0 && vb[3] == 0);
    CHECK_INT(read_i32(t, x), 7);
    REQUIRE(tr_target_check_defined(t, x, 4, &bad, &unaddr) == TR_OK);
    CHECK(bad == x + 4 && unaddr == 0);
    /* a long range spans several monitor commands: all of it defined */
    uint64_t big = sym(exe, "defined_area", NULL);
    uint8_t many[3000];
    memset(many, 0x55, sizeof many);
    CHECK_INT(tr_target_vbits(t, big, many, sizeof many), TR_OK);
    int undefined = 0;
    for (size_t i = 0; i < sizeof many; i++)
        undefined |= many[i];
    CHECK_INT(undefined, 0);
    close_prog(&p);
}

static void leak_check_now(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "errors", NULL);
    REQUIRE(t);
    const char *exe = p.exe;
    uint64_t before = sym(exe, "vbits_before", NULL);
    REQUIRE(before && tr_target_insert_bp(t, before) == TR_OK);
    const struct tr_tool_error *lk;
    size_t n = 99;
    CHECK_INT(vg_target_leak_check(t, &lk, &n), TR_OK); /* nothing allocated yet */
    CHECK_INT(n, 0);
    struct tr_stop st;
    REQUIRE(cont_skip_errors(t, &st) == TR_OK && st.pc == before);
    REQUIRE(vg_target_leak_check(t, &lk, &n) == TR_OK);
    REQUIRE(n == 1);
    CHECK_STR(lk[0].kind, "Leak_DefinitelyLost");
    CHECK_INT(lk[0].size, 20);
    CHECK_INT(lk[0].blocks, 1);
    CHECK(stack_has(lk[0].stack, lk[0].nstack, "leak"));
    close_prog(&p);
}

/* tracer/rt's runtime object: the build's, or built here as the Makefile
   does. NULL when it cannot be had. */
static const char *rt_object(void)
{
    static char rt[PATH_MAX];
    if (rt[0])
        return rt;
    snprintf(rt, sizeof rt, "%s/../../../build/rt/sppmon.o", g_src);
    if (access(rt, R_OK) == 0)
        return rt;
    char src[PATH_MAX], inc[PATH_MAX + 2];
    snprintf(rt, sizeof rt, "%s/sppmon.o", g_tmp);
    snprintf(src, sizeof src, "%s/../../../tracer/rt/sppmon.c", g_src);
    snprintf(inc, sizeof inc, "-I%s/../../..", g_src);
    const char *argv[] = {"gcc", "-O1", "-fno-omit-frame-pointer", "-fcf-protection=none",
                          "-fno-stack-protector", "-fvisibility=hidden", "-fexceptions",
                          "-D_GNU_SOURCE", inc, "-c", src, "-o", rt, NULL};
    if (run_argv(argv) != 0) {
        rt[0] = '\0';
        return NULL;
    }
    return rt;
}

/* With the runtime that interposes malloc, memcheck still sees the blocks,
   and the runtime's heap table (which the value reader uses) fills too. */
static void runtime_malloc_tracked(void)
{
    const char *rt = rt_object();
    REQUIRE(rt);
    const char *exe = build("errors", rt, "_rt");
    REQUIRE(exe && sym(exe, SPP_RT_SYMBOL, NULL));
    struct prog p;
    struct tr_target *t = open_prog(&p, exe, NULL);
    REQUIRE(t);
    struct tr_stop st;
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    REQUIRE(st.nerrors == 1);
    CHECK_STR(st.errors[0].kind, "InvalidWrite");
    CHECK(stack_has(st.errors[0].aux_stack, st.errors[0].naux_stack, "make"));
    CHECK_INT(read_i32(t, sym(exe, "loop_i", NULL)), 5);
    uint64_t rt_addr = sym(exe, SPP_RT_SYMBOL, NULL);
    struct spp_rt *tab = malloc(sizeof *tab);
    REQUIRE(tab);
    CHECK_INT(tr_target_read(t, rt_addr, tab, SPP_RT_HEADER_SIZE), TR_OK);
    CHECK(tab->magic == SPP_RT_MAGIC && tab->nblocks >= 1 && tab->nblocks < 64);
    if (tab->nblocks >= 1 && tab->nblocks < 64)
        CHECK_INT(tr_target_read(t, rt_addr + SPP_RT_HEADER_SIZE, tab->blocks,
                                 tab->nblocks * sizeof tab->blocks[0]),
                  TR_OK);
    int found = 0;
    for (uint64_t i = 0; i < tab->nblocks && i < 64; i++)
        found |= tab->blocks[i].size == 20 &&
                 st.errors[0].addr == (tab->blocks[i].addr ^ SPP_RT_ADDR_KEY) + 20;
    CHECK(found); /* the overflowed block, 20 bytes, right below the bad write */
    free(tab);
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK(find_kind(&st, "InvalidRead") != NULL);
    close_prog(&p);
}

/* C++: memcheck knows new[] from delete, with the runtime linked in too. */
static void cxx_mismatched_delete(void)
{
    const char *exe = build("mismatch", rt_object(), "_rt");
    struct prog p;
    struct tr_target *t = open_prog(&p, exe, NULL);
    REQUIRE(t);
    struct tr_stop st;
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    const struct tr_tool_error *e = find_kind(&st, "MismatchedFree");
    REQUIRE(e);
    CHECK(stack_has(e->stack, e->nstack, "main"));
    CHECK(stack_has(e->aux_stack, e->naux_stack, "make(int)"));
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_EXITED);
    CHECK_INT(st.status, 0);
    FILE *f = fopen(p.out, "r");
    char line[64] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    CHECK_STR(line, "done\n");
    close_prog(&p);
}

static void segv_then_killed(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "crash", NULL);
    REQUIRE(t);
    struct tr_stop st;
    /* memcheck reports the write first, then the kernel's signal */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
    CHECK(find_kind(&st, "InvalidWrite") != NULL);
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_SIGNAL);
    CHECK_INT(st.signo, SIGSEGV);
    CHECK_INT(st.fault_addr, 0);
    CHECK_INT(st.fault_code, SEGV_MAPERR);
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, SIGSEGV) == TR_OK);
    REQUIRE(wait_stop(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_KILLED);
    CHECK_INT(st.signo, SIGSEGV);
    close_prog(&p);
}

static void deadline_and_kill(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "spin", NULL);
    REQUIRE(t);
    struct tr_stop st;
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, 0) == TR_OK);
    int64_t t0 = tr_now_ms();
    CHECK_INT(tr_target_wait(t, t0 + 300, &st), TR_ERR_TIMEOUT);
    /* not before its deadline; the upper bound only tells a hang from a
       wait under load (no speed is checked) */
    CHECK(tr_now_ms() - t0 >= 300 && tr_now_ms() - t0 < 30000);
    CHECK_INT(tr_target_wait(t, tr_now_ms() + 100, &st), TR_ERR_TIMEOUT); /* still running */
    tr_target_kill(t);
    CHECK_INT(procs_mentioning(p.run_dir), 0);
    tr_target_kill(t); /* idempotent */
    CHECK_INT(tr_target_wait(t, tr_now_ms() + 100, &st), TR_ERR_GONE);
    close_prog(&p);
}

/* valgrind killed from outside (as RLIMIT_CPU's hard limit does): the
   wait reports how it died. */
static void killed_from_outside(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "spin", NULL);
    REQUIRE(t);
    pid_t pid = 0;
    DIR *d = opendir(p.run_dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (sscanf(e->d_name, "vgdb-from-vgdb-to-%d-", &pid) == 1)
            break;
    if (d)
        closedir(d);
    REQUIRE(pid > 0);
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, 0) == TR_OK);
    struct tr_stop st;
    CHECK_INT(tr_target_wait(t, tr_now_ms() + 200, &st), TR_ERR_TIMEOUT);
    kill(pid, SIGKILL);
    REQUIRE(wait_stop(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_KILLED);
    CHECK_INT(st.signo, SIGKILL);
    close_prog(&p);
}

static void find_vgdb(int pid, const char *cmd, const char *base, void *arg)
{
    (void)cmd;
    if (strncmp(base, "vgdb ", 5) == 0)
        *(pid_t *)arg = pid;
}

/* The relay dies while the program runs: the wait fails, nothing is left. */
static void vgdb_dies(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "spin", NULL);
    REQUIRE(t);
    pid_t relay = 0;
    procs_mentioning_fn(p.run_dir, find_vgdb, &relay);
    REQUIRE(relay > 0);
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, 0) == TR_OK);
    struct tr_stop st;
    CHECK_INT(tr_target_wait(t, tr_now_ms() + 200, &st), TR_ERR_TIMEOUT);
    kill(relay, SIGKILL);
    CHECK_INT(tr_target_wait(t, tr_now_ms() + WAIT_MS, &st), TR_ERR_GONE);
    CHECK(strstr(t->errbuf, "vgdb") != NULL);
    CHECK_INT(procs_mentioning(p.run_dir), 0);
    close_prog(&p);
}

/* A forked child's error must not block it; int3 reaches the program as
   its own SIGTRAP, also when a breakpoint follows the int3. */
static void child_error_and_int3(void)
{
    struct prog p;
    struct tr_target *t = start(&p, "forks", NULL);
    REQUIRE(t);
    uint64_t after = sym(p.exe, "after_int3", NULL);
    REQUIRE(after && tr_target_insert_bp(t, after) == TR_OK);
    struct tr_stop st;
    int64_t t0 = tr_now_ms();
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK(tr_now_ms() - t0 < 10000);
    /* the child exited 7, so the parent ran the int3 */
    CHECK_INT(st.kind, TR_STOP_SIGNAL);
    CHECK_INT(st.signo, SIGTRAP);
    CHECK_INT(st.pc, after);
    /* suppressed: then the breakpoint there */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_BREAKPOINT);
    CHECK_INT(st.pc, after);
    /* the second int3, delivered */
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_SIGNAL);
    CHECK_INT(st.signo, SIGTRAP);
    REQUIRE(tr_target_resume(t, TR_RESUME_CONT, SIGTRAP) == TR_OK);
    REQUIRE(wait_stop(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_KILLED);
    CHECK_INT(st.signo, SIGTRAP);
    close_prog(&p);
}

/* Where ptrace is denied (AWS Lambda), the whole thing still traces: run a
   scenario in a child whose seccomp filter makes ptrace fail with EPERM
   (inherited by valgrind and vgdb). */
static void works_without_ptrace(void)
{
    const char *exe = build("errors", NULL, "");
    REQUIRE(exe);
    uint64_t loop_i = sym(exe, "loop_i", NULL), make = sym(exe, "make", NULL);
    REQUIRE(loop_i && make);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0) != 0 ||
            seccomp_load(ctx) != 0)
            _exit(3);
        seccomp_release(ctx);
        errno = 0;
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != -1 || errno != EPERM)
            _exit(4);
        struct prog p;
        struct tr_target *t = open_prog(&p, exe, NULL);
        if (!t)
            _exit(5);
        struct tr_stop st;
        CHECK_INT(tr_target_insert_bp(t, make), TR_OK);
        CHECK_INT(cont(t, &st), TR_OK);
        CHECK_INT(st.kind, TR_STOP_BREAKPOINT);
        CHECK_INT(st.pc, make);
        CHECK_INT(cont(t, &st), TR_OK);
        CHECK_INT(st.kind, TR_STOP_TOOL_ERROR);
        CHECK_INT(read_i32(t, loop_i), 5);
        uint8_t vb[4];
        CHECK_INT(tr_target_vbits(t, loop_i, vb, 4), TR_OK);
        CHECK_INT(cont_skip_errors(t, &st), TR_OK);
        CHECK_INT(st.kind, TR_STOP_EXITED);
        close_prog(&p);
        fflush(NULL);
        _exit(check_failed_ ? 1 : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
}

static void bad_launch(void)
{
    struct prog p;
    memset(&p, 0, sizeof p);
    snprintf(p.run_dir, sizeof p.run_dir, "%s/runXXXXXX", g_tmp);
    REQUIRE(mkdtemp(p.run_dir));
    struct tr_launch l = {.exe = "relative", .run_dir = p.run_dir};
    struct tr_target *t = NULL;
    char eb[TR_ERRBUF_LEN] = "";
    CHECK_INT(vg_target_open(&l, NULL, &t, eb), TR_ERR_BADREQ);
    CHECK(t == NULL && eb[0]);
    /* valgrind itself refuses: its message reaches errbuf, nothing is left */
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/no-such-program", g_tmp);
    l.exe = missing;
    eb[0] = '\0';
    CHECK(vg_target_open(&l, NULL, &t, eb) != TR_OK);
    CHECK(t == NULL);
    CHECK(strstr(eb, "valgrind") != NULL);
    CHECK_INT(procs_mentioning(p.run_dir), 0);
    struct vg_options o;
    vg_options_default(&o);
    o.valgrind = "/nonexistent/valgrind";
    eb[0] = '\0';
    CHECK(vg_target_open(&l, &o, &t, eb) != TR_OK);
    CHECK(t == NULL && eb[0]);
    /* vgdb missing: valgrind started, then everything is taken down */
    l.exe = build("basic", NULL, "");
    o.valgrind = NULL;
    o.vgdb = "/nonexistent/vgdb";
    eb[0] = '\0';
    CHECK(vg_target_open(&l, &o, &t, eb) != TR_OK);
    CHECK(t == NULL);
    CHECK(strstr(eb, "/nonexistent/vgdb") != NULL);
    CHECK_INT(procs_mentioning(p.run_dir), 0);
    p.t = NULL;
    DIR *d = opendir(p.run_dir);
    struct dirent *e;
    int left = 0;
    while (d && (e = readdir(d)))
        left += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CHECK_INT(left, 0);
    nftw(p.run_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void track_origins_option(void)
{
    const char *exe = build("errors", NULL, "");
    struct vg_options o;
    vg_options_default(&o);
    o.track_origins = 1;
    o.leak_check = 0;
    struct prog p;
    struct tr_target *t = open_prog(&p, exe, &o);
    REQUIRE(t);
    struct tr_stop st;
    const struct tr_tool_error *e = NULL;
    while (!e && cont(t, &st) == TR_OK && st.kind == TR_STOP_TOOL_ERROR)
        e = find_kind(&st, "UninitCondition");
    REQUIRE(e);
    CHECK(e->auxwhat && strstr(e->auxwhat, "stack allocation"));
    CHECK(stack_has(e->aux_stack, e->naux_stack, "cond"));
    REQUIRE(cont(t, &st) == TR_OK);
    CHECK_INT(st.kind, TR_STOP_EXITED);
    CHECK(find_kind(&st, "Leak_DefinitelyLost") == NULL); /* leak_check off */
    close_prog(&p);
}

static void setup(void)
{
    if (access("/usr/bin/valgrind", X_OK) != 0)
        SKIP_ALL("valgrind is not installed");
    const char *gcc[] = {"gcc", "--version", NULL};
    if (run_argv(gcc) != 0)
        SKIP_ALL("gcc is not available");
    const char *tmp = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/vg_target.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        exit(1);
    }
    /* __FILE__ is tests/unit/vg_target.c, relative to the repo root */
    char here[PATH_MAX];
    snprintf(here, sizeof here, "%s", __FILE__);
    char *slash = strrchr(here, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(here, sizeof here, ".");
    char abs[PATH_MAX];
    if (!realpath(here, abs)) {
        perror(here);
        exit(1);
    }
    snprintf(g_src, sizeof g_src, "%s/../programs/vg", abs);
}

static const struct check_test tests[] = {
    TEST(starts_stopped_then_breakpoint), TEST(memory_registers_and_step),
    TEST(float_registers), TEST(registers_exact_at_breakpoint), TEST(loop_to_same_address), TEST(stops_per_second),
    TEST(memcheck_errors_in_order), TEST(validity_bits), TEST(leak_check_now),
    TEST(runtime_malloc_tracked), TEST(cxx_mismatched_delete), TEST(segv_then_killed), TEST(deadline_and_kill),
    TEST(killed_from_outside), TEST(vgdb_dies),
    TEST(child_error_and_int3), TEST(works_without_ptrace), TEST(bad_launch),
    TEST(track_origins_option),
};

int main(void)
{
    setup();
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    destroy_left_open();
    nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
