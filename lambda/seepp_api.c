/*
 * seepp_api.c - See++'s frontend request in, its ProgramTrace out (see
 * seepp_api.h).
 *
 * The trace is re-read with cJSON to shift its lines. Numbers beyond 2^53
 * are re-printed as doubles; the frontend parses with JSON.parse, which
 * reads them as the same doubles either way.
 */
#include "lambda/seepp_api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/err.h"

/* cJSON's text as a malloc'd copy the caller frees with free(). */
static char *print_copy(const cJSON *o, size_t *outlen)
{
    char *text = cJSON_PrintUnformatted(o);
    char *copy = text ? strdup(text) : NULL;
    cJSON_free(text);
    if (copy)
        *outlen = strlen(copy);
    return copy;
}

char *lam_seepp_request(const char *body, size_t len, size_t *outlen, char *errbuf)
{
    errbuf[0] = '\0';
    cJSON *o = cJSON_ParseWithLength(body ? body : "", len);
    if (!o || !cJSON_IsObject(o)) {
        snprintf(errbuf, LAM_ERRBUF_LEN,
                 "the request must be a JSON object with \"code\" (See++'s POST /api/run)");
        cJSON_Delete(o);
        return NULL;
    }
    /* the frontend validates a seepp ProgramTrace: no other format */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "format");
    char *text = print_copy(o, outlen);
    cJSON_Delete(o);
    return text;
}

static void shift(cJSON *o)
{
    cJSON *line = cJSON_GetObjectItemCaseSensitive(o, "line");
    /* line 0 (a compile error's step) stays 0: the frontend clamps at 0 */
    if (cJSON_IsNumber(line) && line->valuedouble > 0)
        cJSON_SetNumberValue(line, line->valuedouble + 1);
}

char *lam_seepp_trace(const char *response, size_t len, size_t *outlen, char *errbuf)
{
    errbuf[0] = '\0';
    cJSON *r = cJSON_ParseWithLength(response, len);
    if (!r)
        return NULL; /* our own tracer's response: only memory can fail */
    char *text = NULL;
    cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(r, "trace");
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(t, "trace");
    if (!cJSON_IsObject(t) || !cJSON_IsArray(steps)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
        snprintf(errbuf, LAM_ERRBUF_LEN, "%s",
                 cJSON_IsString(e) ? e->valuestring : "no trace was produced");
        goto out;
    }
    cJSON *s;
    cJSON_ArrayForEach(s, steps)
    {
        shift(s);
        cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "stackToRender")) shift(f);
    }
    text = print_copy(t, outlen);
out:
    cJSON_Delete(t);
    cJSON_Delete(r);
    return text;
}
