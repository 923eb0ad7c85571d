/*
 * request.c - parse and validate a trace request, and its canonical text.
 *
 * The request is hostile input: every field's type and range is checked and
 * the first problem is reported by name. Unknown fields are ignored (See++
 * sends extra ones), but a known field of the wrong type is an error.
 */
#include "tracer/request.h"
#include "tracer/sandbox.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_request_init(struct tr_request *r)
{
    memset(r, 0, sizeof *r);
    r->lang = TR_LANG_CXX;
    r->memcheck = 1;
    r->max_steps = TR_MAX_STEPS_DEF;
    r->format = TR_FMT_SEEPP;
}

void tr_request_free(struct tr_request *r)
{
    if (!r)
        return;
    free(r->code);
    free(r->stdin_data);
    r->code = r->stdin_data = NULL;
}

static int bad(char *errbuf, const char *msg)
{
    snprintf(errbuf, TR_ERRBUF_LEN, "%s", msg);
    return 0;
}

/* A JSON string's bytes: cJSON stops at NUL, which valid UTF-8 source may
   not contain anyway; we reject embedded NULs by length comparison. */
static int get_string(const cJSON *o, const char *key, char **out, size_t *len, size_t max,
                      char *errbuf)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 1;
    if (!cJSON_IsString(v) || !v->valuestring) {
        snprintf(errbuf, TR_ERRBUF_LEN, "\"%s\" must be a string", key);
        return 0;
    }
    size_t n = strlen(v->valuestring);
    if (n > max) {
        snprintf(errbuf, TR_ERRBUF_LEN, "\"%s\" is %zu bytes; the limit is %zu bytes", key, n,
                 max);
        return 0;
    }
    char *s = malloc(n + 1);
    if (!s)
        return bad(errbuf, "out of memory");
    memcpy(s, v->valuestring, n + 1);
    free(*out);
    *out = s;
    *len = n;
    return 1;
}

static int get_bool(const cJSON *o, const char *key, int *out, char *errbuf)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 1;
    if (!cJSON_IsBool(v)) {
        snprintf(errbuf, TR_ERRBUF_LEN, "\"%s\" must be true or false", key);
        return 0;
    }
    *out = cJSON_IsTrue(v);
    return 1;
}

static int get_int(const cJSON *o, const char *key, int *out, int lo, int hi, char *errbuf)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 1;
    /* Range first: converting an out-of-range double (1e400 is inf) to an
       integer is undefined; NaN fails every comparison. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(int)v->valuedouble) {
        snprintf(errbuf, TR_ERRBUF_LEN, "\"%s\" must be an integer from %d to %d", key, lo, hi);
        return 0;
    }
    *out = (int)v->valuedouble;
    return 1;
}

static int get_enum(const cJSON *o, const char *key, const char *const *names, const int *vals,
                    size_t n, int *out, char *errbuf)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 1;
    if (cJSON_IsString(v) && v->valuestring) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v->valuestring, names[i]) == 0) {
                *out = vals[i];
                return 1;
            }
        }
    }
    char list[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        int k = snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    snprintf(errbuf, TR_ERRBUF_LEN, "\"%s\" must be one of %s", key, list);
    return 0;
}

enum tr_err tr_request_parse(const char *json, size_t len, struct tr_request *out, char *errbuf)
{
    static const char *const lang_names[] = {"c++", "cpp", "c"};
    static const int lang_vals[] = {TR_LANG_CXX, TR_LANG_CXX, TR_LANG_C};
    static const char *const fmt_names[] = {"seepp", "opt"};
    static const int fmt_vals[] = {TR_FMT_SEEPP, TR_FMT_OPT};
    struct tr_request r;
    int lang = TR_LANG_CXX, fmt = TR_FMT_SEEPP;
    enum tr_err rc = TR_ERR_BADREQ;

    tr_request_init(&r);
    if (!json || len == 0) {
        bad(errbuf, "the request body is empty; expected a JSON object with \"code\"");
        return TR_ERR_BADREQ;
    }
    if (len > TR_CODE_MAX + TR_STDIN_MAX + 4096) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the request is %zu bytes; the limit is %u bytes", len,
                 TR_CODE_MAX + TR_STDIN_MAX + 4096);
        return TR_ERR_BADREQ;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!o) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the request is not valid JSON (near byte %zu)",
                 end ? (size_t)(end - json) : (size_t)0);
        return TR_ERR_BADREQ;
    }
    if (!cJSON_IsObject(o)) {
        bad(errbuf, "the request must be a JSON object");
        goto out;
    }
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
    if (!code || cJSON_IsNull(code)) {
        bad(errbuf, "\"code\" is missing");
        goto out;
    }
    if (!get_string(o, "code", &r.code, &r.code_len, TR_CODE_MAX, errbuf))
        goto out;
    if (r.code_len == 0 || strspn(r.code, " \t\r\n") == r.code_len) {
        bad(errbuf, "\"code\" is empty");
        goto out;
    }
    if (!get_enum(o, "language", lang_names, lang_vals, 3, &lang, errbuf) ||
        !get_string(o, "stdin", &r.stdin_data, &r.stdin_len, TR_STDIN_MAX, errbuf) ||
        !get_bool(o, "memcheck", &r.memcheck, errbuf) ||
        !get_int(o, "maxSteps", &r.max_steps, TR_MAX_STEPS_MIN, TR_MAX_STEPS_MAX, errbuf) ||
        !get_enum(o, "format", fmt_names, fmt_vals, 2, &fmt, errbuf) ||
        !get_bool(o, "preprocessed", &r.preprocessed, errbuf) ||
        !get_int(o, "timeoutMs", &r.timeout_ms, 1, TR_LIMIT_WALL_MEMCHECK_MS, errbuf))
        goto out;
    r.lang = (enum tr_lang)lang;
    r.format = (enum tr_format)fmt;
    *out = r;
    memset(&r, 0, sizeof r);
    rc = TR_OK;
out:
    tr_request_free(&r);
    cJSON_Delete(o);
    return rc;
}

char *tr_request_canonical(const struct tr_request *r)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (!o)
        return NULL;
    /* Fixed key order; every field that changes the result. */
    if (!cJSON_AddStringToObject(o, "code", r->code ? r->code : "") ||
        !cJSON_AddStringToObject(o, "language", r->lang == TR_LANG_C ? "c" : "c++") ||
        !cJSON_AddStringToObject(o, "stdin", r->stdin_data ? r->stdin_data : "") ||
        !cJSON_AddBoolToObject(o, "hasStdin", r->stdin_data != NULL) ||
        !cJSON_AddBoolToObject(o, "memcheck", r->memcheck) ||
        !cJSON_AddNumberToObject(o, "maxSteps", r->max_steps) ||
        !cJSON_AddStringToObject(o, "format", r->format == TR_FMT_OPT ? "opt" : "seepp") ||
        !cJSON_AddNumberToObject(o, "timeoutMs", r->timeout_ms))
        goto out;
    text = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    if (!text)
        return NULL;
    /* cJSON_free and free are the same allocator unless hooks are set;
       copy so the caller's free() contract holds either way. */
    char *copy = strdup(text);
    cJSON_free(text);
    return copy;
}
