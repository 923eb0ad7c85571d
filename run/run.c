/*
 * run.c - one request from source text to a trace (see run.h).
 *
 * Owns the run directory: a fresh 0700 directory per run, holding the
 * source, the program, its stdin/stdout/stderr files; removed at the end
 * whatever happened, including anything the program created in it. And the
 * run's jail (sandbox.h): everything the compiler and the program start is
 * killed before the directory goes, so nothing writes into it any more.
 * The directory belongs to the run's uid when it has one; the tracer reads
 * the program's output only through descriptors it opened itself, so a
 * program that swaps stdout.txt for a symlink does not redirect our reads.
 */
#include "run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dwarf/dw_index.h"
#include "targets/agent/agent_target.h"
#include "targets/ptrace/ptrace_target.h"
#include "tracer/compile.h"
#include "run/editor_lines.h"
#include "run/install.h"
#include "run/vg_engine.h"
#include "tracer/probe.h"
#include "tracer/proc.h"
#include "tracer/sandbox.h"
#include "tracer/sandbox_watch.h"
#include "tracer/step.h"
#include "tracer/target.h"

#define TRACE_ARENA_CAP (256u << 20)

/* ---- locations next to the binary -------------------------------------- */

static const char *beside_binary(const char *env, const char *rel, char *buf, size_t len)
{
    const char *e = getenv(env);
    if (e && *e)
        return e;
    char self[PATH_MAX];
    if (tr_proc_self_exe(self, sizeof self) < 0)
        return NULL;
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    int k = snprintf(buf, len, "%s/%s", self, rel);
    return k > 0 && (size_t)k < len ? buf : NULL;
}

const char *tr_run_rt_obj(void)
{
    static char buf[PATH_MAX];
    return beside_binary("SPP_RT_OBJ", "rt/sppmon.o", buf, sizeof buf);
}

const char *tr_run_pch_dir(void)
{
    static char buf[PATH_MAX];
    return beside_binary("SPP_PCH_DIR", "pch", buf, sizeof buf);
}

const char *tr_run_pch_spill_dir(void)
{
    const char *e = getenv("SPP_PCH_SPILL_DIR");
    return e && e[0] == '/' && strlen(e) < PATH_MAX - 64 ? e : NULL;
}

/* ---- run directory ------------------------------------------------------ */

/* Can a uid that is neither owner nor group member walk down to dir? */
static int searchable_by_others(const char *dir)
{
    char path[PATH_MAX];
    if (dir[0] != '/' || snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return 0;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IXOTH))
            return 0;
        *p = c;
        if (c == '\0')
            return 1;
    }
}

/* dir + "/" + name into buf; -1 when it does not fit. */
static int join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static int write_all(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return close(fd);
}

static void compile_error_step(struct tr_trace *t, const struct tr_compile_result *cr)
{
    struct tr_step *s = tr_trace_append(t);
    if (!s)
        return;
    s->event = TR_EV_UNCAUGHT;
    s->line = cr->error_line;
    s->func_name = "";
    s->exception_msg = tr_arena_strdup(t->arena, cr->error_msg ? cr->error_msg
                                                                : "compilation failed");
    t->outcome = cr->limit_hit ? TR_OUT_COMPILE_LIMIT : TR_OUT_COMPILE_ERROR;
    t->end_message = s->exception_msg;
}

/* Trace the built program with the engine chosen; memcheck: also run the
   Valgrind engine in the background beside ptrace (engine.h). */
static void trace_program(const struct tr_request *r, const struct tr_run_opts *o,
                          struct tr_result *res, const char *dir,
                          const struct tr_compile_result *cr, const struct tr_sandbox *sb,
                          const char *engine, int memcheck)
{
    struct tr_trace *tr = res->trace;
    struct dw_index *ix = NULL;
    struct tr_target *t = NULL;
    char err[DWX_ERRBUF_LEN > TR_ERRBUF_LEN ? DWX_ERRBUF_LEN : TR_ERRBUF_LEN] = "";
    char in_path[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];
    int out_fd = -1, err_fd = -1;
    struct tr_engine_mc *mc = NULL;

    if (join(in_path, sizeof in_path, dir, "stdin.txt") ||
        join(out_path, sizeof out_path, dir, "stdout.txt") ||
        join(err_path, sizeof err_path, dir, "stderr.txt") ||
        (r->stdin_data && write_all(in_path, r->stdin_data, r->stdin_len) != 0)) {
        snprintf(res->error, sizeof res->error, "cannot write the program's input");
        return;
    }
    struct tr_engine_job job = {.r = r, .exe = cr->exe, .src_name = cr->src_name,
                                .run_dir = dir, .stdin_path = r->stdin_data ? in_path : NULL,
                                .sandbox = sb, .nproc = res->sandbox.nproc,
                                /* not when the editor's lines are shifted after the run */
                                .encode_early = !(o && o->no_response) &&
                                                !tr_compile_has_shim(r->code, r->code_len) &&
                                                vg_mc_encode_early()};
    /* first, so the two runs overlap from the start */
    if (memcheck && strcmp(engine, "valgrind") != 0)
        mc = vg_mc_start(&job, res);
    if (dw_index_open(cr->exe, cr->src_name, &ix, err, sizeof err) != DWX_OK) {
        snprintf(res->error, sizeof res->error, "cannot read the program's debug info: %s", err);
        goto out;
    }
    if (strcmp(engine, "valgrind") == 0) {
        job.ix = ix;
        if (vg_engine_trace(&job, res, err) != TR_OK)
            snprintf(res->error, sizeof res->error, "tracing failed: %s", err);
        else
            res->ok = 1;
        goto out;
    }
    /* Made here, read through these descriptors: the child reopens the
       same files (O_NOFOLLOW) before the program exists. */
    out_fd = open(out_path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    err_fd = open(err_path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out_fd < 0 || err_fd < 0) {
        snprintf(res->error, sizeof res->error, "cannot create the program's output files: %s",
                 strerror(errno));
        goto out;
    }
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.nproc = res->sandbox.nproc;
    if (r->timeout_ms > 0 && r->timeout_ms < lim.wall_ms)
        lim.wall_ms = r->timeout_ms;
    struct tr_launch l = {.exe = cr->exe, .run_dir = dir,
                          .stdin_path = r->stdin_data ? in_path : "/dev/null",
                          .stdout_path = out_path, .stderr_path = err_path, .limits = &lim,
                          .sandbox = sb};
    int64_t t0 = tr_now_ms();
    int agent = strcmp(engine, "agent") == 0;
    if ((agent ? tr_agent_open(&l, &t, err) : tr_ptrace_open(&l, &t, err)) != TR_OK) {
        snprintf(res->error, sizeof res->error, "cannot start the program: %s", err);
        goto out;
    }
    res->engine = agent ? "agent" : "ptrace";
    tr->engine = res->engine;
    struct tr_step_cfg cfg = {.max_steps = r->max_steps,
                              .deadline_ms = t0 + lim.wall_ms,
                              .stdout_path = out_path,
                              .stderr_path = err_path,
                              .stdout_fd = out_fd,
                              .stderr_fd = err_fd,
                              .output_cap = TR_LIMIT_OUTPUT,
                              .trace_cap = TRACE_ARENA_CAP / 2,
                              .wall_limit_s = (int)(lim.wall_ms / 1000),
                              .cpu_limit_s = (int)lim.cpu_soft_s};
    err[0] = '\0';
    enum tr_err rc = tr_step_run(t, ix, &cfg, tr, err);
    res->ms_trace = (double)(tr_now_ms() - t0);
    if (rc != TR_OK)
        snprintf(res->error, sizeof res->error, "tracing failed: %s", err);
    else if (tr->nsteps == 0)
        snprintf(res->error, sizeof res->error,
                 "the program ended before main started (exit status %d, signal %d)",
                 tr->exit_code, tr->signo);
    else
        res->ok = 1;
out:
    tr_target_destroy(t);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    if (mc) {
        vg_mc_finish(mc, res); /* may replace res->trace with Valgrind's */
        if (!res->ok && res->trace->nsteps && res->engine && strcmp(res->engine, "valgrind") == 0) {
            res->ok = 1; /* ptrace failed, Valgrind's trace stands in */
            res->error[0] = '\0';
        }
    }
    res->index = ix; /* the trace borrows its names */
}

/* The engine for this run, or NULL with res->error saying why none. */
static const char *choose_engine(const struct tr_run_opts *o, const struct tr_probe *p,
                                 struct tr_result *res)
{
    enum tr_engine want = o ? o->engine : TR_ENGINE_AUTO;
    if (want == TR_ENGINE_VALGRIND) {
        if (p->valgrind)
            return "valgrind";
        snprintf(res->error, sizeof res->error,
                 "the Valgrind engine is not available: valgrind was not found here");
        return NULL;
    }
    if (want == TR_ENGINE_AGENT) {
        if (p->agent)
            return "agent";
        snprintf(res->error, sizeof res->error, "the agent engine is not available: no "
                                                "socketpair for its channel here");
        return NULL;
    }
    if (want == TR_ENGINE_PTRACE) {
        if (p->ptrace)
            return "ptrace";
        snprintf(res->error, sizeof res->error, "the ptrace engine is not available: ptrace "
                                                "is not permitted here");
        return NULL;
    }
    const char *e = tr_probe_engine(p, 1);
    if (!e)
        snprintf(res->error, sizeof res->error,
                 "no engine available: ptrace is not permitted here and valgrind was not found");
    return e;
}

/* Memcheck mode beside ptrace: requested and possible? Says why not. */
static int want_memcheck(const struct tr_request *r, const struct tr_probe *p,
                         struct tr_result *res)
{
    if (!r->memcheck)
        return 0;
    if (!p->valgrind)
        res->memcheck_note = "memcheck is not available here: valgrind was not found";
    return p->valgrind;
}

/* Remove what the run created outside its directory (after every process
   of it is gone), and say so on stderr: the front doors log it. */
static void sweep_created(struct tr_watch *w)
{
    char note[512];
    int left = 0;
    if (!w)
        return;
    int removed = tr_watch_close(w, &left, note, sizeof note);
    if (removed > 0)
        fprintf(stderr, "spp-trace: info: removed %d name(s) the run created outside its "
                "directory\n", removed);
    if (left > 0)
        fprintf(stderr, "spp-trace: warn: the run created %d name(s) outside its directory "
                "that are still there: %s\n", left, note);
}

static void note_sandbox(struct tr_result *res, const struct tr_sandbox *sb)
{
    res->sandbox.seccomp = sb->seccomp;
    res->sandbox.netns = sb->netns;
    res->sandbox.mountns = sb->mountns;
    res->sandbox.pidns = sb->pidns;
    res->sandbox.landlock = sb->landlock > 0;
    res->sandbox.uid = sb->uid ? (long)sb->uid : -1;
    res->sandbox.nproc = tr_sandbox_nproc(sb);
}

enum tr_err tr_run_result(const struct tr_request *r, const struct tr_run_opts *o,
                          struct tr_result **out)
{
    int64_t t0 = tr_now_ms();
    struct tr_result *res = calloc(1, sizeof *res);
    if (!res)
        return TR_ERR_NOMEM;
    res->trace = tr_trace_new(TRACE_ARENA_CAP);
    if (!res->trace) {
        free(res);
        return TR_ERR_NOMEM;
    }
    res->trace->code = tr_arena_strndup(res->trace->arena, r->code, r->code_len);
    res->response_cap = o && o->max_response && o->max_response < TR_LIMIT_TRACE_JSON
                            ? o->max_response
                            : TR_LIMIT_TRACE_JSON;

    struct tr_probe probe_here;
    const struct tr_probe *probe = o ? o->probe : NULL;
    if (!probe) {
        int ran;
        tr_probe_get(&probe_here, &ran);
        probe = &probe_here;
    }
    struct tr_sandbox sb;
    struct tr_jail *jail = NULL;
    struct tr_watch *watch = NULL;
    char err[TR_ERRBUF_LEN] = "";
    if (tr_sandbox_init(&sb, probe, err) != TR_OK) {
        snprintf(res->error, sizeof res->error, "cannot set up the sandbox: %s", err);
        goto done;
    }
    /* Confined runs still read what we link into and precompile for them. */
    char rt_dir[PATH_MAX] = "";
    const char *ro[4] = {NULL, NULL, NULL, NULL};
    size_t nro = 0;
    const char *rt_obj = tr_run_rt_obj();
    if (rt_obj && snprintf(rt_dir, sizeof rt_dir, "%s", rt_obj) < (int)sizeof rt_dir &&
        strrchr(rt_dir, '/')) {
        *strrchr(rt_dir, '/') = '\0';
        ro[nro++] = rt_dir;
    }
    if (tr_run_pch_dir())
        ro[nro++] = tr_run_pch_dir();
    /* The spill directory is ours, written by us: used only when the
       compiler runs as us and traced programs cannot write there (a PCH
       planted by one program would be compiled into the next ones). */
    const char *spill = !sb.uid && (sb.landlock || sb.mountns) ? tr_run_pch_spill_dir() : NULL;
    if (spill)
        ro[nro++] = spill;
    sb.landlock_ro = ro;
    note_sandbox(res, &sb);
    const char *engine = choose_engine(o, probe, res);
    if (!engine)
        goto done;
    int memcheck = want_memcheck(r, probe, res);
    if (tr_jail_open(&sb, &jail, err) != TR_OK) {
        snprintf(res->error, sizeof res->error, "cannot set up the sandbox: %s", err);
        goto done;
    }

    const char *root = o && o->work_root ? o->work_root : getenv("TMPDIR");
    if (!root || !*root)
        root = "/tmp";
    /* A run with a uid of its own must be able to reach its directory: a
       private TMPDIR (0700) is not searchable by it, /tmp (1777) is. */
    if (sb.uid && !searchable_by_others(root))
        root = "/tmp";
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" TR_RUN_DIR_PREFIX "XXXXXX", root);
    if (!mkdtemp(dir)) {
        snprintf(res->error, sizeof res->error, "cannot create a run directory: %s",
                 strerror(errno));
        goto done;
    }
    /* The run's uid owns its directory (and only it can enter: 0700), a
       size-limited tmpfs where the machine allows. */
    if (tr_jail_run_dir(jail, dir, sb.uid, sb.gid, err) != TR_OK) {
        snprintf(res->error, sizeof res->error, "%s", err);
        rmdir(dir);
        goto done;
    }
    /* Nothing confines where it writes: know what it creates elsewhere. */
    if (sb.shared_uid && !sb.mountns && !sb.landlock && probe->notify) {
        if (tr_watch_open(dir, &watch, err) != TR_OK) {
            snprintf(res->error, sizeof res->error, "cannot set up the sandbox: %s", err);
            rmdir(dir);
            goto done;
        }
        sb.watch = 1;
        sb.watch_sock = tr_watch_sock(watch);
        res->sandbox.watch = 1;
    }

    /* The compiler's uid reaches the runtime object and the PCHs wherever
       the installation lives; the program later sees neither. */
    struct tr_install inst;
    if (tr_install_expose(&inst, jail, &sb, dir, err) != TR_OK) {
        snprintf(res->error, sizeof res->error, "%s", err);
        res->sandbox.leftover = tr_jail_close(jail);
        jail = NULL;
        tr_sandbox_remove_tree(dir);
        goto done;
    }
    int64_t compile_deadline = 0;
    if (o && o->compile_wall_ms > 0 && o->compile_wall_ms < TR_LIMIT_COMPILE_WALL_MS)
        compile_deadline = tr_now_ms() + o->compile_wall_ms;
    struct tr_compile_opts co = {.run_dir = dir, .code = r->code, .code_len = r->code_len,
                                 .lang = r->lang, .rt_obj = inst.rt_obj,
                                 .pch_dir = inst.pch_dir[0] ? inst.pch_dir : NULL,
                                 .pch_origin = inst.pch_origin, .deadline_ms = compile_deadline,
                                 .pch_spill_dir = spill,
                                 .sandbox = &sb,
                                 /* both runs of memcheck mode count the same
                                    clock: the unstopped one is placed by it */
                                 .clock = memcheck && strcmp(engine, "valgrind") != 0 &&
                                          vg_mc_unstopped()};
    struct tr_compile_result cr;
    int64_t tc = tr_now_ms();
    enum tr_err rc = tr_compile(&co, &cr, err);
    tr_install_release(&inst, jail);
    res->ms_compile = (double)(tr_now_ms() - tc);
    if (rc != TR_OK) {
        snprintf(res->error, sizeof res->error, "%s", err);
    } else {
        res->cc_output = cr.diagnostics;
        res->cc_len = cr.diag_len;
        res->cc_truncated = cr.diag_truncated;
        cr.diagnostics = NULL;
        res->used_pch = cr.used_pch;
        res->compiled = cr.ok;
        if (!cr.ok) {
            res->trace->build_output = tr_arena_strndup(res->trace->arena, res->cc_output,
                                                        res->cc_len);
            compile_error_step(res->trace, &cr);
            res->ok = res->trace->nsteps == 1;
        } else {
            trace_program(r, o, res, dir, &cr, &sb, engine, memcheck);
            /* See++'s frontend shifts line fields only: messages in its terms
               (out of memory, some keep the received code's numbers) */
            if (tr_compile_has_shim(r->code, r->code_len))
                (void)run_editor_lines(res->trace);
        }
        tr_compile_result_free(&cr);
    }
    /* Nothing of the run may still write into the directory. */
    res->sandbox.leftover = tr_jail_close(jail);
    jail = NULL;
    sweep_created(watch);
    watch = NULL;
    tr_sandbox_remove_tree(dir);
done:
    tr_jail_close(jail);
    sweep_created(watch);
    tr_sandbox_free(&sb);
    res->ms_total = (double)(tr_now_ms() - t0);
    *out = res;
    return TR_OK;
}

enum tr_err tr_run(const struct tr_request *r, const struct tr_run_opts *o, char **response,
                   int *response_ok, int *normal_end)
{
    struct tr_result *res = NULL;
    enum tr_err rc = tr_run_result(r, o, &res);
    if (rc != TR_OK)
        return rc;
    size_t len;
    int cut = 0;
    *response = tr_enc_response(res, r, o ? o->cache_key : NULL, &len, &cut);
    *response_ok = res->ok;
    *normal_end = tr_result_cacheable(res) && !cut;
    tr_result_free(res);
    return *response ? TR_OK : TR_ERR_NOMEM;
}
