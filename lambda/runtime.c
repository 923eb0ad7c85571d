/*
 * runtime.c - the Lambda custom runtime: a Runtime API client over one
 * reused libcurl handle, and the fetch-handle-reply loop.
 *
 * Every call goes to a local endpoint, so connection failures mean the API
 * is restarting: retry with a short doubling backoff and give up after a
 * few tries (Lambda then replaces the environment). A 500 means the same
 * thing said politely, so it ends the loop at once. The reply to an
 * invocation is never dropped: a 413 (over 6 MiB) is replaced by a small
 * error reply, and if even that is refused, by a function error.
 */
#include "lambda/runtime.h"
#include "lambda/buf_int.h"
#include "lambda/config.h"
#include "lambda/events.h"
#include "lambda/handler.h"
#include "lambda/reaper.h"
#include "tracer/clock.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define API_PATH "/2018-06-01/runtime"

struct lam_rt {
    CURL *curl;
    struct curl_slist *json_headers; /* Content-Type, no Expect: 100-continue */
    char base[300];                  /* http://host:port/2018-06-01/runtime */
    char curl_err[CURL_ERROR_SIZE];
    /* Per-transfer state for the callbacks. */
    struct lam_buf body;
    struct lam_rt_invocation *inv;   /* headers go here during /next */
};

/* ---- helpers ----------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* host:port made of safe characters only: it becomes part of URLs. */
static int api_ok(const char *api)
{
    size_t n = strlen(api);
    if (n == 0 || n > 255)
        return 0;
    return strspn(api, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
           n;
}

/* Request ids are UUIDs; anything else must not reach a URL. */
static int id_ok(const char *id)
{
    size_t n = strlen(id);
    return n > 0 &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct lam_rt *rt = ud;
    /* Out of memory counts as over the cap; either way keep reading so the
       connection stays usable. */
    if (lam_buf_append(&rt->body, p, size * n) != 0)
        rt->body.over = 1;
    return size * n;
}

/* Copy a header's value (trimmed) into dst when its name matches. */
static int header_value(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return 0;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v);
    if (len >= cap)
        len = 0; /* too long to be real: treat as absent */
    memcpy(dst, v, len);
    dst[len] = '\0';
    return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct lam_rt *rt = ud;
    struct lam_rt_invocation *inv = rt->inv;
    size_t len = size * n;
    char num[32];
    if (!inv)
        return len;
    if (header_value(p, len, "Lambda-Runtime-Aws-Request-Id", inv->request_id,
                     sizeof inv->request_id) ||
        header_value(p, len, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn,
                     sizeof inv->function_arn) ||
        header_value(p, len, "Lambda-Runtime-Trace-Id", inv->trace_id, sizeof inv->trace_id))
        return len;
    if (header_value(p, len, "Lambda-Runtime-Deadline-Ms", num, sizeof num)) {
        char *end;
        long long v = strtoll(num, &end, 10);
        inv->deadline_ms = (*num && !*end && v > 0) ? v : 0;
    }
    return len;
}

/* Connection-level failures worth a retry: the API is (re)starting. */
static int retryable(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

/* One request with retries on connection failures. body NULL: GET. */
static enum lam_err perform(struct lam_rt *rt, const char *url, const char *body, size_t len,
                            long timeout_ms, long *status, char *errbuf)
{
    CURLcode c = CURLE_OK;
    long backoff = LAM_RT_BACKOFF_MS;
    for (int attempt = 0;; attempt++) {
        lam_buf_reset(&rt->body);
        curl_easy_setopt(rt->curl, CURLOPT_URL, url);
        curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        if (body) {
            curl_easy_setopt(rt->curl, CURLOPT_POST, 1L);
            curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
            curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, rt->json_headers);
        } else {
            curl_easy_setopt(rt->curl, CURLOPT_HTTPGET, 1L);
            curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, NULL);
        }
        rt->curl_err[0] = '\0';
        c = curl_easy_perform(rt->curl);
        if (c == CURLE_OK) {
            curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, status);
            return LAM_OK;
        }
        if (!retryable(c) || attempt >= LAM_RT_RETRIES)
            break;
        lam_log("warn", "runtime", "Runtime API unreachable (%s); retry %d in %ld ms",
                curl_easy_strerror(c), attempt + 1, backoff);
        sleep_ms(backoff);
        backoff *= 2;
    }
    return lam_err_set(errbuf, LAM_ERR_HTTP, "Runtime API request failed: %s%s%s",
                       curl_easy_strerror(c), rt->curl_err[0] ? ": " : "", rt->curl_err);
}

/* ---- open / close ------------------------------------------------------ */

enum lam_err lam_rt_open(const char *api, struct lam_rt **out, char *errbuf)
{
    struct lam_rt *rt;
    if (!api || !api_ok(api))
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                           "AWS_LAMBDA_RUNTIME_API must be host:port");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return lam_err_set(errbuf, LAM_ERR_HTTP, "curl_global_init failed");
    if (!(rt = calloc(1, sizeof *rt)))
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    rt->body.limit = LAM_RT_EVENT_MAX;
    snprintf(rt->base, sizeof rt->base, "http://%s" API_PATH, api);
    struct curl_slist *h1 = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h1 ? curl_slist_append(h1, "Expect:") : NULL;
    rt->json_headers = h2 ? h2 : h1;
    rt->curl = curl_easy_init();
    if (!h2 || !rt->curl) {
        lam_rt_close(rt);
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory setting up libcurl");
    }
    CURL *c = rt->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* the API is local, never proxied */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rt->curl_err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, rt);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, rt);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    *out = rt;
    return LAM_OK;
}

void lam_rt_close(struct lam_rt *rt)
{
    if (!rt)
        return;
    if (rt->curl)
        curl_easy_cleanup(rt->curl);
    curl_slist_free_all(rt->json_headers);
    lam_buf_free(&rt->body);
    free(rt);
}

/* ---- the four calls ---------------------------------------------------- */

void lam_rt_invocation_free(struct lam_rt_invocation *inv)
{
    if (!inv)
        return;
    free(inv->payload);
    inv->payload = NULL;
    inv->len = 0;
}

enum lam_err lam_rt_next(struct lam_rt *rt, struct lam_rt_invocation *out, char *errbuf)
{
    char url[sizeof rt->base + 32];
    long status = 0;
    struct lam_rt_invocation inv;
    memset(&inv, 0, sizeof inv);
    snprintf(url, sizeof url, "%s/invocation/next", rt->base);
    rt->inv = &inv;
    enum lam_err rc = perform(rt, url, NULL, 0, 0L /* long poll: no limit */, &status, errbuf);
    rt->inv = NULL;
    if (rc != LAM_OK)
        return rc;
    if (status != 200)
        return lam_err_set(errbuf, LAM_ERR_HTTP_STATUS, "GET /invocation/next answered %ld",
                           status);
    if (!id_ok(inv.request_id))
        return lam_err_set(errbuf, LAM_ERR_HTTP_STATUS,
                           "GET /invocation/next gave no usable request id");
    if (rt->body.over) {
        inv.too_large = 1; /* answered with an error by the loop */
        *out = inv;
        return LAM_OK;
    }
    /* Hand the buffer over; the next transfer grows a new one. */
    if (!rt->body.data && lam_buf_append(&rt->body, "", 0) != 0)
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    inv.payload = rt->body.data;
    inv.len = rt->body.len;
    rt->body.data = NULL;
    rt->body.len = rt->body.cap = 0;
    *out = inv;
    return LAM_OK;
}

static enum lam_err post(struct lam_rt *rt, const char *request_id, const char *what,
                         const char *error_type, const char *body, size_t len, long *status,
                         char *errbuf)
{
    char url[sizeof rt->base + LAM_RT_ID_MAX + 32];
    char type_hdr[96];
    if (request_id && !id_ok(request_id))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "bad request id");
    if (request_id)
        snprintf(url, sizeof url, "%s/invocation/%s/%s", rt->base, request_id, what);
    else
        snprintf(url, sizeof url, "%s/init/error", rt->base);
    struct curl_slist *extra = NULL, *saved = rt->json_headers;
    if (error_type) {
        /* A fresh list: the JSON headers plus the error type. */
        snprintf(type_hdr, sizeof type_hdr, "Lambda-Runtime-Function-Error-Type: %s",
                 error_type);
        for (struct curl_slist *s = saved; s; s = s->next) {
            struct curl_slist *t = curl_slist_append(extra, s->data);
            if (!t)
                goto nomem;
            extra = t;
        }
        struct curl_slist *t = curl_slist_append(extra, type_hdr);
        if (!t)
            goto nomem;
        extra = t;
        rt->json_headers = extra;
    }
    enum lam_err rc = perform(rt, url, body, len, 60000L, status, errbuf);
    rt->json_headers = saved;
    curl_slist_free_all(extra);
    return rc;
nomem:
    curl_slist_free_all(extra);
    return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
}

enum lam_err lam_rt_respond(struct lam_rt *rt, const char *request_id, const char *body,
                            size_t len, long *status, char *errbuf)
{
    return post(rt, request_id, "response", NULL, body, len, status, errbuf);
}

static int error_type_ok(const char *t)
{
    const char *dot;
    if (strncmp(t, "Runtime.", 8) == 0)
        dot = t + 7;
    else if (strncmp(t, "Function.", 9) == 0)
        dot = t + 8;
    else
        return 0;
    const char *rest = dot + 1;
    if (*rest < 'A' || *rest > 'Z')
        return 0;
    size_t n = strlen(rest);
    return n >= 2 && n < 40 &&
           strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

enum lam_err lam_rt_fail_raw(struct lam_rt *rt, const char *request_id, const char *error_type,
                             const char *body, size_t len, long *status, char *errbuf)
{
    if (!error_type_ok(error_type))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "bad error type");
    return post(rt, request_id, "error", error_type, body, len, status, errbuf);
}

enum lam_err lam_rt_fail(struct lam_rt *rt, const char *request_id, const char *error_type,
                         const char *message, long *status, char *errbuf)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    enum lam_err rc;
    if (o && cJSON_AddStringToObject(o, "errorMessage", message) &&
        cJSON_AddStringToObject(o, "errorType", error_type) &&
        cJSON_AddArrayToObject(o, "stackTrace"))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    rc = lam_rt_fail_raw(rt, request_id, error_type, text, strlen(text), status, errbuf);
    cJSON_free(text);
    return rc;
}

/* ---- the loop ---------------------------------------------------------- */

/* 413: the reply was too large. Build the small error reply for the same
   event shape and send it; if that is refused too, a function error. */
static enum lam_err reply_too_large(struct lam_rt *rt, const struct lam_rt_invocation *inv,
                                    size_t size, const char *cors, long *status, char *errbuf)
{
    char msg[200];
    struct lam_event ev;
    struct lam_invoke_reply small;
    enum lam_err rc;
    snprintf(msg, sizeof msg,
             "the response (%zu bytes) is over Lambda's 6 MiB limit; lower maxSteps or trace "
             "a smaller program",
             size);
    size_t n;
    char *body = lam_error_json(msg, &n);
    if (!body)
        return lam_rt_fail(rt, inv->request_id, "Function.ResponseTooLarge", msg, status,
                           errbuf);
    rc = lam_event_parse(inv->payload, inv->len, &ev);
    if (rc == LAM_OK) {
        rc = lam_event_reply(&ev, 500, body, n, cors, &small);
        lam_event_free(&ev);
    }
    free(body);
    if (rc != LAM_OK)
        return lam_rt_fail(rt, inv->request_id, "Function.ResponseTooLarge", msg, status,
                           errbuf);
    if (small.function_error)
        rc = lam_rt_fail_raw(rt, inv->request_id, small.error_type, small.body, small.len,
                             status, errbuf);
    else
        rc = lam_rt_respond(rt, inv->request_id, small.body, small.len, status, errbuf);
    lam_invoke_reply_free(&small);
    if (rc == LAM_OK && *status != 202 && *status != 500)
        rc = lam_rt_fail(rt, inv->request_id, "Function.ResponseTooLarge", msg, status, errbuf);
    return rc;
}

/* Handle one invocation and deliver its reply. Returns 0 to go on, 1 when
   the Runtime API said 500 or could not be reached. */
static int serve_one(struct lam_rt *rt, struct lam_handler *h, const char *cors,
                     const struct lam_rt_invocation *inv)
{
    char err[LAM_ERRBUF_LEN];
    struct lam_invoke_reply reply;
    long status = 0;
    double t0 = tr_mono_ms(), t_post = 0;
    enum lam_err rc;
    const char *how = "response";

    /* X-Ray's convention: the current trace id in the environment. */
    if (inv->trace_id[0])
        setenv("_X_AMZN_TRACE_ID", inv->trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");

    memset(&reply, 0, sizeof reply);
    if (inv->too_large) {
        how = "error";
        rc = lam_rt_fail(rt, inv->request_id, "Runtime.PayloadTooLarge",
                         "the invocation payload is too large", &status, err);
    } else if ((rc = lam_event_invoke(h, inv->payload, inv->len, inv->deadline_ms, cors,
                                      &reply)) != LAM_OK) {
        how = "error";
        memset(&reply, 0, sizeof reply);
        rc = lam_rt_fail(rt, inv->request_id, "Runtime.OutOfMemory",
                         "the runtime ran out of memory handling the invocation", &status, err);
    } else if (reply.function_error) {
        how = "error";
        rc = lam_rt_fail_raw(rt, inv->request_id, reply.error_type, reply.body, reply.len,
                             &status, err);
    } else {
        t_post = tr_mono_ms();
        rc = lam_rt_respond(rt, inv->request_id, reply.body, reply.len, &status, err);
        if (rc == LAM_OK && status == 413) {
            how = "too large, replaced";
            lam_log("warn", "runtime", "request %s: response of %zu bytes refused (413)",
                    inv->request_id, reply.len);
            rc = reply_too_large(rt, inv, reply.len, cors, &status, err);
        }
    }
    double t_end = tr_mono_ms();
    lam_log("info", "runtime", "request %s: %s status %d%s, %zu bytes, %.2f ms (posting %.2f), "
            "API %ld",
            inv->request_id, how, reply.status, reply.cached ? " (cached)" : "", reply.len,
            t_end - t0, t_post > 0 ? t_end - t_post : 0.0, status);
    lam_invoke_reply_free(&reply);
    if (rc != LAM_OK) {
        lam_log("error", "runtime", "request %s: %s", inv->request_id, err);
        return rc == LAM_ERR_HTTP ? 1 : 0;
    }
    if (status == 500) {
        lam_log("error", "runtime", "request %s: Runtime API answered 500; exiting",
                inv->request_id);
        return 1;
    }
    if (status != 202)
        lam_log("warn", "runtime", "request %s: Runtime API answered %ld", inv->request_id,
                status);
    return 0;
}

/* What an invocation left behind goes before the next one: processes,
   and what a killed tracer left in the run root (reaper.h; the rest of
   /tmp is never looked at: others share it). What cannot be removed is
   logged, never a reason to stop. 1 when processes survive SIGKILL (only a
   new environment helps then). */
static int sweep_after(struct lam_reaper *reaper, const char *request_id)
{
    char note[LAM_ERRBUF_LEN];
    int removed = 0, left = 0, procs = lam_reaper_sweep(reaper);
    enum lam_err rc = lam_reaper_clean_root(reaper, &removed, &left, note);
    if (procs > 0 || removed > 0)
        lam_log("warn", "runtime", "request %s left %d process(es) and %d entr%s in the run "
                "root; removed", request_id, procs > 0 ? procs : 0, removed,
                removed == 1 ? "y" : "ies");
    if (rc != LAM_OK)
        lam_log("warn", "runtime", "request %s: cannot look for leftovers: %s", request_id,
                note);
    else if (left > 0)
        lam_log("warn", "runtime", "after request %s: %s", request_id, note);
    if (procs < 0) {
        lam_log("error", "runtime", "request %s: processes survive SIGKILL; exiting so the "
                "environment is replaced", request_id);
        return 1;
    }
    return 0;
}

int lam_rt_loop(struct lam_rt *rt, struct lam_handler *h, const char *cors_origin,
                struct lam_reaper *reaper)
{
    char err[LAM_ERRBUF_LEN];
    for (;;) {
        struct lam_rt_invocation inv;
        enum lam_err rc = lam_rt_next(rt, &inv, err);
        if (rc != LAM_OK) {
            lam_log("error", "runtime", "%s; exiting", err);
            return 1;
        }
        int stop = serve_one(rt, h, cors_origin, &inv);
        /* After /response: the caller has its reply; Lambda bills on until
           the next /next, and freezes the environment only then. */
        lam_handler_flush(h);
        if (!stop && reaper)
            stop = sweep_after(reaper, inv.request_id);
        lam_rt_invocation_free(&inv);
        if (stop)
            return 1;
    }
}
