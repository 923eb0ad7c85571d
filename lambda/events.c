/*
 * events.c - Lambda event adapters: classify an invocation payload, decode
 * its body, and wrap the handler's answer in the shape the caller expects.
 *
 * The classification follows service-contract.md exactly: v2 needs both
 * version "2.0" and requestContext.http.method, v1 needs a string
 * httpMethod; everything else, unparseable payloads included, is a direct
 * invoke and goes to the handler verbatim, which answers 400 naming the
 * problem. Header values are fixed text plus the configured CORS origin.
 */
#include "lambda/events.h"
#include "lambda/deliver.h"
#include "lambda/gzip.h"
#include "lambda/handler.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- base64 ------------------------------------------------------------ */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

enum lam_err lam_base64_decode(const char *in, size_t len, char **res, size_t *res_len)
{
    /* 3 bytes per 4 symbols, rounded up, plus the NUL. */
    char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return LAM_ERR_NOMEM;
    size_t n = 0, pad = 0;
    unsigned acc = 0, nsym = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad) /* a symbol after padding */
            goto bad;
        acc = acc << 6 | (unsigned)v;
        if (++nsym == 4) {
            out[n++] = (char)(acc >> 16);
            out[n++] = (char)(acc >> 8);
            out[n++] = (char)acc;
            acc = 0;
            nsym = 0;
        }
    }
    /* A final group of 2 or 3 symbols carries 1 or 2 bytes; 1 symbol is
       not base64. Padding, when present, must complete the group. */
    if (nsym == 1 || (pad && nsym + pad != 4) || pad > 2)
        goto bad;
    if (nsym == 2) {
        if (acc & 0xf) /* non-canonical trailing bits */
            goto bad;
        out[n++] = (char)(acc >> 4);
    } else if (nsym == 3) {
        if (acc & 0x3)
            goto bad;
        out[n++] = (char)(acc >> 10);
        out[n++] = (char)(acc >> 2);
    }
    out[n] = '\0';
    *res = out;
    *res_len = n;
    return LAM_OK;
bad:
    free(out);
    return LAM_ERR_BAD_INPUT;
}

/* ---- classification ---------------------------------------------------- */

static const cJSON *get_string(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v : NULL;
}

static void set_method(struct lam_event *ev, const char *m)
{
    size_t i = 0;
    for (; m[i] && i + 1 < sizeof ev->method; i++)
        ev->method[i] = m[i] >= 'a' && m[i] <= 'z' ? (char)(m[i] - 'a' + 'A') : m[i];
    ev->method[i] = '\0';
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* 1 when the event's headers (names in any case: v1 keeps the client's,
   v2 lower-cases them) hold an Accept-Encoding that allows gzip. */
static int event_accepts_gzip(const cJSON *o)
{
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(o, "headers"), *h;
    if (!cJSON_IsObject(hs))
        return 0;
    cJSON_ArrayForEach(h, hs)
    {
        if (h->string && strcasecmp(h->string, "accept-encoding") == 0 && cJSON_IsString(h))
            return lam_accepts_gzip(h->valuestring);
    }
    return 0;
}

enum lam_err lam_event_parse(const char *payload, size_t len, struct lam_event *out)
{
    struct lam_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = LAM_EVENT_DIRECT;
    enum lam_err rc = LAM_OK;

    cJSON *o = payload && len ? cJSON_ParseWithLength(payload, len) : NULL;
    const cJSON *method = NULL;
    if (cJSON_IsObject(o)) {
        const cJSON *ver = get_string(o, "version");
        const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(o, "requestContext");
        const cJSON *http = cJSON_IsObject(ctx) ? cJSON_GetObjectItemCaseSensitive(ctx, "http")
                                                : NULL;
        const cJSON *m2 = cJSON_IsObject(http) ? get_string(http, "method") : NULL;
        if (ver && strcmp(ver->valuestring, "2.0") == 0 && m2) {
            ev.kind = LAM_EVENT_HTTP_V2;
            method = m2;
        } else if ((method = get_string(o, "httpMethod")) != NULL) {
            ev.kind = LAM_EVENT_HTTP_V1;
        }
    }

    if (ev.kind == LAM_EVENT_DIRECT) {
        /* How a response too large to send may reach the caller; not part
           of the trace, so the handler never sees it as such. */
        const cJSON *mode = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, "responseMode")
                                              : NULL;
        if (mode && cJSON_IsString(mode) && strcmp(mode->valuestring, "auto") == 0)
            ev.response_auto = 1;
        else if (mode && !(cJSON_IsString(mode) && strcmp(mode->valuestring, "inline") == 0))
            ev.body_problem = "\"responseMode\" must be \"inline\" or \"auto\"";
        /* The request itself, byte for byte: the handler validates it. */
        if (payload && !(ev.body = dup_bytes(payload, len))) {
            rc = LAM_ERR_NOMEM;
            goto out;
        }
        ev.body_len = payload ? len : 0;
    } else {
        set_method(&ev, method->valuestring);
        ev.gzip = event_accepts_gzip(o);
        const cJSON *body = get_string(o, "body");
        const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(o, "isBase64Encoded");
        if (body && cJSON_IsTrue(b64)) {
            rc = lam_base64_decode(body->valuestring, strlen(body->valuestring), &ev.body,
                                   &ev.body_len);
            if (rc == LAM_ERR_NOMEM)
                goto out;
            if (rc != LAM_OK) {
                ev.body_problem = "the body is marked isBase64Encoded but is not valid base64";
                rc = LAM_OK;
            }
        } else if (body) {
            ev.body_len = strlen(body->valuestring);
            if (!(ev.body = dup_bytes(body->valuestring, ev.body_len))) {
                rc = LAM_ERR_NOMEM;
                goto out;
            }
        }
    }
    *out = ev;
    memset(&ev, 0, sizeof ev);
out:
    lam_event_free(&ev);
    cJSON_Delete(o);
    return rc;
}

void lam_event_free(struct lam_event *ev)
{
    if (!ev)
        return;
    free(ev->body);
    ev->body = NULL;
    ev->body_len = 0;
}

/* ---- replies ----------------------------------------------------------- */

void lam_invoke_reply_free(struct lam_invoke_reply *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* Print o into r->body (cJSON's text is copied so free() owns it). */
static enum lam_err print_into(cJSON *o, struct lam_invoke_reply *r)
{
    char *text = cJSON_PrintUnformatted(o);
    if (!text)
        return LAM_ERR_NOMEM;
    r->len = strlen(text);
    r->body = dup_bytes(text, r->len);
    cJSON_free(text);
    return r->body ? LAM_OK : LAM_ERR_NOMEM;
}

/* The "error" member of an error response we produced, for errorMessage. */
static char *error_text(const char *body, size_t len)
{
    char *msg = NULL;
    cJSON *o = cJSON_ParseWithLength(body, len);
    const cJSON *e = cJSON_IsObject(o) ? get_string(o, "error") : NULL;
    msg = strdup(e ? e->valuestring : "the trace failed");
    cJSON_Delete(o);
    return msg;
}

static const char *function_error_type(int status)
{
    return status == 504 ? "Function.TraceTimeout" : "Function.TraceFailed";
}

/* The gzip of body, base64-encoded (API Gateway and Function URLs carry
   binary bodies so), NUL-terminated and malloc'd; NULL when memory runs out. */
static char *base64_of(const unsigned char *z, size_t zn)
{
    if (zn > (size_t)INT32_MAX / 2)
        return NULL;
    char *b64 = malloc((zn + 2) / 3 * 4 + 1);
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, z, (int)zn); /* writes the NUL */
    return b64;
}

static char *gzip_base64(const char *body, size_t len)
{
    size_t zn = 0;
    unsigned char *z = lam_gzip(body, len, &zn);
    char *b64 = z ? base64_of(z, zn) : NULL;
    free(z);
    return b64;
}

static enum lam_err reply_any(const struct lam_event *ev, int status, const char *body,
                              size_t len, int body_gz, const char *cors_origin,
                              struct lam_invoke_reply *out)
{
    struct lam_invoke_reply r;
    memset(&r, 0, sizeof r);
    r.status = status;
    enum lam_err rc = LAM_ERR_NOMEM;
    cJSON *o = cJSON_CreateObject();
    char *msg = NULL, *text = NULL;
    if (!o)
        return LAM_ERR_NOMEM;

    if (ev->kind == LAM_EVENT_DIRECT && status < 500) {
        /* The plain response JSON: See++'s LambdaRunner reads it as is. */
        if (!(r.body = dup_bytes(body ? body : "", body ? len : 0)))
            goto out;
        r.len = body ? len : 0;
    } else if (ev->kind == LAM_EVENT_DIRECT) {
        /* No response was produced: a function error, so the invocation
           counts as failed in Lambda's metrics and the caller sees why. */
        if (!(msg = error_text(body ? body : "", body ? len : 0)))
            goto out;
        snprintf(r.error_type, sizeof r.error_type, "%s", function_error_type(status));
        r.function_error = 1;
        if (!cJSON_AddStringToObject(o, "errorMessage", msg) ||
            !cJSON_AddStringToObject(o, "errorType", r.error_type) ||
            !cJSON_AddArrayToObject(o, "stackTrace") || print_into(o, &r) != LAM_OK)
            goto out;
    } else {
        cJSON *h;
        int gz = body_gz || (ev->gzip && body && len);
        if (!(text = body_gz ? base64_of((const unsigned char *)body, len)
                     : gz    ? gzip_base64(body, len)
                             : dup_bytes(body ? body : "", body ? len : 0)))
            goto out;
        if (!cJSON_AddNumberToObject(o, "statusCode", status) ||
            !(h = cJSON_AddObjectToObject(o, "headers")) ||
            !cJSON_AddStringToObject(h, "Content-Type", "application/json") ||
            !cJSON_AddStringToObject(h, "Access-Control-Allow-Origin",
                                     cors_origin && *cors_origin ? cors_origin : "*") ||
            !cJSON_AddStringToObject(h, "Access-Control-Allow-Methods", "POST, OPTIONS") ||
            !cJSON_AddStringToObject(h, "Access-Control-Allow-Headers", "Content-Type") ||
            !cJSON_AddStringToObject(h, "Vary", "Accept-Encoding") ||
            (gz && !cJSON_AddStringToObject(h, "Content-Encoding", "gzip")) ||
            !cJSON_AddStringToObject(o, "body", text) ||
            !cJSON_AddBoolToObject(o, "isBase64Encoded", gz) || print_into(o, &r) != LAM_OK)
            goto out;
    }
    *out = r;
    memset(&r, 0, sizeof r);
    rc = LAM_OK;
out:
    lam_invoke_reply_free(&r);
    free(text);
    free(msg);
    cJSON_Delete(o);
    return rc;
}

enum lam_err lam_event_reply(const struct lam_event *ev, int status, const char *body,
                             size_t len, const char *cors_origin, struct lam_invoke_reply *out)
{
    return reply_any(ev, status, body, len, 0, cors_origin, out);
}

enum lam_err lam_event_reply_gz(const struct lam_event *ev, int status, const unsigned char *gz,
                                size_t len, const char *cors_origin,
                                struct lam_invoke_reply *out)
{
    if (ev->kind == LAM_EVENT_DIRECT)
        return LAM_ERR_INVALID_ARG; /* a direct invoke cannot say it is gzip */
    return reply_any(ev, status, (const char *)gz, len, 1, cors_origin, out);
}

/* A reply built from a message: the error JSON wrapped for the event. */
static enum lam_err reply_error(const struct lam_event *ev, int status, const char *msg,
                                const char *cors_origin, struct lam_invoke_reply *out)
{
    size_t n;
    char *body = lam_error_json(msg, &n);
    if (!body)
        return LAM_ERR_NOMEM;
    enum lam_err rc = lam_event_reply(ev, status, body, n, cors_origin, out);
    free(body);
    return rc;
}

enum lam_err lam_event_invoke(struct lam_handler *h, const char *payload, size_t len,
                              int64_t deadline_ms, const char *cors_origin,
                              struct lam_invoke_reply *out)
{
    struct lam_event ev;
    enum lam_err rc = lam_event_parse(payload, len, &ev);
    if (rc != LAM_OK)
        return rc;

    if (ev.kind != LAM_EVENT_DIRECT && strcmp(ev.method, "OPTIONS") == 0) {
        rc = lam_event_reply(&ev, 204, "", 0, cors_origin, out);
    } else if (ev.kind != LAM_EVENT_DIRECT && strcmp(ev.method, "POST") != 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "method %.16s is not allowed; use POST (or OPTIONS)",
                 ev.method);
        rc = reply_error(&ev, 405, msg, cors_origin, out);
    } else if (ev.body_problem) {
        rc = reply_error(&ev, 400, ev.body_problem, cors_origin, out);
    } else {
        rc = lam_deliver(h, &ev, deadline_ms, cors_origin, out);
    }
    lam_event_free(&ev);
    return rc;
}
