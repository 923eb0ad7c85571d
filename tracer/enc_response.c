/*
 * enc_response.c - the service response (service-contract.md "Response").
 *
 * The first key is always "cached":false: a cache serves a stored response
 * by rewriting that prefix, without parsing megabytes of trace. The trace
 * itself is encoded separately (enc_trace.c) and spliced in raw.
 */
#include "tracer/result.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/enc.h"
#include "tracer/enc_int.h"
#include "tracer/sandbox.h"
#include "tracer/text.h"

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGKILL: return "SIGKILL";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGPIPE: return "SIGPIPE";
    case SIGTERM: return "SIGTERM";
    case SIGSYS: return "SIGSYS";
    default: return "SIGNAL";
    }
}

static cJSON *clean_string(const char *s, size_t len)
{
    char *c = tr_text_clean(s ? s : "", s ? len : 0, NULL);
    if (!c)
        return NULL;
    cJSON *j = cJSON_CreateString(c);
    free(c);
    return j;
}

static int put(cJSON *o, const char *key, cJSON *v)
{
    if (!v)
        return -1;
    cJSON_AddItemToObject(o, key, v);
    return 0;
}

/* head's members, then "trace" (NULL: null) and "traceContent" (the
   inside of its JSON string, already escaped), then
   tail's members, as one object: what cJSON printed when the two texts
   were members of one object. NULL when out of memory. */
static char *assemble(cJSON *head, cJSON *tail, const char *trace, size_t trace_len,
                      const char *content, size_t content_len, size_t *len)
{
    char *h = cJSON_PrintUnformatted(head), *tl = cJSON_PrintUnformatted(tail);
    struct tr_enc_buf b = {0};
    size_t hn = h ? strlen(h) : 0, tn = tl ? strlen(tl) : 0;
    int bad = !h || !tl || hn < 2 || tn < 2 ||
              tr_enc_buf_reserve(&b, hn + tn + (trace ? trace_len : 4) + content_len + 32) ||
              tr_enc_buf_put(&b, h, hn - 1) || TR_ENC_LIT(&b, ",\"trace\":") ||
              (trace ? tr_enc_buf_put(&b, trace, trace_len) : TR_ENC_LIT(&b, "null")) ||
              TR_ENC_LIT(&b, ",\"traceContent\":\"") ||
              tr_enc_buf_put(&b, content, content_len) || TR_ENC_LIT(&b, "\"") ||
              (tn > 2 ? TR_ENC_LIT(&b, ",") || tr_enc_buf_put(&b, tl + 1, tn - 1)
                      : TR_ENC_LIT(&b, "}"));
    cJSON_free(h);
    cJSON_free(tl);
    if (bad) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* The response's budget for the trace and traceContent together: its cap
   less what the rest of the response (the program's output, each byte
   escaped to at most 6, and a few small members) may take. */
static size_t cap_of(const struct tr_result *res)
{
    return res->response_cap ? res->response_cap : TR_LIMIT_TRACE_JSON;
}

static size_t budget_of(const struct tr_result *res)
{
    const struct tr_trace *t = res->trace;
    size_t cap = cap_of(res);
    size_t rest = 6 * (t->out_len + t->err_len + res->cc_len) + (64u << 10);
    return cap > rest + (64u << 10) ? cap - rest : (64u << 10);
}

static enum tr_enc_style style_of(const struct tr_request *r)
{
    return r->format == TR_FMT_OPT ? TR_ENC_OPT : TR_ENC_SEEPP;
}

/* The trace and traceContent of res->trace within its budget, into p. */
static int encode_pair(const struct tr_result *res, enum tr_enc_style style,
                       struct tr_enc_pair *p)
{
    const struct tr_trace *t = res->trace;
    memset(p, 0, sizeof *p);
    p->of = t;
    p->style = style;
    p->cap = cap_of(res);
    p->budget = budget_of(res);
    p->tc.limit = p->cap;
    p->trace = tr_enc_trace(t, style, p->budget, &p->n, &p->tc);
    if (!p->trace)
        return -1;
    /* for See++'s unchanged backend, which parses this text itself; in
       what is left of the budget, so the whole response stays within it.
       Written escaped, as the JSON string it goes into: the cap counts
       the bytes sent, and no pass over 10 MB looks for quotes again. */
    size_t left = p->n < p->budget ? p->budget - p->n : 0;
    p->content = tr_enc_vgtrace_with(t, left > (8u << 10) ? left : (8u << 10), &p->cn, &p->vc,
                                     TR_VG_JSON);
    if (!p->content) {
        free(p->trace);
        p->trace = NULL;
        return -1;
    }
    return 0;
}

int tr_enc_response_prepare(struct tr_result *res, const struct tr_request *r)
{
    tr_enc_response_unprepare(res);
    if (!res->ok || !res->trace)
        return 0;
    struct tr_enc_pair *p = malloc(sizeof *p);
    if (!p || encode_pair(res, style_of(r), p) != 0) {
        free(p);
        return -1;
    }
    res->pre_enc = p;
    return 0;
}

void tr_enc_response_unprepare(struct tr_result *res)
{
    if (!res->pre_enc)
        return;
    free(res->pre_enc->trace);
    free(res->pre_enc->content);
    free(res->pre_enc);
    res->pre_enc = NULL;
}

char *tr_enc_response(const struct tr_result *res, const struct tr_request *r,
                      const char *cache_key, size_t *len, int *cut)
{
    const struct tr_trace *t = res->trace;
    cJSON *o = cJSON_CreateObject(), *head = NULL;
    char *trace_text = NULL, *text = NULL;
    int bad = 0;
    if (!o)
        return NULL;
    bad |= put(o, "cached", cJSON_CreateFalse());
    bad |= put(o, "success", cJSON_CreateBool(res->ok));
    bad |= put(o, "ccStdout", cJSON_CreateString(""));
    bad |= put(o, "ccStderr", clean_string(res->cc_output, res->cc_len));
    bad |= put(o, "stdout", clean_string(t ? t->out : NULL, t ? t->out_len : 0));
    bad |= put(o, "stderr", clean_string(t ? t->err : NULL, t ? t->err_len : 0));
    bad |= put(o, "stdoutTruncated", cJSON_CreateBool(t && t->out_truncated));
    bad |= put(o, "stderrTruncated", cJSON_CreateBool(t && t->err_truncated));
    bad |= put(o, "exitCode", t && t->exit_code >= 0 ? cJSON_CreateNumber(t->exit_code)
                                                     : cJSON_CreateNull());
    bad |= put(o, "signal", t && t->signo ? cJSON_CreateString(signal_name(t->signo))
                                          : cJSON_CreateNull());
    /* The trace and traceContent are encoded first: when the budget cuts
       either, the outcome and message say so instead of the run's. */
    char *content = NULL, cut_msg[300] = "";
    size_t n = 0, cn = 0;
    if (res->ok && t) {
        struct tr_enc_pair own = {0}, *p = res->pre_enc;
        /* made while memcheck mode waited for Valgrind (tr_enc_response_prepare),
           valid while the trace is the one it was made from */
        if (!p || !p->trace || p->of != t || p->style != style_of(r) ||
            p->budget != budget_of(res))
            p = encode_pair(res, style_of(r), &own) == 0 ? &own : NULL;
        if (!p)
            goto fail;
        /* ours now (the first response made from a prepared pair takes it) */
        trace_text = p->trace;
        n = p->n;
        content = p->content;
        cn = p->cn;
        p->trace = p->content = NULL;
        if (p->tc.kept < p->tc.total)
            tr_enc_cut_text(cut_msg, sizeof cut_msg, "trace", p->tc.kept, p->tc.total,
                            p->cap);
        /* traceContent gets what the trace leaves: cut alone, it does not
           change the outcome of the trace, but says so beside it */
        if (p->vc.kept < p->vc.total) {
            char msg[300];
            tr_enc_cut_text(msg, sizeof msg, "traceContent", p->vc.kept, p->vc.total, p->cap);
            cJSON *c = cJSON_CreateObject();
            bad |= put(o, "traceContentCut", c);
            if (c && (!cJSON_AddNumberToObject(c, "records", (double)p->vc.kept) ||
                      !cJSON_AddNumberToObject(c, "of", (double)p->vc.total) ||
                      !cJSON_AddStringToObject(c, "message", msg)))
                bad = 1;
        }
    }
    if (cut && cut_msg[0])
        *cut = 1;
    const char *outcome = !res->ok && t ? "tracer_error"
                          : cut_msg[0]  ? tr_outcome_name(TR_OUT_OUTPUT_LIMIT)
                                        : tr_outcome_name(t ? t->outcome : TR_OUT_OK);
    bad |= put(o, "outcome", cJSON_CreateString(outcome));
    if (cut_msg[0])
        bad |= put(o, "message", cJSON_CreateString(cut_msg));
    else if (t && t->end_message)
        bad |= put(o, "message", cJSON_CreateString(t->end_message));
    /* the members after trace and traceContent: a second object, so the
       two big texts are copied once, between the two, never through cJSON */
    cJSON *o2 = cJSON_CreateObject();
    if (!o2)
        goto fail;
    head = o;
    o = o2;
    bad |= put(o, "memcheck", tr_enc_memcheck(res, r));
    bad |= put(o, "engine", res->engine ? cJSON_CreateString(res->engine) : cJSON_CreateNull());
    /* which isolation this run had (security.md: say what was active) */
    cJSON *sb = cJSON_CreateObject();
    bad |= put(o, "sandbox", sb);
    if (sb) {
        cJSON_AddBoolToObject(sb, "seccomp", res->sandbox.seccomp);
        cJSON_AddBoolToObject(sb, "netns", res->sandbox.netns);
        cJSON_AddBoolToObject(sb, "mountns", res->sandbox.mountns);
        cJSON_AddBoolToObject(sb, "pidns", res->sandbox.pidns);
        cJSON_AddBoolToObject(sb, "landlock", res->sandbox.landlock);
        cJSON_AddBoolToObject(sb, "createWatch", res->sandbox.watch);
        if (res->sandbox.uid >= 0)
            cJSON_AddNumberToObject(sb, "uid", (double)res->sandbox.uid);
        else
            cJSON_AddNullToObject(sb, "uid");
        cJSON_AddBoolToObject(sb, "rlimits", 1);
        cJSON_AddNumberToObject(sb, "nproc", res->sandbox.nproc);
        cJSON_AddNumberToObject(sb, "leftover", res->sandbox.leftover);
    }
    bad |= put(o, "cacheKey", cache_key ? cJSON_CreateString(cache_key) : cJSON_CreateNull());
    cJSON *tm = cJSON_CreateObject();
    bad |= put(o, "timingsMs", tm);
    if (tm) {
        cJSON_AddNumberToObject(tm, "compile", res->ms_compile);
        cJSON_AddNumberToObject(tm, "trace", res->ms_trace);
        cJSON_AddNumberToObject(tm, "memcheck", res->ms_memcheck);
        cJSON_AddNumberToObject(tm, "total", res->ms_total);
    }
    bad |= put(o, "usedPch", cJSON_CreateBool(res->used_pch));
    bad |= put(o, "version", cJSON_CreateString("spp-trace " SPP_VERSION));
    if (!res->ok)
        bad |= put(o, "error", cJSON_CreateString(res->error[0] ? res->error
                                                                : "no trace was produced"));
    if (bad)
        goto fail;
    text = assemble(head, o, res->ok && t ? trace_text : NULL, n, res->ok && t ? content : "",
                    cn, len);
    free(trace_text);
    free(content);
    cJSON_Delete(head);
    cJSON_Delete(o);
    return text;
fail:
    free(trace_text);
    free(content);
    cJSON_Delete(head);
    cJSON_Delete(o);
    return NULL;
}

char *tr_enc_error_response(const char *msg, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddFalseToObject(o, "cached") && cJSON_AddFalseToObject(o, "success") &&
        cJSON_AddStringToObject(o, "error", msg))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text)
        *len = strlen(text);
    return text;
}

char *tr_response_member(const char *json, size_t len, const char *key, size_t *outlen)
{
    cJSON *o = cJSON_ParseWithLength(json, len);
    char *text = NULL;
    const cJSON *m = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (m)
        text = cJSON_IsString(m) ? strdup(m->valuestring) : cJSON_PrintUnformatted(m);
    cJSON_Delete(o);
    if (text)
        *outlen = strlen(text);
    return text;
}
