/*
 * run.c - one request from source text to a trace (see run.h).
 *
 * Owns the run directory: a fresh 0700 directory per run, holding the
 * source, the program, its stdin/stdout/stderr files; removed at the end
 * whatever happened, including anything the program created in it.
 */
#define _XOPEN_SOURCE 700
#include "tracer/run.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dwarf/dw_index.h"
#include "tracer/compile.h"
#include "tracer/sandbox.h"
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
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
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

/* ---- run directory ------------------------------------------------------ */

static int make_writable(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)f;
    if (type == FTW_D || type == FTW_DNR)
        chmod(path, (st->st_mode & 07777) | S_IRWXU);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    (void)f;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    /* first make every directory listable (the program may chmod 000) */
    nftw(dir, make_writable, 16, FTW_PHYS | FTW_MOUNT);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
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

/* ---- results ------------------------------------------------------------ */

void tr_result_free(struct tr_result *res)
{
    if (!res)
        return;
    tr_trace_free(res->trace);
    dw_index_close(res->index);
    free(res->cc_output);
    free(res);
}

int tr_result_cacheable(const struct tr_result *res)
{
    return res && res->ok && res->trace &&
           (res->trace->outcome == TR_OUT_OK || res->trace->outcome == TR_OUT_COMPILE_ERROR);
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

/* Trace the built program with the engine chosen. */
static void trace_program(const struct tr_request *r, const struct tr_run_opts *o,
                          struct tr_result *res, const char *dir,
                          const struct tr_compile_result *cr)
{
    struct tr_trace *tr = res->trace;
    struct dw_index *ix = NULL;
    struct tr_target *t = NULL;
    char err[DWX_ERRBUF_LEN > TR_ERRBUF_LEN ? DWX_ERRBUF_LEN : TR_ERRBUF_LEN] = "";
    char in_path[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];

    if (dw_index_open(cr->exe, cr->src_name, &ix, err, sizeof err) != DWX_OK) {
        snprintf(res->error, sizeof res->error, "cannot read the program's debug info: %s", err);
        return;
    }
    if (join(in_path, sizeof in_path, dir, "stdin.txt") ||
        join(out_path, sizeof out_path, dir, "stdout.txt") ||
        join(err_path, sizeof err_path, dir, "stderr.txt") ||
        (r->stdin_data && write_all(in_path, r->stdin_data, r->stdin_len) != 0)) {
        snprintf(res->error, sizeof res->error, "cannot write the program's input");
        goto out;
    }
    struct tr_limits lim;
    tr_limits_default(&lim);
    if (r->timeout_ms > 0 && r->timeout_ms < lim.wall_ms)
        lim.wall_ms = r->timeout_ms;
    struct tr_launch l = {.exe = cr->exe, .run_dir = dir,
                          .stdin_path = r->stdin_data ? in_path : "/dev/null",
                          .stdout_path = out_path, .stderr_path = err_path, .limits = &lim};
    int64_t t0 = tr_now_ms();
    if (tr_ptrace_open(&l, &t, err) != TR_OK) {
        snprintf(res->error, sizeof res->error, "cannot start the program: %s", err);
        goto out;
    }
    res->engine = "ptrace";
    tr->engine = res->engine;
    struct tr_step_cfg cfg = {.max_steps = r->max_steps,
                              .deadline_ms = t0 + lim.wall_ms,
                              .stdout_path = out_path,
                              .stderr_path = err_path,
                              .output_cap = TR_LIMIT_OUTPUT,
                              .trace_cap = TRACE_ARENA_CAP / 2,
                              .wall_limit_s = (int)(lim.wall_ms / 1000)};
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
    res->index = ix; /* the trace borrows its names */
    (void)o;
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

    const char *root = o && o->work_root ? o->work_root : getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/spp-run-XXXXXX", root && *root ? root : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(res->error, sizeof res->error, "cannot create a run directory: %s",
                 strerror(errno));
        *out = res;
        return TR_OK;
    }

    struct tr_compile_opts co = {.run_dir = dir, .code = r->code, .code_len = r->code_len,
                                 .lang = r->lang, .rt_obj = tr_run_rt_obj(),
                                 .pch_dir = tr_run_pch_dir()};
    struct tr_compile_result cr;
    char err[TR_ERRBUF_LEN] = "";
    int64_t tc = tr_now_ms();
    enum tr_err rc = tr_compile(&co, &cr, err);
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
            trace_program(r, o, res, dir, &cr);
        }
        tr_compile_result_free(&cr);
    }
    remove_tree(dir);
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
    *response = tr_enc_response(res, r, o ? o->cache_key : NULL, &len);
    *response_ok = res->ok;
    *normal_end = tr_result_cacheable(res);
    tr_result_free(res);
    return *response ? TR_OK : TR_ERR_NOMEM;
}
