/*
 * deliver.c - a trace response through Lambda's 6 MiB (see deliver.h).
 *
 * Key idea: trace once at the largest cap whenever the caller can take a
 * large trace (gzip, or a URL), and fall back to the configured cap only
 * when the compressed answer still does not fit, or the bucket cannot take
 * it. The fallback is a second run, not a cut of the first: the tracer
 * alone knows where a trace can stop honestly (a last step that says why).
 */
#include "lambda/deliver.h"
#include "lambda/config.h"
#include "lambda/events.h"
#include "lambda/gzip.h"
#include "lambda/handler.h"
#include "lambda/s3.h"
#include "lambda/sigv4.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define NOTE "The trace is larger than Lambda's 6 MiB response limit; fetch it from responseUrl."

static enum lam_err run(struct lam_handler *h, const struct lam_event *ev, int64_t deadline_ms,
                        size_t cap, int gzip, struct lam_reply *r)
{
    struct lam_run_opts o = {
        .deadline_ms = deadline_ms, .cancel = NULL, .max_response = cap, .gzip = gzip};
    return lam_handler_run(h, ev->body, ev->body_len, &o, r);
}

/* Wrap r for ev (gzip'ed or plain), then free r. */
static enum lam_err wrap(const struct lam_event *ev, struct lam_reply *r, const char *cors,
                         struct lam_invoke_reply *out)
{
    enum lam_err rc = r->gzip ? lam_event_reply_gz(ev, r->status, (unsigned char *)r->body,
                                                   r->len, cors, out)
                              : lam_event_reply(ev, r->status, r->body, r->len, cors, out);
    if (rc == LAM_OK)
        out->cached = r->cached;
    lam_reply_free(r);
    return rc;
}

/* Today's way: the configured cap, plain JSON. */
static enum lam_err deliver_plain(struct lam_handler *h, const struct lam_event *ev,
                                  int64_t deadline_ms, const char *cors,
                                  struct lam_invoke_reply *out)
{
    struct lam_reply r;
    enum lam_err rc = run(h, ev, deadline_ms, 0, 0, &r);
    return rc != LAM_OK ? rc : wrap(ev, &r, cors, out);
}

/* A proxy event that accepts gzip. */
static enum lam_err deliver_gzip(struct lam_handler *h, const struct lam_event *ev,
                                 int64_t deadline_ms, const char *cors,
                                 struct lam_invoke_reply *out)
{
    struct lam_reply r;
    enum lam_err rc = run(h, ev, deadline_ms, LAM_WHOLE_CAP, 1, &r);
    if (rc != LAM_OK)
        return rc;
    if (!r.gzip)
        return wrap(ev, &r, cors, out); /* an error, or gzip failed */
    size_t gz_len = r.len;
    if ((rc = wrap(ev, &r, cors, out)) != LAM_OK || out->len <= LAM_RESPONSE_MAX)
        return rc;
    lam_log("info", "deliver", "the gzip'ed trace (%zu bytes, %zu as a reply) is over 6 MiB; "
            "tracing again at the configured cap", gz_len, out->len);
    lam_invoke_reply_free(out);
    if ((rc = run(h, ev, deadline_ms, 0, 1, &r)) != LAM_OK)
        return rc;
    return wrap(ev, &r, cors, out);
}

/* The envelope for a response put in the bucket (cJSON text, malloc'd). */
static char *envelope(const char *json, size_t len, const char *url)
{
    char sha[LAM_SIGV4_HEX_LEN + 1];
    if (lam_sigv4_sha256_hex(json, len, sha) != LAM_OK)
        return NULL;
    cJSON *full = cJSON_ParseWithLength(json, len), *o = cJSON_CreateObject();
    const cJSON *cached = cJSON_GetObjectItemCaseSensitive(full, "cached");
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(full, "success");
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(full, "outcome");
    char *text = NULL;
    if (full && o && cJSON_AddBoolToObject(o, "cached", cJSON_IsTrue(cached)) &&
        cJSON_AddBoolToObject(o, "success", cJSON_IsTrue(success)) &&
        (!cJSON_IsString(outcome) ||
         cJSON_AddStringToObject(o, "outcome", outcome->valuestring)) &&
        cJSON_AddStringToObject(o, "responseUrl", url) &&
        cJSON_AddNumberToObject(o, "responseExpiresIn", LAM_ENVELOPE_EXPIRES) &&
        cJSON_AddNumberToObject(o, "responseBytes", (double)len) &&
        cJSON_AddStringToObject(o, "responseSha256", sha) &&
        cJSON_AddStringToObject(o, "responseEncoding", "gzip") &&
        cJSON_AddStringToObject(o, "note", NOTE)) {
        char *t = cJSON_PrintUnformatted(o);
        text = t ? strdup(t) : NULL;
        cJSON_free(t);
    }
    cJSON_Delete(full);
    cJSON_Delete(o);
    return text;
}

/* A direct invoke that can follow a URL, on a function with a bucket. */
static enum lam_err deliver_reference(struct lam_handler *h, const struct lam_event *ev,
                                      int64_t deadline_ms, const char *cors,
                                      struct lam_invoke_reply *out)
{
    struct lam_reply r;
    char err[LAM_ERRBUF_LEN] = "";
    enum lam_err rc = run(h, ev, deadline_ms, LAM_WHOLE_CAP, 1, &r);
    if (rc != LAM_OK)
        return rc;
    if (!r.gzip)
        return wrap(ev, &r, cors, out);
    size_t n = 0;
    char *json = lam_gunzip(r.body, r.len, LAM_STDOUT_CAP, &n); /* what a run can produce */
    if (!json) {
        lam_reply_free(&r);
        return LAM_ERR_NOMEM; /* we made it: only memory can fail */
    }
    if (n <= LAM_RESPONSE_MAX) {
        rc = lam_event_reply(ev, r.status, json, n, cors, out);
        if (rc == LAM_OK)
            out->cached = r.cached;
        free(json);
        lam_reply_free(&r);
        return rc;
    }
    char *url = malloc(LAM_S3_URL_MAX);
    char *env = NULL;
    if (!url)
        rc = LAM_ERR_NOMEM;
    else if (lam_handler_publish(h, r.key, (unsigned char *)r.body, r.len, LAM_ENVELOPE_EXPIRES,
                                 url, LAM_S3_URL_MAX, err) != LAM_OK)
        lam_log("warn", "deliver", "a %zu-byte response could not be put in the bucket (%s); "
                "it is traced again at the configured cap", n, err);
    else if (!(env = envelope(json, n, url)))
        rc = LAM_ERR_NOMEM;
    int cached = r.cached;
    free(url);
    free(json);
    lam_reply_free(&r);
    if (rc != LAM_OK)
        return rc;
    if (!env)
        return deliver_plain(h, ev, deadline_ms, cors, out);
    rc = lam_event_reply(ev, 200, env, strlen(env), cors, out);
    if (rc == LAM_OK)
        out->cached = cached;
    free(env);
    return rc;
}

enum lam_err lam_deliver(struct lam_handler *h, const struct lam_event *ev, int64_t deadline_ms,
                         const char *cors_origin, struct lam_invoke_reply *out)
{
    if (ev->kind != LAM_EVENT_DIRECT && ev->gzip)
        return deliver_gzip(h, ev, deadline_ms, cors_origin, out);
    if (ev->kind == LAM_EVENT_DIRECT && ev->response_auto && lam_handler_has_bucket(h))
        return deliver_reference(h, ev, deadline_ms, cors_origin, out);
    return deliver_plain(h, ev, deadline_ms, cors_origin, out);
}
