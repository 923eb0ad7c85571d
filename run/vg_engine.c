/*
 * engine.c - the Valgrind engine: one run of the program under memcheck,
 * driven by the ordinary stepper through the Valgrind target, alone or as
 * the background half of memcheck mode.
 *
 * Memcheck mode overlaps the two runs (2 cores): right after compiling,
 * mc_start forks a child that opens its own index of the program (libdwarf
 * reads through the file offset of its descriptor, which a fork would
 * share), runs the program under Valgrind in a directory of its own
 * (run_dir/vg: the two runs never see each other's files) - unstopped, so
 * only its errors are recorded, with the clock that places them
 * (tracer/errwatch.c, place.c); stepped per line with SPP_MEMCHECK_UNSTOPPED=0
 * - and writes its (sparse or whole) trace to an anonymous memory file.
 * Meanwhile the parent runs ptrace or the agent. mc_finish then waits for the child - EOF on a pipe only the
 * child holds says it is gone, which works even when the ptrace target's
 * waitpid(-1) reaped it - kills it at the memcheck deadline (valgrind dies
 * with it: parent-death signal), reaps it, reads the memory file and
 * places (place.c) or merges (merge.c) its findings. While it waits, it
 * encodes the response's trace, kept when no finding changes it.
 *
 * Limits under Valgrind: address space TR_LIMIT_AS_VALGRIND, wall
 * TR_LIMIT_WALL_MEMCHECK_MS (a request's timeout may lower it), counted
 * from valgrind's gdbserver being ready; CPU time follows the wall limit,
 * because memcheck runs a program 20-50x slower and the default 5 s of CPU
 * would stop any loop a student writes.
 */
#include "run/vg_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dwarf/dw_index.h"
#include "run/run.h"
#include "tracer/request.h"
#include "tracer/sandbox.h"
#include "tracer/errwatch.h"
#include "tracer/step.h"
#include "run/vg_engine_int.h"
#include "targets/valgrind/vg_target.h"
#include "tracer/rt/sppmon.h"

#define VG_TRACE_ARENA (256u << 20) /* as run.c's */
#define VG_MARGIN_MS 5000           /* child: start-up, leak search and hand-over */
#define VG_RESULT_MAX (512ull << 20)
#define VG_GRACE_MS 1000 /* after the native run timed out */

/* ---- one run under Valgrind ------------------------------------------------ */

static int64_t wall_ms(const struct tr_engine_job *job)
{
    int64_t w = TR_LIMIT_WALL_MEMCHECK_MS;
    if (job->r && job->r->timeout_ms > 0 && job->r->timeout_ms < w)
        w = job->r->timeout_ms;
    return w;
}

static int join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int vg_mc_unstopped(void)
{
    const char *e = getenv("SPP_MEMCHECK_UNSTOPPED");
    return !e || strcmp(e, "0") != 0;
}

int vg_mc_encode_early(void)
{
    const char *e = getenv("SPP_MEMCHECK_ENCODE_EARLY");
    return !e || strcmp(e, "0") != 0;
}

/* Runs the program in dir (its cwd, and where its output goes) and appends
   the steps to tr - every step, or unstopped only the errors (a sparse
   trace, tracer/errwatch.h). TR_OK whenever a trace was produced. */
static enum tr_err run_valgrind(const struct tr_engine_job *job, const struct dw_index *ix,
                                const char *dir, int unstopped, struct tr_trace *tr,
                                char *errbuf)
{
    char out_path[PATH_MAX], err_path[PATH_MAX];
    int out_fd = -1, err_fd = -1;
    struct tr_target *t = NULL;
    enum tr_err rc;
    if (join(out_path, sizeof out_path, dir, "stdout.txt") ||
        join(err_path, sizeof err_path, dir, "stderr.txt")) {
        snprintf(errbuf, TR_ERRBUF_LEN, "run directory path too long");
        return TR_ERR_BADREQ;
    }
    /* Ours, read through these descriptors (as run.c does for ptrace). */
    out_fd = open(out_path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    err_fd = open(err_path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out_fd < 0 || err_fd < 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "cannot create the program's output files: %s",
                 strerror(errno));
        rc = TR_ERR_SYS;
        goto out;
    }
    int64_t wall = wall_ms(job);
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.as_bytes = TR_LIMIT_AS_VALGRIND;
    lim.nproc = job->nproc;
    lim.wall_ms = wall;
    lim.cpu_soft_s = (unsigned)(wall / 1000);
    lim.cpu_hard_s = lim.cpu_soft_s + 1;
    /* In memcheck mode dir is run_dir/vg, and the program and its input
       are in run_dir: where Landlock confines the run, that stays readable. */
    struct tr_sandbox sb;
    const char *ro[8];
    const struct tr_sandbox *sbp = job->sandbox;
    if (sbp && sbp->landlock && strcmp(dir, job->run_dir) != 0) {
        size_t n = 0;
        for (; sbp->landlock_ro && sbp->landlock_ro[n] && n < 6; n++)
            ro[n] = sbp->landlock_ro[n];
        ro[n++] = job->run_dir;
        ro[n] = NULL;
        sb = *sbp;
        sb.landlock_ro = ro;
        sbp = &sb;
    }
    struct tr_launch l = {.exe = job->exe,
                          .run_dir = dir,
                          .stdin_path = job->stdin_path ? job->stdin_path : "/dev/null",
                          .stdout_path = out_path,
                          .stderr_path = err_path,
                          .limits = &lim,
                          .sandbox = sbp};
    struct vg_options vo;
    vg_options_default(&vo);
    vo.exact_regs = !unstopped; /* no value is read at an error stop */
    const char *all = getenv("SPP_VG_ALL_DEBUGINFO"); /* the reference, for tests */
    vo.all_debuginfo = all && strcmp(all, "1") == 0;
    if ((rc = vg_target_open(&l, &vo, &t, errbuf)) != TR_OK)
        goto out;
    tr->engine = "valgrind";
    if (unstopped) {
        struct tr_errwatch_cfg wc = {.deadline_ms = tr_now_ms() + wall,
                                     .wall_limit_s = (int)(wall / 1000),
                                     .mc_convert = vg_describe,
                                     .max_errors = VG_MAX_ERRORS};
        errbuf[0] = '\0';
        rc = tr_errwatch_run(t, ix, &wc, tr, errbuf);
        goto out;
    }
    struct tr_step_cfg cfg = {.max_steps = job->r ? job->r->max_steps : TR_MAX_STEPS_DEF,
                              .deadline_ms = tr_now_ms() + wall,
                              .stdout_path = out_path,
                              .stderr_path = err_path,
                              .stdout_fd = out_fd,
                              .stderr_fd = err_fd,
                              .output_cap = TR_LIMIT_OUTPUT,
                              .trace_cap = VG_TRACE_ARENA / 2,
                              .wall_limit_s = (int)(wall / 1000),
                              .cpu_limit_s = (int)lim.cpu_soft_s,
                              .mc_convert = vg_describe};
    errbuf[0] = '\0';
    rc = tr_step_run(t, ix, &cfg, tr, errbuf);
    if (rc == TR_OK && tr->nsteps == 0) {
        snprintf(errbuf, TR_ERRBUF_LEN,
                 "the program ended before main started (exit status %d, signal %d)", tr->exit_code,
                 tr->signo);
        rc = TR_ERR_GONE;
    }
    if (rc == TR_OK && (vg_name_uninit(tr) != 0 || vg_finish_trace(tr) != 0)) {
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        rc = TR_ERR_NOMEM;
    }
out:
    tr_target_destroy(t);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    return rc;
}

/* ---- the engine alone ------------------------------------------------------------- */

enum tr_err vg_engine_trace(const struct tr_engine_job *job, struct tr_result *res, char *errbuf)
{
    int64_t t0 = tr_now_ms();
    enum tr_err rc = run_valgrind(job, job->ix, job->run_dir, 0, res->trace, errbuf);
    res->ms_trace = (double)(tr_now_ms() - t0);
    res->ms_memcheck = res->ms_trace;
    res->engine = "valgrind";
    res->trace->engine = "valgrind";
    res->memcheck_ran = rc == TR_OK;
    if (rc == TR_OK)
        res->memcheck_note = job->r && job->r->memcheck
                                 ? "the whole trace comes from one run under Valgrind's memcheck"
                                 : "memcheck was not requested, but the Valgrind engine ran the "
                                   "program under memcheck and its findings are shown";
    return rc;
}

/* ---- memcheck mode: the background run ---------------------------------------------- */

struct tr_engine_mc {
    pid_t pid;
    int unstopped;              /* the Valgrind run stops only at errors */
    const struct tr_request *r; /* for a response encoded while waiting */
    int encode_early;
    volatile uint64_t *limit;   /* its clock limit (SPP_RT_CLOCK_FILE), shared */
    int done_fd; /* read end of a pipe only the child holds: EOF = it is gone */
    int data_fd; /* anonymous file the child writes its result to */
    int64_t t0, deadline;
    double wall_s;
};

/* In the child: never returns. */
static void __attribute__((noreturn))
child_run(const struct tr_engine_job *job, const char *dir, int unstopped, int data_fd)
{
    struct vg_run_info info;
    memset(&info, 0, sizeof info);
    struct dw_index *ix = NULL;
    struct tr_trace *t = tr_trace_new(VG_TRACE_ARENA);
    char err[DWX_ERRBUF_LEN > TR_ERRBUF_LEN ? DWX_ERRBUF_LEN : TR_ERRBUF_LEN] = "";
    int64_t t0 = tr_now_ms();
    if (!t) {
        snprintf(info.error, sizeof info.error, "out of memory");
    } else if (dw_index_open(job->exe, job->src_name, &ix, err, sizeof err) != DWX_OK) {
        snprintf(info.error, sizeof info.error, "cannot read the program's debug info: %s", err);
    } else {
        t->code = "";
        enum tr_err rc = run_valgrind(job, ix, dir, unstopped, t, err);
        info.ok = rc == TR_OK;
        info.sparse = unstopped;
        if (!info.ok)
            snprintf(info.error, sizeof info.error, "%s", err[0] ? err : tr_strerror(rc));
    }
    info.ms = (double)(tr_now_ms() - t0);
    int rc = vg_wire_write(data_fd, &info, info.ok ? t : NULL) == TR_OK ? 0 : 1;
    /* no exit handlers, no stdio flush: this is a copy of the parent */
    _exit(rc);
}

/* SPP_RT_CLOCK_FILE in dir, 0 (no limit), mapped shared: what the
   runtime of the program under Valgrind compares its clock with. Ours
   (the program may read it, not write it). NULL on failure. */
static volatile uint64_t *clock_limit_file(const char *dir)
{
    char path[PATH_MAX];
    if (join(path, sizeof path, dir, SPP_RT_CLOCK_FILE) != 0)
        return NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return NULL;
    void *p = MAP_FAILED;
    if (fchmod(fd, 0644) == 0 && ftruncate(fd, sizeof(uint64_t)) == 0)
        p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

struct tr_engine_mc *vg_mc_start(const struct tr_engine_job *job, struct tr_result *res)
{
    char dir[PATH_MAX];
    int p[2] = {-1, -1};
    struct tr_engine_mc *mc = calloc(1, sizeof *mc);
    if (!mc || join(dir, sizeof dir, job->run_dir, "vg") != 0) {
        res->memcheck_note = "memcheck could not start: out of memory";
        free(mc);
        return NULL;
    }
    mc->data_fd = -1;
    mc->done_fd = -1;
    const char *what = "mkdir";
    if (mkdir(dir, 0700) != 0)
        goto fail;
    what = "chown";
    if (job->sandbox && job->sandbox->uid && chown(dir, job->sandbox->uid, job->sandbox->gid) != 0)
        goto fail;
    mc->unstopped = vg_mc_unstopped();
    mc->r = job->r;
    mc->encode_early = job->encode_early && job->r;
    what = "the clock limit file";
    if (mc->unstopped && (mc->limit = clock_limit_file(dir)) == NULL)
        goto fail;
    what = "memfd_create";
    if ((mc->data_fd = memfd_create("spp-memcheck", MFD_CLOEXEC)) < 0)
        goto fail;
    what = "pipe";
    if (pipe2(p, O_CLOEXEC) != 0)
        goto fail;
    mc->t0 = tr_now_ms();
    mc->wall_s = (double)wall_ms(job) / 1000;
    mc->deadline = mc->t0 + wall_ms(job) + VG_MARGIN_MS;
    what = "fork";
    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        /* gone with the tracer; valgrind, in turn, goes with us. (Our
           parent may live outside our pid namespace: compare with what
           getppid() says here, not with its pid.) */
        pid_t parent = getppid();
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        child_run(job, dir, mc->unstopped, mc->data_fd);
    }
    close(p[1]);
    mc->pid = pid;
    mc->done_fd = p[0];
    return mc;
fail:
    res->memcheck_note = tr_arena_printf(res->trace->arena, "memcheck could not start: %s: %s",
                                         what, strerror(errno));
    if (p[0] >= 0) {
        close(p[0]);
        close(p[1]);
    }
    if (mc->data_fd >= 0)
        close(mc->data_fd);
    if (mc->limit)
        munmap((void *)mc->limit, sizeof *mc->limit);
    free(mc);
    return NULL;
}

/* Waits for EOF on done_fd until the deadline (looks once even when it
   has passed); 1 when the child is gone. */
static int wait_done(const struct tr_engine_mc *mc)
{
    for (;;) {
        int64_t left = mc->deadline - tr_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd pfd = {.fd = mc->done_fd, .events = POLLIN};
        int n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 0;
        if (n == 0 && left == 0)
            return 0;
        if (n == 0)
            continue; /* the loop re-checks the deadline */
        char c;
        ssize_t r = read(mc->done_fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 1; /* EOF (or the pipe broke): nothing more will come */
    }
}

/* Is the child still running (its pipe not at EOF yet)? */
static int still_running(const struct tr_engine_mc *mc)
{
    struct pollfd pfd = {.fd = mc->done_fd, .events = POLLIN};
    return poll(&pfd, 1, 0) == 0;
}

/* Does a step of t carry a memcheck finding, or the trace leaks? Then
   placing changed what the response shows. */
static int has_findings(const struct tr_trace *t)
{
    if (t->nend_errors)
        return 1;
    for (size_t i = 0; i < t->nsteps; i++)
        if (t->steps[i].nmc)
            return 1;
    return 0;
}

/* The child's result (malloc'd) and its length; NULL when none. */
static uint8_t *read_result(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > VG_RESULT_MAX)
        return NULL;
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n);
    if (!buf)
        return NULL;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got < n) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

void vg_mc_finish(struct tr_engine_mc *mc, struct tr_result *res)
{
    if (!mc)
        return;
    struct tr_arena *a = res->trace->arena;
    /* The native run hit its wall limit: Valgrind, 20-50 times slower, can
       at best be somewhere before that point. Waiting up to 30 s more for
       that helps nobody: a short grace, then it goes. */
    int native_timed_out = res->trace->outcome == TR_OUT_TIME_LIMIT;
    /* The native run stopped at a limit: the Valgrind run, unstopped, ends
       where it did (its runtime kills it there), with the findings so far. */
    enum tr_outcome no = res->trace->outcome;
    if (mc->limit && res->trace->nsteps &&
        (no == TR_OUT_STEP_LIMIT || no == TR_OUT_TIME_LIMIT || no == TR_OUT_OUTPUT_LIMIT))
        *mc->limit = res->trace->steps[res->trace->nsteps - 1].clock + 1;
    if (native_timed_out && mc->deadline > tr_now_ms() + VG_GRACE_MS)
        mc->deadline = tr_now_ms() + VG_GRACE_MS;
    /* The parent would only wait: the response's trace and traceContent
       are encoded meanwhile, and kept unless a finding lands on a step
       (most programs have none), which saves their encoding after
       Valgrind, the long pole. Not with findings already on the native
       trace (none today), nor in the short grace of a timed-out run. */
    if (mc->encode_early && res->ok && !native_timed_out && still_running(mc) &&
        !has_findings(res->trace)) {
        int64_t t0 = tr_now_ms();
        if (tr_enc_response_prepare(res, mc->r) == 0 && res->pre_enc) /* else: later */
            res->early_enc = 1;
        res->ms_early_enc = (double)(tr_now_ms() - t0);
    }
    int done = wait_done(mc);
    if (!done)
        kill(mc->pid, SIGKILL); /* not reaped yet (its pipe is open): the pid is still its */
    int status;
    while (waitpid(mc->pid, &status, 0) < 0 && errno == EINTR)
        ;
    res->ms_memcheck = (double)(tr_now_ms() - mc->t0);
    size_t len = 0;
    uint8_t *buf = done ? read_result(mc->data_fd, &len) : NULL;
    struct vg_run_info info;
    struct tr_trace *vg = NULL;
    char err[TR_ERRBUF_LEN];
    res->memcheck_ran = 0;
    res->memcheck_partial = 1; /* unless the merge says otherwise */
    if (!done && native_timed_out) {
        res->memcheck_note = "memcheck was stopped when the native run reached its time limit: "
                             "the trace has no memcheck findings";
    } else if (!done) {
        res->memcheck_note = tr_arena_printf(
            a,
            "memcheck did not finish within its %.0f s limit: the trace has no memcheck "
            "findings",
            mc->wall_s);
    } else if (!buf) {
        res->memcheck_note = "memcheck failed: its run left no result";
    } else if (vg_wire_read(buf, len, VG_TRACE_ARENA, TR_LIMIT_OUTPUT, &info, &vg, err) != TR_OK) {
        res->memcheck_note = tr_arena_printf(a, "memcheck failed: %s", err);
    } else if (!info.ok || !vg) {
        res->memcheck_note =
            tr_arena_printf(a, "memcheck failed: %s", info.error[0] ? info.error : "no trace");
        tr_trace_free(vg);
    } else if (info.sparse) {
        res->memcheck_partial = 0;
        vg_place(res, vg); /* consumes vg */
    } else {
        res->memcheck_partial = 0;
        vg_merge(res, vg); /* consumes vg; may replace res->trace */
    }
    /* placed or merged findings, or Valgrind's trace served instead */
    if (res->pre_enc && (res->pre_enc->of != res->trace || has_findings(res->trace))) {
        tr_enc_response_unprepare(res);
        res->early_enc = -1;
    }
    free(buf);
    close(mc->done_fd);
    close(mc->data_fd);
    if (mc->limit)
        munmap((void *)mc->limit, sizeof *mc->limit);
    free(mc);
}
