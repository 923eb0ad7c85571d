/*
 * handler.c - request body -> (HTTP status, response JSON), shared by
 * `spp-trace serve`, the Lambda runtime and anything else that fronts the
 * tracer.
 *
 * Key idea: the tracer runs as a separate process (posix_spawn, no shell)
 * so a crash, a hang or a memory blow-up in tracing costs one request, not
 * the server. Its contract (cmd/cli.c): request JSON on stdin, response
 * JSON on stdout whose first key is "cached":false, exit status 0 cacheable,
 * 3 not cacheable, 2 bad request, 1 internal failure. A cache hit is served
 * by rewriting that prefix to {"cached":true, without parsing megabytes.
 *
 * Caveat: time. The caller's deadline is turned into a lower "timeoutMs" in
 * the request the tracer sees (so it answers with what it traced) and into
 * a kill time for the tracer's session (so the caller still answers when
 * the tracer does not). The cache key is computed from the request as
 * the client sent it: a run that ended normally under a lower limit is the
 * same result it would have been under the default one.
 *
 * One file (past 800 lines): the tracer's process, its pipes, its kill
 * time and the cache lookups and stores around it (a store may be held
 * until the reply is sent) are one request's life; the events, the cache
 * and the reaper are apart (events.c, cache.c, reaper.c).
 */
#include "lambda/handler.h"
#include "lambda/reaper.h"
#include "lambda/buf_int.h"
#include "lambda/cache.h"
#include "lambda/gzip.h"
#include "lambda/sigv4.h"
#include "lambda/s3.h"
#include "tracer/clock.h"
#include "tracer/proc.h"
#include "tracer/request.h"
#include "tracer/sandbox.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CACHED_FALSE "{\"cached\":false"
#define CACHED_TRUE  "{\"cached\":true"

struct lam_handler {
    char *tracer_path;
    char **tracer_env;    /* NULL-terminated, owned */
    int64_t wall_ms;
    struct lam_cache *local;     /* directory tier; NULL: no cache */
    struct lam_s3_config *s3cfg; /* owned; NULL: no S3 tier */
    struct lam_cache *remote;    /* S3 tier */
    lam_log_fn log;
    void *log_ctx;
    struct lam_reaper *reaper;   /* borrowed; NULL: none */
    int defer;                   /* lam_handler_defer_stores */
    struct held {                /* a store held back; data NULL: none */
        char key[LAM_CACHE_KEY_LEN + 1];
        enum lam_cache_enc enc;
        char *data;
        size_t len;
    } held;
};

/* ---- small helpers ----------------------------------------------------- */

static void logf_(const struct lam_handler *h, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(const struct lam_handler *h, const char *level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!h->log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->log(h->log_ctx, level, msg);
}

static int64_t epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *lam_error_json(const char *msg, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL, *copy = NULL;
    if (o && cJSON_AddFalseToObject(o, "success") &&
        cJSON_AddStringToObject(o, "error", msg ? msg : "unknown error"))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return NULL;
    copy = strdup(text); /* the caller frees with free() whatever cJSON's hooks */
    cJSON_free(text);
    if (copy && len)
        *len = strlen(copy);
    return copy;
}

void lam_reply_free(struct lam_reply *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static enum lam_err reply_error(struct lam_reply *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum lam_err reply_error(struct lam_reply *out, int status, const char *fmt, ...)
{
    char msg[LAM_ERRBUF_LEN + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = 0;
    char *body = lam_error_json(msg, &n);
    if (!body)
        return LAM_ERR_NOMEM;
    out->status = status;
    out->body = body;
    out->len = n;
    return LAM_OK;
}

/* ---- the result cache ---------------------------------------------------- */

/* Two tiers: the local directory (fast, per machine or per warm Lambda
   environment) and, when configured, S3 (shared). A hit in S3 is copied to
   the local tier. Every cache failure is logged and is a miss. */
static enum lam_err cache_open_all(struct lam_handler *h, const struct lam_handler_config *c,
                                   char *errbuf)
{
    struct lam_cache_config lc = {.dir = c->cache_dir, .s3 = NULL};
    unsigned char seal[LAM_CACHE_SEAL_KEY_LEN];
    if (c->seal_cache) {
        /* programs run with our uid and could read or plant entries:
           encrypt and authenticate ours under a key that lives only in
           this process's memory */
        if (getrandom(seal, sizeof seal, 0) != (ssize_t)sizeof seal)
            return lam_err_set(errbuf, LAM_ERR_SYS, "getrandom: %s", strerror(errno));
        lc.seal_key = seal;
    }
    enum lam_err rc = lam_cache_open(&lc, &h->local, errbuf);
    explicit_bzero(seal, sizeof seal);
    if (rc != LAM_OK || !c->s3_bucket)
        return rc;
    struct lam_s3_params p = {
        .bucket = c->s3_bucket,
        .region = c->s3_region,
        .access_key_id = c->aws_access_key_id,
        .secret_access_key = c->aws_secret_access_key,
        .session_token = c->aws_session_token,
        .endpoint_url = c->s3_endpoint,
    };
    if ((rc = lam_s3_config_new(&p, &h->s3cfg, errbuf)) != LAM_OK)
        return rc;
    struct lam_cache_config rcfg = {.dir = NULL, .s3 = h->s3cfg};
    return lam_cache_open(&rcfg, &h->remote, errbuf);
}

/* Serve a cached response: {"cached":false... becomes {"cached":true...
   (in a gzip entry, its marked first block: no recompression). Anything
   else stored under the key is not ours and is a miss. Takes data on
   success. */
static int serve_hit(char *data, size_t len, enum lam_cache_enc enc, struct lam_reply *out)
{
    size_t f = sizeof CACHED_FALSE - 1, t = sizeof CACHED_TRUE - 1;
    if (enc == LAM_CACHE_GZIP) {
        if (lam_gzip_remark((unsigned char *)data, &len, CACHED_FALSE, CACHED_TRUE) != 0)
            return 0;
        out->body = data;
        out->len = len;
        out->gzip = 1;
        out->status = 200;
        out->cached = 1;
        out->tracer_exit = -1;
        return 1;
    }
    if (len < f || memcmp(data, CACHED_FALSE, f) != 0)
        return 0;
    memcpy(data + f - t, CACHED_TRUE, t);
    memmove(data, data + f - t, len - (f - t));
    out->len = len - (f - t);
    data[out->len] = '\0';
    out->body = data;
    out->status = 200;
    out->cached = 1;
    out->tracer_exit = -1;
    return 1;
}

/* One tier's lookup: 1 and *out filled on a usable hit, else 0. *raw keeps
   the entry as stored (for copying to the local tier) when asked. */
static int tier_get(const struct lam_handler *h, struct lam_cache *c, const char *tier,
                    const char *key, enum lam_cache_enc enc, struct lam_reply *out, char **raw,
                    size_t *raw_len)
{
    char err[LAM_ERRBUF_LEN] = "";
    char *body = NULL;
    size_t len = 0;
    enum lam_err rc = lam_cache_get_enc(c, key, enc, &body, &len, err);
    if (rc != LAM_OK) {
        logf_(h, "warn", "%s cache: %s (a miss): %s", tier, lam_strerror(rc), err);
        return 0;
    }
    if (!body)
        return 0;
    if (raw && (*raw = malloc(len + 1)) != NULL) {
        memcpy(*raw, body, len + 1);
        *raw_len = len;
    }
    if (!serve_hit(body, len, enc, out)) {
        logf_(h, "warn", "%s cache: entry %.12s... is not a tracer response (a miss)", tier, key);
        free(body);
        if (raw) {
            free(*raw);
            *raw = NULL;
        }
        return 0;
    }
    return 1;
}

static int cache_lookup(const struct lam_handler *h, const char *key, enum lam_cache_enc enc,
                        struct lam_reply *out)
{
    char err[LAM_ERRBUF_LEN] = "";
    char *raw = NULL;
    size_t raw_len = 0;
    if (h->local && tier_get(h, h->local, "local", key, enc, out, NULL, NULL))
        return 1;
    if (!h->remote ||
        !tier_get(h, h->remote, "s3", key, enc, out, h->local ? &raw : NULL, &raw_len))
        return 0;
    if (raw) {
        enum lam_err rc = lam_cache_put_enc(h->local, key, enc, raw, raw_len, err);
        if (rc != LAM_OK)
            logf_(h, "warn", "local cache: %s: %s", lam_strerror(rc), err);
        free(raw);
    }
    return 1;
}

static void cache_store(const struct lam_handler *h, const char *key, enum lam_cache_enc enc,
                        const char *data, size_t len)
{
    char err[LAM_ERRBUF_LEN] = "";
    struct lam_cache *tiers[2] = {h->local, h->remote};
    static const char *const names[2] = {"local", "s3"};
    for (int i = 0; i < 2; i++) {
        if (!tiers[i])
            continue;
        enum lam_err rc = lam_cache_put_enc(tiers[i], key, enc, data, len, err);
        if (rc != LAM_OK)
            logf_(h, "warn", "%s cache: store failed: %s: %s", names[i], lam_strerror(rc), err);
    }
}

/* ---- responses too large to send: an object of their own ---------------- */

void lam_handler_defer_stores(struct lam_handler *h, int on)
{
    if (!on)
        lam_handler_flush(h);
    h->defer = on;
}

void lam_handler_flush(struct lam_handler *h)
{
    if (!h || !h->held.data)
        return;
    int64_t t0 = tr_now_ms();
    cache_store(h, h->held.key, h->held.enc, h->held.data, h->held.len);
    logf_(h, "info", "cache store after the reply: %lld ms", (long long)(tr_now_ms() - t0));
    free(h->held.data);
    h->held.data = NULL;
}

/* Store now, or hold a copy for lam_handler_flush. Returns what the log
   says about it. */
static const char *store_or_hold(struct lam_handler *h, const char *key,
                                 enum lam_cache_enc enc, const char *data, size_t len)
{
    char *copy = h->defer ? malloc(len ? len : 1) : NULL;
    if (!copy) {
        cache_store(h, key, enc, data, len);
        return "stored";
    }
    lam_handler_flush(h);
    memcpy(copy, data, len);
    snprintf(h->held.key, sizeof h->held.key, "%s", key);
    h->held.enc = enc;
    h->held.data = copy;
    h->held.len = len;
    return "held until the reply is sent";
}

int lam_handler_has_bucket(const struct lam_handler *h)
{
    return h->remote != NULL;
}

enum lam_err lam_handler_publish(struct lam_handler *h, const char *key,
                                 const unsigned char *gz, size_t n, long expires_s, char *url,
                                 size_t cap, char *errbuf)
{
    char text[LAM_CACHE_KEY_LEN + 32], name[LAM_CACHE_KEY_LEN + 1];
    char object[LAM_CACHE_S3_KEY_LEN + 1];
    if (!h->remote)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "no bucket configured");
    /* Its own name: an uncacheable run (a time limit) must never turn
       into a cache entry a lookup could serve. */
    int tn = snprintf(text, sizeof text, "%.64s\nresponse object", key);
    enum lam_err rc = lam_sigv4_sha256_hex(text, (size_t)tn, name);
    if (rc != LAM_OK ||
        (rc = lam_cache_put_enc(h->remote, name, LAM_CACHE_GZIP, (const char *)gz, n,
                                errbuf)) != LAM_OK)
        return rc;
    lam_cache_s3_key(name, object);
    return lam_s3_presign_get(h->s3cfg, object, expires_s, time(NULL), url, cap, errbuf);
}

/* ---- open / close ------------------------------------------------------ */

static char **copy_env(const char *const *env)
{
    size_t n = 0;
    while (env && env[n])
        n++;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] = strdup(env[i]))) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return NULL;
        }
    }
    return v;
}

enum lam_err lam_handler_open(const struct lam_handler_config *c, struct lam_handler **out,
                              char *errbuf)
{
    struct lam_handler *h;
    enum lam_err rc;

    if (!c->tracer_path || !*c->tracer_path)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "no tracer executable configured");
    if (access(c->tracer_path, X_OK) != 0)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "the tracer %s is not executable: %s",
                           c->tracer_path, strerror(errno));
    if (!(h = calloc(1, sizeof *h)))
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    h->wall_ms = c->wall_ms > 0 ? c->wall_ms : LAM_TRACER_WALL_MS;
    h->log = c->log;
    h->log_ctx = c->log_ctx;
    h->reaper = c->reaper;
    if (!(h->tracer_path = strdup(c->tracer_path)) ||
        !(h->tracer_env = copy_env(c->tracer_env))) {
        rc = lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!c->no_cache && (rc = cache_open_all(h, c, errbuf)) != LAM_OK)
        goto fail;
    *out = h;
    return LAM_OK;
fail:
    lam_handler_close(h);
    return rc;
}

void lam_handler_close(struct lam_handler *h)
{
    if (!h)
        return;
    lam_handler_flush(h);
    lam_cache_close(h->remote);
    lam_cache_close(h->local);
    lam_s3_config_free(h->s3cfg);
    for (size_t i = 0; h->tracer_env && h->tracer_env[i]; i++)
        free(h->tracer_env[i]);
    free(h->tracer_env);
    free(h->tracer_path);
    free(h);
}

/* ---- running the tracer ------------------------------------------------ */

enum run_end { RUN_EXITED, RUN_TIMEOUT, RUN_CANCELLED, RUN_TOO_BIG };

struct run {
    struct lam_buf out, err;
    enum run_end end;
    int status;         /* waitpid status when RUN_EXITED */
    int swept;          /* processes of its session killed after it ended */
    int64_t ms;
};

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int cancelled(const int *cancel)
{
    return cancel && __atomic_load_n(cancel, __ATOMIC_ACQUIRE) != 0;
}

/* SIGKILL every process of session sid but its leader (the tracer, which
   the caller reaps). A few rounds: a process may fork while /proc is read,
   and a killed one cannot fork again. Returns how many were signalled. */
struct session_sweep {
    pid_t sid;
    int n; /* signalled this round */
};

static int kill_in_session(pid_t p, void *ctx)
{
    struct session_sweep *w = ctx;
    struct tr_proc_stat ps;
    if (p != w->sid && tr_proc_stat(p, &ps) == 0 && ps.session == w->sid && ps.state != 'Z' &&
        kill(p, SIGKILL) == 0)
        w->n++;
    return 0;
}

static int sweep_session(pid_t sid)
{
    int total = 0;
    for (int round = 0; round < 4; round++) {
        struct session_sweep w = {sid, 0};
        tr_proc_each_pid(kill_in_session, &w);
        total += w.n;
        if (w.n == 0)
            break;
    }
    return total;
}

/* How long a killed tracer's jail gets to clean up: well inside the reply
   margin (LAM_REPLY_MARGIN_MS), and its init needs an umount and an rmdir. */
#define JAIL_CLEANUP_MS 200

struct session_count {
    pid_t sid;
    int n;
};

static int count_in_session(pid_t p, void *ctx)
{
    struct session_count *c = ctx;
    struct tr_proc_stat ps;
    if (p != c->sid && tr_proc_stat(p, &ps) == 0 && ps.session == c->sid && ps.state != 'Z')
        c->n++;
    return 0;
}

/* SIGKILL the tracer alone, then wait (bounded) for the rest of its session
   to end by itself: the run's pid-namespace init, seeing the tracer gone,
   unmounts and removes the run directory and exits, which ends everything
   in the namespace. Killing the whole session at once killed that init
   first and left an empty run directory behind in /tmp. */
static void let_jail_clean_up(pid_t pid)
{
    if (kill(pid, SIGKILL) != 0)
        return;
    int64_t until = tr_now_ms() + JAIL_CLEANUP_MS;
    for (;;) {
        struct session_count c = {pid, 0};
        tr_proc_each_pid(count_in_session, &c);
        if (c.n == 0 || tr_now_ms() >= until)
            return;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Has pid exited? Leaves it a zombie so its process group id stays ours
   until we kill the group and reap it. */
static int exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Feed `in` to the child's stdin and collect stdout/stderr until both close
   and the child exits, the wall-clock limit passes, the cancel flag is set
   or stdout overflows. Always kills the process group and reaps the child. */
static void pump(pid_t pid, int fd_in, int fd_out, int fd_err, const char *in, size_t in_len,
                 int64_t kill_at, const int *cancel, struct run *r)
{
    size_t in_off = 0;
    int64_t exit_seen = -1;
    char buf[64 << 10];

    if (in_len == 0) {
        close(fd_in);
        fd_in = -1;
    }
    r->end = RUN_EXITED;
    while (fd_out >= 0 || fd_err >= 0 || fd_in >= 0) {
        int64_t now = tr_now_ms();
        if (cancelled(cancel)) {
            r->end = RUN_CANCELLED;
            break;
        }
        if (now >= kill_at) {
            r->end = RUN_TIMEOUT;
            break;
        }
        /* The child exited but something it left holds a pipe open: take
           what is readable for a moment, then stop waiting for EOF. */
        if (exit_seen < 0 && exited(pid))
            exit_seen = now;
        if (exit_seen >= 0 && now - exit_seen > 200)
            break;

        struct pollfd p[3];
        int n = 0, i_in = -1, i_out = -1, i_err = -1;
        if (fd_in >= 0)
            i_in = n, p[n++] = (struct pollfd){.fd = fd_in, .events = POLLOUT};
        if (fd_out >= 0)
            i_out = n, p[n++] = (struct pollfd){.fd = fd_out, .events = POLLIN};
        if (fd_err >= 0)
            i_err = n, p[n++] = (struct pollfd){.fd = fd_err, .events = POLLIN};
        int64_t wait = kill_at - now;
        if (wait > 100)
            wait = 100;
        int k = poll(p, (nfds_t)n, (int)wait);
        if (k < 0 && errno != EINTR)
            break;
        if (k <= 0)
            continue;

        if (i_in >= 0 && p[i_in].revents) {
            if (p[i_in].revents & (POLLERR | POLLHUP)) {
                close(fd_in); /* it will not read the rest: its answer says why */
                fd_in = -1;
            } else {
                size_t chunk = in_len - in_off < sizeof buf ? in_len - in_off : sizeof buf;
                ssize_t w = write(fd_in, in + in_off, chunk);
                if (w > 0)
                    in_off += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len) {
                    close(fd_in);
                    fd_in = -1;
                }
            }
        }
        int *fds[2] = {&fd_out, &fd_err};
        int idx[2] = {i_out, i_err};
        struct lam_buf *bufs[2] = {&r->out, &r->err};
        for (int j = 0; j < 2; j++) {
            if (idx[j] < 0 || !p[idx[j]].revents)
                continue;
            ssize_t got = read(*fds[j], buf, sizeof buf);
            if (got > 0) {
                if (lam_buf_append(bufs[j], buf, (size_t)got) != 0) {
                    r->end = RUN_TOO_BIG; /* out of memory: treat as too big */
                    goto kill;
                }
                if (j == 0 && r->out.over) {
                    r->end = RUN_TOO_BIG;
                    goto kill;
                }
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(*fds[j]);
                *fds[j] = -1;
            }
        }
    }
    /* Pipes are closed: the child normally exits at once. */
    while (r->end == RUN_EXITED && !exited(pid)) {
        if (tr_now_ms() >= kill_at) {
            r->end = RUN_TIMEOUT;
            break;
        }
        if (cancelled(cancel)) {
            r->end = RUN_CANCELLED;
            break;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
kill:
    /* The child is a zombie or still running: either way its pid (= its
       session and group id) is not reused yet, so this reaches only what
       it started - including the compiler and the traced program, which
       it puts in process groups of their own. */
    if (r->end != RUN_EXITED)
        let_jail_clean_up(pid);
    kill(-pid, SIGKILL);
    r->swept = sweep_session(pid);
    while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
        ;
    if (fd_in >= 0)
        close(fd_in);
    if (fd_out >= 0)
        close(fd_out);
    if (fd_err >= 0)
        close(fd_err);
}

/* Spawn the tracer on `in` and run it to the end (see pump). */
#define MAX_RESPONSE_VAR "SPP_MAX_RESPONSE_BYTES="

/* The tracer's environment for one run: the configured one, with the
   response cap replaced when the run asks for its own (malloc'd array of
   borrowed strings but the last, which lives in num). */
static char **run_env(const struct lam_handler *h, size_t max_response, char *num, size_t cap)
{
    size_t n = 0, k = 0;
    while (h->tracer_env[n])
        n++;
    char **v = malloc((n + 2) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!max_response ||
            strncmp(h->tracer_env[i], MAX_RESPONSE_VAR, sizeof MAX_RESPONSE_VAR - 1) != 0)
            v[k++] = h->tracer_env[i];
    if (max_response) {
        snprintf(num, cap, MAX_RESPONSE_VAR "%zu", max_response);
        v[k++] = num;
    }
    v[k] = NULL;
    return v;
}

static enum lam_err run_tracer(const struct lam_handler *h, const char *key, const char *in,
                               size_t in_len, size_t max_response, int64_t kill_at,
                               const int *cancel, struct run *r, char *errbuf)
{
    char num[64];
    char **env = NULL;
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    pid_t pid;
    enum lam_err rc = LAM_ERR_SYS;
    int fa_ok = 0, at_ok = 0, e;
    const char *argv[] = {h->tracer_path, "--request", "-", "--no-cache",
                          key ? "--cache-key" : NULL, key, NULL};

    memset(r, 0, sizeof *r);
    if (!(env = run_env(h, max_response, num, sizeof num)))
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    r->out.limit = LAM_STDOUT_CAP;
    r->err.limit = LAM_STDERR_CAP;
    /* O_CLOEXEC: a concurrent spawn in another thread must not inherit
       these; dup2 in the file actions clears it on the child's 0/1/2. */
    if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
        lam_err_set(errbuf, rc, "pipe: %s", strerror(errno));
        goto out;
    }
    if ((e = posix_spawn_file_actions_init(&fa)) != 0 || !(fa_ok = 1) ||
        (e = posix_spawnattr_init(&at)) != 0) {
        lam_err_set(errbuf, rc, "posix_spawn set-up: %s", strerror(e));
        goto out;
    }
    at_ok = 1;
    sigemptyset(&none);
    sigfillset(&all);
    if (posix_spawn_file_actions_adddup2(&fa, pin[0], 0) ||
        posix_spawn_file_actions_adddup2(&fa, pout[1], 1) ||
        posix_spawn_file_actions_adddup2(&fa, perr[1], 2) ||
        posix_spawn_file_actions_addclosefrom_np(&fa, 3) ||
        /* A session of its own: everything it starts can be found and
           killed afterwards, whatever process groups it makes. */
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                          POSIX_SPAWN_SETSIGDEF) ||
        posix_spawnattr_setsigmask(&at, &none) ||
        posix_spawnattr_setsigdefault(&at, &all)) {
        lam_err_set(errbuf, rc, "posix_spawn attributes could not be set");
        goto out;
    }
    int64_t t0 = tr_now_ms();
    /* Owned before any sweep can see it (reaper.h). */
    if (h->reaper)
        lam_reaper_lock(h->reaper);
    e = posix_spawn(&pid, h->tracer_path, &fa, &at, (char *const *)argv, env);
    if (h->reaper) {
        lam_reaper_own(h->reaper, e == 0 ? pid : 0);
        lam_reaper_unlock(h->reaper);
    }
    if (e != 0) {
        lam_err_set(errbuf, rc, "the tracer %s could not be started: %s", h->tracer_path,
                    strerror(e));
        goto out;
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    pin[0] = pout[1] = perr[1] = -1;
    set_nonblock(pin[1]);
    set_nonblock(pout[0]);
    set_nonblock(perr[0]);
    pump(pid, pin[1], pout[0], perr[0], in, in_len, kill_at, cancel, r);
    pin[1] = pout[0] = perr[0] = -1; /* closed by pump */
    if (h->reaper) {
        /* reaped by pump: what is left of the run is an orphan now */
        lam_reaper_disown(h->reaper, pid);
        int n = lam_reaper_sweep(h->reaper);
        if (n > 0)
            r->swept += n;
    }
    r->ms = tr_now_ms() - t0;
    rc = LAM_OK;
out:
    free(env);
    if (at_ok)
        posix_spawnattr_destroy(&at);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (pin[i] >= 0)
            close(pin[i]);
        if (pout[i] >= 0)
            close(pout[i]);
        if (perr[i] >= 0)
            close(perr[i]);
    }
    if (rc != LAM_OK) {
        lam_buf_free(&r->out);
        lam_buf_free(&r->err);
        memset(r, 0, sizeof *r);
    }
    return rc;
}

/* The last non-empty line of the tracer's stderr, for a 500's message. */
static void last_line(const struct lam_buf *b, char *dst, size_t n)
{
    size_t end = b->len;
    dst[0] = '\0';
    while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start > 0 && b->data[start - 1] != '\n')
        start--;
    size_t k = end - start < n - 1 ? end - start : n - 1;
    memcpy(dst, b->data + start, k);
    dst[k] = '\0';
}

/* Log the tracer's stderr line by line (it is our own diagnostics, never
   the request). */
static void log_stderr(const struct lam_handler *h, const struct lam_buf *b)
{
    size_t i = 0;
    while (i < b->len) {
        size_t j = i;
        while (j < b->len && b->data[j] != '\n')
            j++;
        if (j > i)
            logf_(h, "warn", "tracer: %.*s", (int)(j - i > 400 ? 400 : j - i), b->data + i);
        i = j + 1;
    }
}

/* ---- the request ------------------------------------------------------- */

/* What a budget keeps for compiling and for encoding after the program's
   time limit fires: a quarter each, at most LAM_TRACER_COMPILE_MS and
   LAM_TRACER_FINISH_MS. */
static int64_t tracer_overhead_ms(int64_t budget)
{
    int64_t q = budget / 4;
    return (q < LAM_TRACER_COMPILE_MS ? q : LAM_TRACER_COMPILE_MS) +
           (q < LAM_TRACER_FINISH_MS ? q : LAM_TRACER_FINISH_MS);
}

/* The body with "timeoutMs" set to ms (malloc'd into *out, free()). */
static enum lam_err with_timeout(const char *body, size_t len, int ms, char **out, size_t *n)
{
    cJSON *o = cJSON_ParseWithLength(body, len);
    char *text = NULL;
    enum lam_err rc = LAM_ERR_NOMEM;
    if (!o)
        return LAM_ERR_NOMEM; /* it parsed once already: only memory can fail */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "timeoutMs");
    if (cJSON_AddNumberToObject(o, "timeoutMs", ms) && (text = cJSON_PrintUnformatted(o))) {
        *n = strlen(text);
        if ((*out = strdup(text)) != NULL)
            rc = LAM_OK;
        cJSON_free(text);
    }
    cJSON_Delete(o);
    return rc;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    default: return "a signal";
    }
}

/* Turn a finished tracer run into the reply (takes r->out.data when used). */
static enum lam_err reply_from_run(struct lam_handler *h, struct run *r,
                                   const char *key, int gzip, struct lam_reply *out)
{
    char line[200];
    out->tracer_exit = -1;
    switch (r->end) {
    case RUN_TIMEOUT:
        logf_(h, "warn", "tracer killed after %lld ms (time limit)", (long long)r->ms);
        log_stderr(h, &r->err);
        return reply_error(out, 504,
                           "the trace did not finish in time (%lld ms); try a smaller program "
                           "or a lower maxSteps",
                           (long long)r->ms);
    case RUN_CANCELLED:
        return reply_error(out, 503, "the server is shutting down; retry the request");
    case RUN_TOO_BIG:
        log_stderr(h, &r->err);
        return reply_error(out, 500, "the response exceeded %u MiB; try a lower maxSteps",
                           LAM_STDOUT_CAP >> 20);
    case RUN_EXITED:
        break;
    }
    if (r->swept)
        logf_(h, "warn", "the tracer left %d process(es) running; killed", r->swept);
    if (WIFSIGNALED(r->status)) {
        log_stderr(h, &r->err);
        return reply_error(out, 500, "internal error: the tracer was killed by %s",
                           signal_name(WTERMSIG(r->status)));
    }
    int code = WEXITSTATUS(r->status);
    out->tracer_exit = code;
    int looks_json = r->out.len > 0 && r->out.data[0] == '{';
    if ((code == 0 || code == 3) && looks_json) {
        int ours = r->out.len >= sizeof CACHED_FALSE - 1 &&
                   memcmp(r->out.data, CACHED_FALSE, sizeof CACHED_FALSE - 1) == 0;
        unsigned char *gz = NULL;
        size_t gz_len = 0;
        /* compressed once: what is sent is what is stored */
        if (gzip && ours &&
            !(gz = lam_gzip_marked(r->out.data, r->out.len, sizeof CACHED_FALSE - 1, &gz_len)))
            logf_(h, "warn", "gzip failed (out of memory?); the reply is plain JSON");
        int64_t t_store = tr_now_ms();
        const char *stored = "none";
        if (code == 0 && h->local && key) {
            if (!ours)
                logf_(h, "warn", "tracer response does not start with %s; not cached",
                      CACHED_FALSE);
            else if (gz)
                stored = store_or_hold(h, key, LAM_CACHE_GZIP, (const char *)gz, gz_len);
            else if (!gzip)
                stored = store_or_hold(h, key, LAM_CACHE_JSON, r->out.data, r->out.len);
        }
        /* where a request's time goes (bench/served.py reads it) */
        logf_(h, "info", "tracer ran %lld ms (exit %d, %zu bytes%s); cache store %lld ms (%s)",
              (long long)r->ms, code, r->out.len, gz ? ", gzip'ed" : "",
              (long long)(tr_now_ms() - t_store), stored);
        out->status = 200;
        if (gz) {
            out->body = (char *)gz;
            out->len = gz_len;
            out->gzip = 1;
        } else {
            out->body = r->out.data;
            out->len = r->out.len;
            r->out.data = NULL;
        }
        return LAM_OK;
    }
    if (code == 2) {
        if (looks_json) {
            out->status = 400;
            out->body = r->out.data;
            out->len = r->out.len;
            r->out.data = NULL;
            return LAM_OK;
        }
        return reply_error(out, 400, "bad request");
    }
    log_stderr(h, &r->err);
    last_line(&r->err, line, sizeof line);
    if (code == 127 && !looks_json)
        return reply_error(out, 500, "internal error: the tracer could not be executed%s%s",
                           line[0] ? ": " : "", line);
    return reply_error(out, 500, "internal error: the tracer failed (exit %d)%s%s", code,
                       line[0] ? ": " : "", line);
}

enum lam_err lam_handler_run(struct lam_handler *h, const char *body, size_t len,
                             const struct lam_run_opts *o, struct lam_reply *out)
{
    struct tr_request req;
    char errbuf[LAM_ERRBUF_LEN > TR_ERRBUF_LEN ? LAM_ERRBUF_LEN : TR_ERRBUF_LEN];
    char key[LAM_CACHE_KEY_LEN + 1];
    int have_key = 0;
    struct lam_reply r;
    enum lam_err rc;
    char *edited = NULL;
    size_t edited_len = 0;
    struct run run;
    int64_t t0 = tr_now_ms();

    memset(&r, 0, sizeof r);
    memset(&run, 0, sizeof run);
    r.tracer_exit = -1;
    errbuf[0] = '\0';
    if (tr_request_parse(body, len, &req, errbuf) != TR_OK) {
        rc = reply_error(&r, 400, "%s", errbuf[0] ? errbuf : "bad request");
        goto done;
    }

    /* The key is echoed by the tracer as "cacheKey" even without a cache:
       the request's, varied by how this run answers (cap, encoding). */
    size_t max_response = o ? o->max_response : 0;
    int gzip = o && o->gzip;
    enum lam_cache_enc enc = gzip ? LAM_CACHE_GZIP : LAM_CACHE_JSON;
    have_key = lam_cache_key(&req, key) == LAM_OK &&
               lam_cache_key_variant(key, max_response, enc, key) == LAM_OK;
    if (have_key)
        memcpy(r.key, key, sizeof key);
    if (have_key && h->local) {
        if (cache_lookup(h, key, enc, &r)) {
            tr_request_free(&req);
            rc = LAM_OK;
            goto done;
        }
    }

    /* Time: the default wall limit, lowered to the caller's deadline. */
    int64_t budget = h->wall_ms;
    if (o && o->deadline_ms > 0) {
        int64_t left = o->deadline_ms - epoch_ms() - LAM_REPLY_MARGIN_MS;
        if (left < budget)
            budget = left;
    }
    if (budget < LAM_MIN_BUDGET_MS) {
        tr_request_free(&req);
        rc = reply_error(&r, 504, "not enough time left before the invocation's deadline "
                                  "(%lld ms) to run a trace",
                         (long long)(budget + LAM_REPLY_MARGIN_MS));
        goto done;
    }
    {
        /* Ask the tracer to stop its program early enough that compiling
           before and encoding after still fit: its "timeoutMs" limits the
           run only. With the default limits this asks for nothing. */
        int64_t t = budget - tracer_overhead_ms(budget);
        if (t < 1)
            t = 1;
        if (t < TR_LIMIT_WALL_MEMCHECK_MS && (req.timeout_ms == 0 || t < req.timeout_ms) &&
            with_timeout(body, len, (int)t, &edited, &edited_len) != LAM_OK) {
            tr_request_free(&req);
            rc = LAM_ERR_NOMEM;
            goto done;
        }
    }
    tr_request_free(&req);

    rc = run_tracer(h, have_key ? key : NULL, edited ? edited : body,
                    edited ? edited_len : len, max_response, t0 + budget, o ? o->cancel : NULL,
                    &run, errbuf);
    if (rc != LAM_OK) {
        logf_(h, "error", "%s", errbuf);
        rc = reply_error(&r, 500, "internal error: %s", errbuf);
        goto done;
    }
    rc = reply_from_run(h, &run, have_key ? key : NULL, gzip, &r);

done:
    free(edited);
    lam_buf_free(&run.out);
    lam_buf_free(&run.err);
    if (rc != LAM_OK) {
        lam_reply_free(&r);
        return rc;
    }
    *out = r;
    return LAM_OK;
}
