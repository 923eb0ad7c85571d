/*
 * enc_memcheck.c - the response's "memcheck" object: what memcheck found in
 * the whole run, beside the trace whose steps carry the same findings.
 *
 *   { "ran": bool, "note": "...",
 *     "errors": [ {"step": index in `trace` (null: at exit), "line",
 *                  "function", "kind", "message", "stack": [{function,
 *                  line}], "address"?, "size"?, "block"?, "allocatedAt"?,
 *                  "freedAt"?} ],
 *     "leaks": { "definitelyLostBytes", "definitelyLostBlocks",
 *                "indirectlyLostBytes", "indirectlyLostBlocks",
 *                "possiblyLostBytes", "possiblyLostBlocks",
 *                "records": [ {"bytes", "blocks", "kind", "message",
 *                              "stack": [{function, line}]} ] } }
 *
 * A step index counts the steps the seepp/opt trace shows (hidden steps
 * are left out of it). A definite leak's bytes are its own block's, not
 * those reachable only through it (those are counted as indirect), as in
 * memcheck's LEAK SUMMARY.
 */
#include "tracer/enc_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "tracer/model.h"
#include "tracer/request.h"
#include "tracer/result.h"

static cJSON *frames_json(const struct tr_mc_frame *f, uint32_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (uint32_t i = 0; arr && f && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddStringToObject(o, "function", f[i].func ? f[i].func : "");
        cJSON_AddNumberToObject(o, "line", f[i].line);
    }
    return arr;
}

static int add_frames(cJSON *o, const char *key, const struct tr_mc_frame *f, uint32_t n)
{
    cJSON *a = frames_json(f, n);
    return a && cJSON_AddItemToObject(o, key, a) ? 0 : (cJSON_Delete(a), -1);
}

static int is_leak(const struct tr_mc_error *e)
{
    return e->kind && strncmp(e->kind, "Leak_", 5) == 0;
}

static int add_error(cJSON *arr, const struct tr_mc_error *e, const struct tr_step *s, long step)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return -1;
    }
    if (step >= 0)
        cJSON_AddNumberToObject(o, "step", (double)step);
    else
        cJSON_AddNullToObject(o, "step");
    if (s) {
        cJSON_AddNumberToObject(o, "line", s->line);
        cJSON_AddStringToObject(o, "function", s->func_name ? s->func_name : "");
    } else if (e->nstack) {
        cJSON_AddNumberToObject(o, "line", e->stack[0].line);
        cJSON_AddStringToObject(o, "function", e->stack[0].func ? e->stack[0].func : "");
    }
    cJSON_AddStringToObject(o, "kind", e->kind ? e->kind : "");
    cJSON_AddStringToObject(o, "message", e->message ? e->message : "");
    if (add_frames(o, "stack", e->stack, e->nstack))
        return -1;
    if (e->addr) {
        char a[24];
        snprintf(a, sizeof a, "0x%llX", (unsigned long long)e->addr);
        cJSON_AddStringToObject(o, "address", a);
    }
    if (e->size)
        cJSON_AddNumberToObject(o, "size", (double)e->size);
    if (e->block)
        cJSON_AddStringToObject(o, "block", e->block);
    if (e->nalloc && add_frames(o, "allocatedAt", e->alloc, e->nalloc))
        return -1;
    if (e->nfreed && add_frames(o, "freedAt", e->freed, e->nfreed))
        return -1;
    return 0;
}

static cJSON *leaks_json(const struct tr_trace *t)
{
    double def_b = 0, def_n = 0, ind_b = 0, ind_n = 0, pos_b = 0, pos_n = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON *recs = o ? cJSON_CreateArray() : NULL;
    if (!recs) {
        cJSON_Delete(o);
        return NULL;
    }
    for (uint32_t i = 0; t && i < t->nend_errors; i++) {
        const struct tr_mc_error *e = &t->end_errors[i];
        if (!is_leak(e))
            continue;
        if (strcmp(e->kind, "Leak_DefinitelyLost") == 0) {
            def_b += (double)e->size;
            def_n += (double)e->blocks;
        } else if (strcmp(e->kind, "Leak_IndirectlyLost") == 0) {
            ind_b += (double)e->size;
            ind_n += (double)e->blocks;
        } else if (strcmp(e->kind, "Leak_PossiblyLost") == 0) {
            pos_b += (double)e->size;
            pos_n += (double)e->blocks;
        }
        cJSON *r = cJSON_CreateObject();
        if (!r || !cJSON_AddItemToArray(recs, r)) {
            cJSON_Delete(r);
            goto fail;
        }
        cJSON_AddNumberToObject(r, "bytes", (double)e->size);
        cJSON_AddNumberToObject(r, "blocks", (double)e->blocks);
        cJSON_AddStringToObject(r, "kind", e->kind);
        cJSON_AddStringToObject(r, "message", e->message ? e->message : "");
        if (add_frames(r, "stack", e->alloc ? e->alloc : e->stack,
                       e->alloc ? e->nalloc : e->nstack))
            goto fail;
    }
    cJSON_AddNumberToObject(o, "definitelyLostBytes", def_b);
    cJSON_AddNumberToObject(o, "definitelyLostBlocks", def_n);
    cJSON_AddNumberToObject(o, "indirectlyLostBytes", ind_b);
    cJSON_AddNumberToObject(o, "indirectlyLostBlocks", ind_n);
    cJSON_AddNumberToObject(o, "possiblyLostBytes", pos_b);
    cJSON_AddNumberToObject(o, "possiblyLostBlocks", pos_n);
    cJSON_AddItemToObject(o, "records", recs);
    return o;
fail:
    cJSON_Delete(recs);
    cJSON_Delete(o);
    return NULL;
}

cJSON *tr_enc_memcheck(const struct tr_result *res, const struct tr_request *r)
{
    const struct tr_trace *t = res->trace;
    cJSON *mc = cJSON_CreateObject();
    cJSON *errs = mc ? cJSON_AddArrayToObject(mc, "errors") : NULL;
    if (!errs)
        goto fail;
    cJSON_AddBoolToObject(mc, "ran", res->memcheck_ran);
    long visible = 0;
    for (size_t i = 0; t && i < t->nsteps; i++) {
        const struct tr_step *s = &t->steps[i];
        for (uint32_t k = 0; k < s->nmc; k++)
            if (add_error(errs, &s->mc[k], s, s->hidden ? -1 : visible))
                goto fail;
        if (!s->hidden)
            visible++;
    }
    for (uint32_t i = 0; t && i < t->nend_errors; i++)
        if (!is_leak(&t->end_errors[i]) && add_error(errs, &t->end_errors[i], NULL, -1))
            goto fail;
    cJSON *lk = leaks_json(t);
    if (!lk)
        goto fail;
    cJSON_AddItemToObject(mc, "leaks", lk);
    const char *note = res->memcheck_note;
    if (!note)
        note = !r->memcheck        ? "memcheck was not requested"
               : res->memcheck_ran ? "memcheck ran on the same program beside the trace"
               : !res->compiled    ? "memcheck did not run: the program was not built"
                                   : "memcheck did not run";
    cJSON_AddStringToObject(mc, "note", note);
    return mc;
fail:
    cJSON_Delete(mc);
    return NULL;
}
