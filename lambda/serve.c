/*
 * serve.c - `spp-trace serve` on libmicrohttpd.
 *
 * One MHD thread per connection, so a request may block in the handler;
 * concurrency is bounded by a fixed set of worker slots, each with its own
 * handler (and so its own cache connection). A POST /run that finds no free
 * slot is answered 503 at once: the client retries, the server never queues
 * unbounded work. The body is capped before it is read (Content-Length) and
 * while it is read (chunked uploads). POST /api/run is See++'s frontend API
 * on the same handler (seepp_api.h).
 */
#include "lambda/serve.h"
#include "lambda/buf_int.h"
#include "lambda/config.h"
#include "lambda/gzip.h"
#include "lambda/handler.h"
#include "lambda/reaper.h"
#include "lambda/seepp_api.h"
#include "tracer/clock.h"
#include "tracer/probe.h"
#include "tracer/request.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (TR_CODE_MAX + TR_STDIN_MAX + 4096u) /* tr_request_parse's cap */
#define WORKERS_MAX 256

struct worker {
    struct lam_handler *h;
    int busy;
};

struct server {
    const struct lam_config *cfg;
    struct worker *workers;
    unsigned nworkers;
    pthread_mutex_t lock;
    int cancel;     /* set on shutdown; running traces end with 503 */
    const char *cache_mode;
};

/* Per-request state, from the first callback to MHD's completion notice. */
struct req {
    struct lam_buf body; /* limit BODY_MAX */
    size_t seen;         /* body bytes received, kept or not */
    int too_big;
    double t0; /* tr_mono_ms() when the request arrived */
};

/* ---- replies ----------------------------------------------------------- */

static int accepts_gzip(struct MHD_Connection *c)
{
    return lam_accepts_gzip(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

/* body_gz: body is gzip already (the handler's, for a client that accepts
   it: compressed once and cached so). */
static enum MHD_Result send_reply(struct server *s, struct MHD_Connection *c, unsigned status,
                                  char *body, size_t len, int body_gz)
{
    /* A client that accepts gzip gets the body compressed (a trace shrinks
       ~20-fold); if compressing fails it gets the plain body, which
       Accept-Encoding always allows. */
    int gz = body_gz;
    if (!gz && len && accepts_gzip(c)) {
        size_t zn = 0;
        unsigned char *z = lam_gzip(body, len, &zn);
        if (z) {
            free(body);
            body = (char *)z;
            len = zn;
            gz = 1;
        }
    }
    /* MUST_FREE: MHD free()s body after sending; body may be NULL for 204. */
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (len || status != 204)
        MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", s->cfg->cors_origin);
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST, OPTIONS");
    MHD_add_response_header(r, "Access-Control-Allow-Headers", "Content-Type");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (status == 405)
        MHD_add_response_header(r, "Allow", "POST, OPTIONS");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_error(struct server *s, struct MHD_Connection *c, unsigned status,
                                  const char *msg)
{
    size_t n = 0;
    char *body = lam_error_json(msg, &n);
    if (!body)
        return MHD_NO;
    return send_reply(s, c, status, body, n, 0);
}

static enum MHD_Result send_health(struct server *s, struct MHD_Connection *c)
{
    unsigned busy = 0;
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->nworkers; i++)
        busy += s->workers[i].busy != 0;
    pthread_mutex_unlock(&s->lock);
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "status", "ok") &&
        cJSON_AddStringToObject(o, "version", "spp-trace " SPP_VERSION) &&
        cJSON_AddStringToObject(o, "environment", s->cfg->environment) &&
        cJSON_AddNumberToObject(o, "workers", s->nworkers) &&
        cJSON_AddNumberToObject(o, "busy", busy) &&
        cJSON_AddStringToObject(o, "cache", s->cache_mode))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *copy = text ? strdup(text) : NULL;
    cJSON_free(text);
    if (!copy)
        return MHD_NO;
    return send_reply(s, c, 200, copy, strlen(copy), 0);
}

/* ---- worker slots ------------------------------------------------------ */

static struct worker *acquire(struct server *s)
{
    struct worker *w = NULL;
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->nworkers && !w; i++) {
        if (!s->workers[i].busy) {
            w = &s->workers[i];
            w->busy = 1;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return w;
}

static void release(struct server *s, struct worker *w)
{
    pthread_mutex_lock(&s->lock);
    w->busy = 0;
    pthread_mutex_unlock(&s->lock);
}

/* POST /run (seepp = 0: the service response) or POST /api/run (seepp = 1:
   See++'s ProgramTrace alone, seepp_api.h). */
static enum MHD_Result run(struct server *s, struct MHD_Connection *c, struct req *q, int seepp)
{
    const char *path = seepp ? "/api/run" : "/run";
    char err[LAM_ERRBUF_LEN];
    size_t blen = q->body.len;
    char *body = NULL;
    if (seepp && !(body = lam_seepp_request(q->body.data, q->body.len, &blen, err)))
        return err[0] ? send_error(s, c, 400, err)
                      : send_error(s, c, 500, "internal error: out of memory");
    struct worker *w = acquire(s);
    if (!w) {
        free(body);
        lam_log("info", "serve", "POST %s 503: all %u workers busy", path, s->nworkers);
        return send_error(s, c, 503, "all workers are busy; retry shortly");
    }
    struct lam_reply r;
    /* /run's response goes out as the handler makes it: ask for gzip then */
    struct lam_run_opts o = {
        .deadline_ms = 0, .cancel = &s->cancel, .gzip = !seepp && accepts_gzip(c)};
    enum lam_err rc = lam_handler_run(w->h, body ? body : q->body.data, blen, &o, &r);
    release(s, w);
    free(body);
    if (rc != LAM_OK) {
        lam_log("error", "serve", "POST %s: %s", path, lam_strerror(rc));
        return send_error(s, c, 500, "internal error: out of memory");
    }
    lam_log("info", "serve", "POST %s %d%s, %zu bytes, %.1f ms", path, r.status,
            r.cached ? " (cached)" : "", r.len, tr_mono_ms() - q->t0);
    if (seepp && r.status == 200) {
        size_t n = 0;
        char *trace = lam_seepp_trace(r.body, r.len, &n, err);
        lam_reply_free(&r);
        if (!trace)
            return send_error(s, c, 500, err[0] ? err : "internal error: out of memory");
        return send_reply(s, c, 200, trace, n, 0);
    }
    enum MHD_Result ok = send_reply(s, c, (unsigned)r.status, r.body, r.len, r.gzip);
    r.body = NULL; /* MHD owns it now */
    return ok;
}

/* ---- MHD callbacks ----------------------------------------------------- */

static enum MHD_Result reply_too_big(struct server *s, struct MHD_Connection *c)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the request body is over the limit of %u bytes", BODY_MAX);
    return send_error(s, c, 413, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    struct server *s = cls;
    struct req *q = *state;

    if (!q) {
        if (!(q = calloc(1, sizeof *q)))
            return MHD_NO;
        q->body.limit = BODY_MAX;
        q->t0 = tr_mono_ms();
        *state = q;
        /* An oversized body is read and dropped, so the client (which is
           still sending) gets its 413 rather than a reset connection; one
           over LAM_SERVE_DRAIN_MAX is refused at once. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strcmp(method, "POST") == 0) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || n > BODY_MAX)
                q->too_big = 1;
            if (errno || *end || n > LAM_SERVE_DRAIN_MAX)
                return reply_too_big(s, c);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        q->seen += n;
        if (q->too_big)
            return q->seen > LAM_SERVE_DRAIN_MAX ? reply_too_big(s, c) : MHD_YES;
        if (lam_buf_append(&q->body, upload, n) != 0)
            return MHD_NO;
        if (q->body.over) {
            q->too_big = 1; /* drained from now on; answered 413 below */
            lam_buf_free(&q->body);
        }
        return MHD_YES;
    }

    /* The whole request is here (or refused early). */
    if (strcmp(method, "OPTIONS") == 0)
        return send_reply(s, c, 204, NULL, 0, 0);
    if (strcmp(url, "/health") == 0) {
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            return send_health(s, c);
        return send_error(s, c, 405, "use GET /health");
    }
    int seepp = strcmp(url, "/api/run") == 0;
    if (strcmp(url, "/run") != 0 && !seepp) {
        char msg[160];
        snprintf(msg, sizeof msg, "no such path: %.100s (POST /run, POST /api/run, GET /health)",
                 url);
        return send_error(s, c, 404, msg);
    }
    if (strcmp(method, "POST") != 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "method %.16s is not allowed; use POST (or OPTIONS)", method);
        return send_error(s, c, 405, msg);
    }
    if (q->too_big)
        return reply_too_big(s, c);
    return run(s, c, q, seepp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    struct req *q = *state;
    if (q) {
        lam_buf_free(&q->body);
        free(q);
        *state = NULL;
    }
}

/* ---- start-up and shutdown -------------------------------------------- */

/* Wait (bounded) until no trace runs and no connection is open. */
static void drain(struct server *s, struct MHD_Daemon *d)
{
    for (int i = 0; i < 300; i++) {
        unsigned busy = 0;
        pthread_mutex_lock(&s->lock);
        for (unsigned k = 0; k < s->nworkers; k++)
            busy += s->workers[k].busy != 0;
        pthread_mutex_unlock(&s->lock);
        const union MHD_DaemonInfo *ci =
            MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!busy && (!ci || ci->num_connections == 0))
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: spp-trace serve [--host ADDR] [--port N] [--workers N] "
                    "[--no-cache]\n"
                    "  --host ADDR   address to bind (default 127.0.0.1)\n"
                    "  --port N      port (default 3000; 0 picks a free one)\n"
                    "  --workers N   traces run at once (default: number of cores)\n"
                    "  --no-cache    neither read nor write the result cache\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || s[0] == '-')
        return 0;
    *out = v;
    return 1;
}

/* Resolve host (numeric or a name) to a socket address. */
static int resolve(const char *host, unsigned port, struct sockaddr_storage *ss, int *v6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return 0;
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    if (*v6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return 1;
}

int lam_serve_main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    unsigned long port = 3000, workers = 0;
    int no_cache = 0, i = 0, status = 1;
    char err[LAM_ERRBUF_LEN];
    struct lam_config cfg;
    struct server s;
    struct MHD_Daemon *d = NULL;
    struct lam_reaper *reaper = NULL;
    sigset_t stop;

    memset(&cfg, 0, sizeof cfg);
    memset(&s, 0, sizeof s);
    /* Skip to the word after "serve" (argv may or may not include it). */
    for (int k = 0; k < argc && k < 2; k++)
        if (strcmp(argv[k], "serve") == 0)
            i = k + 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--host") == 0 && v) {
            host = v;
            i++;
        } else if (strcmp(a, "--port") == 0 && v && parse_uint(v, 65535, &port)) {
            i++;
        } else if (strcmp(a, "--workers") == 0 && v && parse_uint(v, WORKERS_MAX, &workers) &&
                   workers > 0) {
            i++;
        } else if (strcmp(a, "--no-cache") == 0) {
            no_cache = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "spp-trace: error: serve: bad argument: %s\n", a);
            usage();
            return 2;
        }
    }
    if (!workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (unsigned long)n : 1;
        if (workers > WORKERS_MAX)
            workers = WORKERS_MAX;
    }

    signal(SIGPIPE, SIG_IGN);
    /* Responses can be tens of MiB, one per worker thread. With glibc's
       dynamic threshold, freeing one such buffer makes the next ones come
       from a thread's arena, which keeps them: serve would hold the peak
       of every worker for good. A fixed threshold keeps them mmap'd and
       handed back when freed. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    char *self = lam_config_sibling(NULL);
    char probe[TR_PROBE_JSON_LEN];
    enum lam_err rc = lam_config_load(&cfg, self, err);
    free(self);
    if (rc == LAM_OK && (rc = lam_config_probe(&cfg, probe, sizeof probe, err)) == LAM_OK)
        lam_log("info", "serve", "probe: %s", probe);
    if (rc == LAM_OK)
        rc = lam_config_seal(err);
    if (rc != LAM_OK) {
        lam_log("error", "serve", "%s", err);
        goto out;
    }
    if (no_cache)
        cfg.no_cache = 1;
    s.cfg = &cfg;
    s.cache_mode = cfg.no_cache ? "off" : cfg.cache_bucket ? "s3+local" : "local";
    s.nworkers = (unsigned)workers;
    pthread_mutex_init(&s.lock, NULL);
    if (!(s.workers = calloc(workers, sizeof *s.workers))) {
        lam_log("error", "serve", "out of memory");
        goto out;
    }
    /* Orphans of runs (a tracer killed at its time limit cannot sweep its
       own) come to us; each handler sweeps them after its run. */
    if (lam_reaper_open(&reaper, err) != LAM_OK) {
        lam_log("error", "serve", "%s", err);
        goto out;
    }
    for (unsigned k = 0; k < s.nworkers; k++) {
        struct lam_handler_config hc;
        lam_config_handler(&cfg, &hc);
        hc.reaper = reaper;
        if (lam_handler_open(&hc, &s.workers[k].h, err) != LAM_OK) {
            lam_log("error", "serve", "%s", err);
            goto out;
        }
    }

    struct sockaddr_storage ss;
    int v6 = 0;
    if (!resolve(host, (unsigned)port, &ss, &v6)) {
        lam_log("error", "serve", "cannot resolve --host %s", host);
        status = 2;
        goto out;
    }
    /* Signals are taken by sigwait below: block them before MHD starts its
       threads so they inherit the mask. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                             MHD_USE_POLL | MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0),
                         (uint16_t)port, NULL, NULL, on_request, &s, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)(s.nworkers * 4 + 32), MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)LAM_SERVE_IDLE_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                         &s, MHD_OPTION_END);
    if (!d) {
        lam_log("error", "serve", "cannot listen on %s port %lu: %s", host, port,
                strerror(errno));
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : (unsigned)port;
    lam_log("info", "serve", "listening on http://%s%s%s:%u", v6 ? "[" : "", host,
            v6 ? "]" : "", bound);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    lam_log("info", "serve", "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    /* Stop accepting, end running traces (their clients get a 503), and
       give those replies a moment to leave before connections are cut. */
    MHD_socket lfd = MHD_quiesce_daemon(d);
    __atomic_store_n(&s.cancel, 1, __ATOMIC_RELEASE);
    drain(&s, d);
    MHD_stop_daemon(d); /* closes connections and joins their threads */
    d = NULL;
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    status = 0;
out:
    if (d)
        MHD_stop_daemon(d);
    for (unsigned k = 0; s.workers && k < s.nworkers; k++)
        lam_handler_close(s.workers[k].h);
    free(s.workers);
    lam_reaper_close(reaper);
    if (s.cfg)
        pthread_mutex_destroy(&s.lock);
    lam_config_free(&cfg);
    return status;
}
