/*
 * enc_trace.c - the trace as JSON: See++'s ProgramTrace (camelCase) or
 * Python Tutor's trace (snake_case). Same values, different key names, so
 * one encoder with a table of names.
 *
 * Steps are printed one at a time and joined, so a huge trace never exists
 * as one cJSON tree and the size cap is exact: the step that would cross it
 * is not added, and the last one kept is re-marked as the limit step.
 *
 * From one step to the next most values do not change (a 200-node list
 * shows 200 blocks at every step, one of them new), so the text of each
 * variable's and heap block's value is kept from the previous step and
 * reused when the value is equal: comparing two value trees is far
 * cheaper than printing them. Steps and values are written straight into
 * the text (enc_json.c), not built as cJSON trees, which cost more than
 * tracing the program; `reference` (tr_enc_trace_with) prints values
 * through cJSON and reuses nothing: the straightforward encoder the fast
 * one must match byte for byte (tests/unit/enc_reuse.c).
 */
#include "tracer/enc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/delta.h"
#include "tracer/enc_int.h"
#include "tracer/text.h"

struct names {
    const char *func_name, *stack, *frame_id, *unique_hash, *ordered_vars, *locals,
        *highlighted, *is_parent, *is_zombie, *parent_ids, *globals, *ordered_globals,
        *exception_msg, *memcheck_errors, *exit_code, *build_output, *heap_new, *heap_freed;
    const char *ev[6]; /* indexed by enum tr_event */
};

static const struct names seepp_names = {
    "funcName", "stackToRender", "frameId", "uniqueHash", "orderedVarNames", "encodedLocals",
    "isHighlighted", "isParent", "isZombie", "parentFrameIdList", "globals", "orderedGlobals",
    "exceptionMsg", "memcheckErrors", "exitCode", "buildOutput", "heapNew", "heapFreed",
    {"call", "stepLine", "return", "exception", "instruction_limit_reached",
     "uncaughtException"}};

static const struct names opt_names = {
    "func_name", "stack_to_render", "frame_id", "unique_hash", "ordered_varnames",
    "encoded_locals", "is_highlighted", "is_parent", "is_zombie", "parent_frame_id_list",
    "globals", "ordered_globals", "exception_msg", "memcheck_errors", "exit_code",
    "build_output", "heap_new", "heap_freed",
    {"call", "step_line", "return", "exception", "instruction_limit_reached",
     "uncaught_exception"}};

static cJSON *addr_str(tr_addr a)
{
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llX", (unsigned long long)a);
    return cJSON_CreateString(buf);
}

static int add(cJSON *arr, cJSON *item)
{
    if (!item)
        return -1;
    cJSON_AddItemToArray(arr, item);
    return 0;
}

static cJSON *value_json(const struct tr_value *v)
{
    cJSON *a = cJSON_CreateArray();
    if (!a)
        return NULL;
    int bad = 0;
    switch (v->kind) {
    case TR_V_SCALAR:
        bad |= add(a, cJSON_CreateString("C_DATA"));
        bad |= add(a, addr_str(v->addr));
        bad |= add(a, cJSON_CreateString(v->type ? v->type : "?"));
        bad |= add(a, tr_enc_scalar(v));
        break;
    case TR_V_POINTER:
    case TR_V_REF:
        bad |= add(a, cJSON_CreateString("C_DATA"));
        bad |= add(a, addr_str(v->addr));
        bad |= add(a, cJSON_CreateString(v->kind == TR_V_POINTER ? "pointer" : "ref"));
        bad |= add(a, cJSON_CreateString(v->text ? v->text : "0x0"));
        bad |= add(a, cJSON_CreateString(v->type ? v->type : "void*"));
        break;
    case TR_V_STRUCT:
        bad |= add(a, cJSON_CreateString("C_STRUCT"));
        bad |= add(a, addr_str(v->addr));
        bad |= add(a, cJSON_CreateString(v->type ? v->type : "?"));
        for (uint32_t i = 0; i < v->nkids && !bad; i++) {
            cJSON *pair = cJSON_CreateArray();
            bad |= add(a, pair);
            if (!bad) {
                bad |= add(pair, cJSON_CreateString(v->kids[i]->name ? v->kids[i]->name : "?"));
                bad |= add(pair, value_json(v->kids[i]));
            }
        }
        break;
    case TR_V_ARRAY:
    case TR_V_MDARRAY:
        bad |= add(a, cJSON_CreateString(v->kind == TR_V_ARRAY ? "C_ARRAY"
                                                               : "C_MULTIDIMENSIONAL_ARRAY"));
        bad |= add(a, addr_str(v->addr));
        if (v->kind == TR_V_MDARRAY) {
            cJSON *dims = cJSON_CreateArray();
            bad |= add(a, dims);
            for (uint32_t i = 0; i < v->ndims && !bad; i++)
                bad |= add(dims, cJSON_CreateNumber(v->dims[i]));
        }
        for (uint32_t i = 0; i < v->nkids && !bad; i++)
            bad |= add(a, value_json(v->kids[i]));
        break;
    }
    if (bad) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

/* ---- the previous step's value texts -------------------------------------- */

struct memo {
    const struct tr_value *v; /* NULL: nothing kept */
    char *text;               /* its JSON (malloc'd); NULL once reused */
    size_t len;
};

/* The values of one frame (id: its frameId), of the globals or of the heap
   (sorted by address, as a step's heap is). */
struct memo_set {
    tr_addr id;
    struct memo *m;
    uint32_t n;
};

struct memo_step {
    struct memo_set *frames;
    uint32_t nframes;
    struct memo_set globals, heap;
    char *out;       /* the step's "stdout" as a JSON string (malloc'd) */
    size_t out_len;
    size_t out_of;   /* for this many bytes of the program's output */
    int reference;   /* the reference encoder: cJSON, nothing reused */
};

static void memo_set_free(struct memo_set *ms)
{
    for (uint32_t i = 0; ms->m && i < ms->n; i++)
        free(ms->m[i].text);
    free(ms->m);
    *ms = (struct memo_set){0};
}

static void memo_step_free(struct memo_step *st)
{
    for (uint32_t i = 0; i < st->nframes; i++)
        memo_set_free(&st->frames[i]);
    free(st->frames);
    memo_set_free(&st->globals);
    memo_set_free(&st->heap);
    free(st->out);
    *st = (struct memo_step){.reference = st->reference};
}

/* v's JSON appended to b, as value_json prints it. */
static int value_put(struct tr_enc_buf *b, const struct tr_value *v)
{
    int bad = 0;
    switch (v->kind) {
    case TR_V_SCALAR:
        bad |= TR_ENC_LIT(b, "[\"C_DATA\",") || tr_enc_buf_addr(b, v->addr) ||
               TR_ENC_LIT(b, ",") || tr_enc_buf_str(b, v->type ? v->type : "?") ||
               TR_ENC_LIT(b, ",") || tr_enc_scalar_put(b, v);
        break;
    case TR_V_POINTER:
    case TR_V_REF:
        bad |= TR_ENC_LIT(b, "[\"C_DATA\",") || tr_enc_buf_addr(b, v->addr) ||
               (v->kind == TR_V_POINTER ? TR_ENC_LIT(b, ",\"pointer\",")
                                        : TR_ENC_LIT(b, ",\"ref\",")) ||
               tr_enc_buf_str(b, v->text ? v->text : "0x0") || TR_ENC_LIT(b, ",") ||
               tr_enc_buf_str(b, v->type ? v->type : "void*");
        break;
    case TR_V_STRUCT:
        bad |= TR_ENC_LIT(b, "[\"C_STRUCT\",") || tr_enc_buf_addr(b, v->addr) ||
               TR_ENC_LIT(b, ",") || tr_enc_buf_str(b, v->type ? v->type : "?");
        for (uint32_t i = 0; i < v->nkids && !bad; i++)
            bad |= TR_ENC_LIT(b, ",[") ||
                   tr_enc_buf_str(b, v->kids[i]->name ? v->kids[i]->name : "?") ||
                   TR_ENC_LIT(b, ",") || value_put(b, v->kids[i]) ||
                   TR_ENC_LIT(b, "]");
        break;
    case TR_V_ARRAY:
    case TR_V_MDARRAY:
        bad |= (v->kind == TR_V_ARRAY
                    ? TR_ENC_LIT(b, "[\"C_ARRAY\",")
                    : TR_ENC_LIT(b, "[\"C_MULTIDIMENSIONAL_ARRAY\",")) ||
               tr_enc_buf_addr(b, v->addr);
        if (v->kind == TR_V_MDARRAY) {
            bad |= TR_ENC_LIT(b, ",[");
            for (uint32_t i = 0; i < v->ndims && !bad; i++)
                bad |= (i && TR_ENC_LIT(b, ",")) || tr_enc_buf_num(b, v->dims[i]);
            bad |= TR_ENC_LIT(b, "]");
        }
        for (uint32_t i = 0; i < v->nkids && !bad; i++)
            bad |= TR_ENC_LIT(b, ",") || value_put(b, v->kids[i]);
        break;
    }
    return bad || TR_ENC_LIT(b, "]") ? -1 : 0;
}

/* The text of v into *out: the previous step's text of the same slot when
   v equals its value (taken from it), else freshly printed (through cJSON
   for the reference encoder). */
static int value_text(const struct tr_value *v, struct memo *prev, struct memo *out,
                      int reference)
{
    out->v = v;
    if (!reference && prev && prev->v && prev->text && tr_enc_same_value(prev->v, v)) {
        out->text = prev->text;
        out->len = prev->len;
        prev->text = NULL;
        return 0;
    }
    if (reference) {
        cJSON *j = value_json(v);
        char *t = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        out->text = t ? strdup(t) : NULL;
        cJSON_free(t);
        out->len = out->text ? strlen(out->text) : 0;
        return out->text ? 0 : -1;
    }
    struct tr_enc_buf b = {0};
    if (value_put(&b, v) != 0) {
        free(b.p);
        return -1;
    }
    out->text = b.p;
    out->len = b.len;
    return 0;
}

static int memo_set_new(struct memo_set *ms, tr_addr id, uint32_t n)
{
    *ms = (struct memo_set){id, calloc(n ? n : 1, sizeof *ms->m), n};
    return ms->m ? 0 : -1;
}

/* The shown variables as a JSON object of their values. Each value's text
   goes to cur (n slots, by position), reused from prev when equal. */
static int vars_put(struct tr_enc_buf *b, const struct tr_var *vars, uint32_t n,
                    struct memo_set *prev, struct memo_set *cur, int reference)
{
    int bad = TR_ENC_LIT(b, "{"), first = 1;
    for (uint32_t i = 0; i < n && !bad; i++) {
        if (!tr_enc_var_shown(vars, i))
            continue;
        struct memo *was = prev && i < prev->n ? &prev->m[i] : NULL;
        bad |= value_text(vars[i].value, was, &cur->m[i], reference) ||
               (!first && TR_ENC_LIT(b, ",")) || tr_enc_buf_str(b, vars[i].name) ||
               TR_ENC_LIT(b, ":") || tr_enc_buf_put(b, cur->m[i].text, cur->m[i].len);
        first = 0;
    }
    return bad || TR_ENC_LIT(b, "}") ? -1 : 0;
}

static cJSON *mc_json(const struct tr_mc_error *e, uint32_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (uint32_t i = 0; arr && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (add(arr, o))
            goto fail;
        cJSON_AddStringToObject(o, "kind", e[i].kind ? e[i].kind : "");
        cJSON_AddStringToObject(o, "message", e[i].message ? e[i].message : "");
        if (e[i].addr)
            cJSON_AddItemToObject(o, "address", addr_str(e[i].addr));
        if (e[i].size)
            cJSON_AddNumberToObject(o, "size", (double)e[i].size);
        if (e[i].block)
            cJSON_AddStringToObject(o, "block", e[i].block);
        cJSON *st = cJSON_AddArrayToObject(o, "stack");
        for (uint32_t k = 0; st && k < e[i].nstack; k++) {
            cJSON *f = cJSON_CreateObject();
            if (add(st, f))
                goto fail;
            cJSON_AddStringToObject(f, "function", e[i].stack[k].func ? e[i].stack[k].func : "");
            cJSON_AddNumberToObject(f, "line", e[i].stack[k].line);
        }
    }
    return arr;
fail:
    cJSON_Delete(arr);
    return NULL;
}

static int addrs_json(cJSON *o, const char *key, const tr_addr *a, size_t n)
{
    cJSON *arr = n ? cJSON_AddArrayToObject(o, key) : NULL;
    if (n && !arr)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (add(arr, addr_str(a[i])))
            return -1;
    return 0;
}

/* The group a change's path goes into: its frame's names, the globals, its
   block's paths; created on first use. NULL when out of memory. */
static cJSON *group_of(cJSON *o, const struct tr_step *s, const struct tr_change *c,
                       const struct names *N)
{
    char key[24];
    if (c->scope == TR_CHG_GLOBAL) {
        cJSON *g = cJSON_GetObjectItemCaseSensitive(o, N->globals);
        return g ? g : cJSON_AddArrayToObject(o, N->globals);
    }
    if (c->scope == TR_CHG_HEAP) {
        cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "heap");
        if (!h && !(h = cJSON_AddObjectToObject(o, "heap")))
            return NULL;
        snprintf(key, sizeof key, "0x%llX", (unsigned long long)c->block);
        cJSON *b = cJSON_GetObjectItemCaseSensitive(h, key);
        return b ? b : cJSON_AddArrayToObject(h, key);
    }
    const struct tr_frame *f = &s->frames[c->frame];
    snprintf(key, sizeof key, "0x%llX", (unsigned long long)f->frame_id);
    cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "locals");
    if (!l && !(l = cJSON_AddArrayToObject(o, "locals")))
        return NULL;
    cJSON *last = cJSON_GetArrayItem(l, cJSON_GetArraySize(l) - 1);
    cJSON *id = last ? cJSON_GetObjectItemCaseSensitive(last, N->frame_id) : NULL;
    if (id && cJSON_IsString(id) && strcmp(id->valuestring, key) == 0)
        return cJSON_GetObjectItemCaseSensitive(last, "names");
    cJSON *fo = cJSON_CreateObject();
    if (add(l, fo) || !cJSON_AddStringToObject(fo, N->frame_id, key) ||
        !cJSON_AddStringToObject(fo, N->func_name, f->func_name ? f->func_name : ""))
        return NULL;
    return cJSON_AddArrayToObject(fo, "names");
}

/* The step's "changes" (docs/trace-notes.md section 6): paths of what differs
   from the step before, by frame, globals and heap block; a member is absent
   when nothing of its kind changed. */
static cJSON *changes_json(const struct tr_step *prev, const struct tr_step *s,
                           const struct names *N)
{
    struct tr_delta d;
    if (tr_delta_compute(prev, s, &d))
        return NULL;
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < d.n; i++) {
        cJSON *g = group_of(o, s, &d.ch[i], N);
        if (!g || add(g, cJSON_CreateString(d.ch[i].path)))
            goto fail;
    }
    if (!o || addrs_json(o, N->heap_new, d.born, d.nborn) ||
        addrs_json(o, N->heap_freed, d.freed, d.nfreed))
        goto fail;
    tr_delta_free(&d);
    return o;
fail:
    tr_delta_free(&d);
    cJSON_Delete(o);
    return NULL;
}

/* A cJSON item's text appended to b, and the item deleted. */
static int cjson_put(struct tr_enc_buf *b, cJSON *j)
{
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    int rc = t ? tr_enc_buf_put(b, t, strlen(t)) : -1;
    cJSON_free(t);
    cJSON_Delete(j);
    return rc;
}

/* ,"key": appended to b. */
static int key_put(struct tr_enc_buf *b, const char *key)
{
    return TR_ENC_LIT(b, ",") || tr_enc_buf_str(b, key) || TR_ENC_LIT(b, ":")
               ? -1
               : 0;
}

/* One frame of stackToRender; its value texts go to cur, reused from was. */
static int frame_put(struct tr_enc_buf *b, const struct tr_frame *f, int top,
                     const struct names *N, struct memo_set *was, struct memo_set *cur,
                     int reference)
{
    char id[24], hash[300];
    snprintf(id, sizeof id, "0x%llX", (unsigned long long)f->frame_id);
    snprintf(hash, sizeof hash, "%s_%s", f->func_name, id);
    int bad = TR_ENC_LIT(b, "{");
    if (f->func_name) /* cJSON leaves out a NULL string */
        bad |= tr_enc_buf_str(b, N->func_name) || TR_ENC_LIT(b, ":") ||
               tr_enc_buf_str(b, f->func_name) || TR_ENC_LIT(b, ",");
    bad |= tr_enc_buf_str(b, N->frame_id) || TR_ENC_LIT(b, ":") ||
           tr_enc_buf_str(b, id) || key_put(b, N->unique_hash) || tr_enc_buf_str(b, hash) ||
           key_put(b, N->ordered_vars) || tr_enc_names_put(b, f->vars, f->nvars) ||
           key_put(b, N->locals) || vars_put(b, f->vars, f->nvars, was, cur, reference) ||
           key_put(b, N->highlighted) ||
           (top ? TR_ENC_LIT(b, "true") : TR_ENC_LIT(b, "false")) ||
           TR_ENC_LIT(b, ",\"line\":") || tr_enc_buf_num(b, f->line) ||
           key_put(b, N->is_parent) || TR_ENC_LIT(b, "false") ||
           key_put(b, N->is_zombie) || TR_ENC_LIT(b, "false") ||
           key_put(b, N->parent_ids) || TR_ENC_LIT(b, "[]}");
    return bad ? -1 : 0;
}

/* The step's JSON appended to b; prev is the step before (for its changes).
   The texts of its values go to cur (empty on entry, the caller frees it),
   reused from mprev (may be NULL) when equal. Key order and text are what
   cJSON printed when the step was a cJSON tree. */
static int step_put(struct tr_enc_buf *b, const struct tr_trace *t, const struct tr_step *prev,
                    const struct tr_step *s, const struct names *N, struct memo_step *mprev,
                    struct memo_step *cur)
{
    int ref = cur->reference;
    cur->frames = calloc(s->nframes ? s->nframes : 1, sizeof *cur->frames);
    if (!cur->frames)
        return -1;
    int bad = TR_ENC_LIT(b, "{\"event\":") || tr_enc_buf_str(b, N->ev[s->event]) ||
              TR_ENC_LIT(b, ",\"line\":") || tr_enc_buf_num(b, s->line) ||
              key_put(b, N->func_name) || tr_enc_buf_str(b, s->func_name ? s->func_name : "") ||
              key_put(b, N->stack) || TR_ENC_LIT(b, "[");
    for (uint32_t i = 0; i < s->nframes && !bad; i++) {
        const struct tr_frame *f = &s->frames[i];
        struct memo_set *was = NULL;
        for (uint32_t k = 0; mprev && k < mprev->nframes && !was; k++)
            if (mprev->frames[k].id == f->frame_id)
                was = &mprev->frames[k];
        if (memo_set_new(&cur->frames[i], f->frame_id, f->nvars) != 0)
            return -1;
        cur->nframes = i + 1;
        bad |= (i && TR_ENC_LIT(b, ",")) ||
               frame_put(b, f, i + 1 == s->nframes, N, was, &cur->frames[i], ref);
    }
    if (bad || TR_ENC_LIT(b, "]") || memo_set_new(&cur->globals, 0, s->nglobals) ||
        key_put(b, N->globals) ||
        vars_put(b, s->globals, s->nglobals, mprev ? &mprev->globals : NULL, &cur->globals,
                 ref) ||
        key_put(b, N->ordered_globals) || tr_enc_names_put(b, s->globals, s->nglobals) ||
        memo_set_new(&cur->heap, 0, s->nheap) || TR_ENC_LIT(b, ",\"heap\":{"))
        return -1;
    /* both steps' heaps are sorted by address: one walk pairs the blocks */
    uint32_t j = 0;
    for (uint32_t i = 0; i < s->nheap; i++) {
        while (mprev && j < mprev->heap.n && mprev->heap.m[j].v->addr < s->heap[i].addr)
            j++;
        struct memo *was = mprev && j < mprev->heap.n ? &mprev->heap.m[j] : NULL;
        struct memo *m = &cur->heap.m[i];
        if (value_text(s->heap[i].value, was, m, ref) || (i && TR_ENC_LIT(b, ",")) ||
            tr_enc_buf_addr(b, s->heap[i].addr) || TR_ENC_LIT(b, ":") ||
            tr_enc_buf_put(b, m->text, m->len))
            return -1;
    }
    /* output grows rarely: its text is the step before's most of the time */
    size_t out_of = t->out ? s->stdout_len : 0;
    if (!ref && mprev && mprev->out && mprev->out_of == out_of) {
        cur->out = mprev->out;
        cur->out_len = mprev->out_len;
        mprev->out = NULL;
    } else {
        char *clean = tr_text_clean(t->out ? t->out : "", out_of, NULL);
        struct tr_enc_buf ob = {0};
        bad = !clean || tr_enc_buf_str(&ob, clean);
        free(clean);
        if (bad) {
            free(ob.p);
            return -1;
        }
        cur->out = ob.p;
        cur->out_len = ob.len;
    }
    cur->out_of = out_of;
    if (TR_ENC_LIT(b, "},\"stdout\":") || tr_enc_buf_put(b, cur->out, cur->out_len))
        return -1;
    if (s->exception_msg &&
        (key_put(b, N->exception_msg) || tr_enc_buf_str(b, s->exception_msg)))
        return -1;
    if (s->nmc && (key_put(b, N->memcheck_errors) || cjson_put(b, mc_json(s->mc, s->nmc))))
        return -1;
    if (s->has_exit_code && (key_put(b, N->exit_code) || tr_enc_buf_num(b, s->exit_code)))
        return -1;
    if (TR_ENC_LIT(b, ",\"changes\":") || cjson_put(b, changes_json(prev, s, N)) ||
        TR_ENC_LIT(b, "}"))
        return -1;
    return 0;
}

/* The step appended to b; memo holds the previous step's value texts on
   entry and this step's on return (NULL: nothing reused or kept). */
static int print_step(struct tr_enc_buf *b, const struct tr_trace *t, const struct tr_step *prev,
                      const struct tr_step *s, const struct names *N, struct memo_step *memo,
                      int reference)
{
    struct memo_step cur = {.reference = reference};
    int rc = step_put(b, t, prev, s, N, memo, &cur);
    if (memo && rc == 0) {
        memo_step_free(memo);
        *memo = cur;
    } else {
        memo_step_free(&cur);
    }
    return rc;
}

void tr_enc_cut_text(char *buf, size_t len, const char *what, size_t kept, size_t total,
                     size_t limit)
{
    int raw = strcmp(what, "trace") != 0;
    snprintf(buf, len,
             "%s stopped at %s %zu of %zu: the whole trace is larger than the %.1f MiB that "
             "can be sent. Lower maxSteps or shorten the program to see the rest.",
             raw ? "The raw trace (traceContent)" : "The trace", raw ? "record" : "step", kept,
             total, (double)limit / (1024.0 * 1024.0));
}

char *tr_enc_trace_with(const struct tr_trace *t, enum tr_enc_style style, size_t cap,
                        size_t *len, struct tr_enc_cut *cut, int reference)
{
    const struct names *N = style == TR_ENC_OPT ? &opt_names : &seepp_names;
    struct tr_enc_buf b = {0};
    char *text = NULL;
    size_t prev_at = 0;
    struct memo_step memo = {.reference = reference};

    /* {"code": ..., "buildOutput": ..., "trace": [ */
    cJSON *head = cJSON_CreateObject();
    if (!head || !cJSON_AddStringToObject(head, "code", t->code ? t->code : ""))
        goto fail;
    if (t->build_output && !cJSON_AddStringToObject(head, N->build_output, t->build_output))
        goto fail;
    text = cJSON_PrintUnformatted(head);
    cJSON_Delete(head);
    head = NULL;
    if (!text || tr_enc_buf_put(&b, text, strlen(text) - 1) ||
        TR_ENC_LIT(&b, ",\"trace\":["))
        goto fail;
    cJSON_free(text);
    text = NULL;

    const size_t tail = 2; /* "]}" */
    size_t kept = 0, prev_i = 0, total = 0;
    for (size_t i = 0; i < t->nsteps; i++)
        total += !t->steps[i].hidden;
    /* the last kept step and the one before it: what changes are relative to */
    const struct tr_step *before = NULL, *before_prev = NULL;
    for (size_t i = 0; i < t->nsteps; i++) {
        if (t->steps[i].hidden)
            continue;
        size_t at = b.len;
        if ((kept > 0 && TR_ENC_LIT(&b, ",")) ||
            print_step(&b, t, before, &t->steps[i], N, &memo, reference))
            goto fail;
        if (cap && b.len + tail > cap && kept > 0) {
            /* over the cap: end at the previous step, re-marked */
            struct tr_step last = t->steps[prev_i];
            char msg[300];
            tr_enc_cut_text(msg, sizeof msg, "trace", kept, total,
                            cut && cut->limit ? cut->limit : cap);
            last.event = TR_EV_LIMIT;
            last.exception_msg = msg;
            b.len = prev_at;
            if (print_step(&b, t, before_prev, &last, N, NULL, reference))
                goto fail;
            break;
        }
        prev_at = at + (kept > 0);
        kept++;
        prev_i = i;
        before_prev = before;
        before = &t->steps[i];
    }
    if (TR_ENC_LIT(&b, "]}"))
        goto fail;
    if (cut) {
        cut->kept = kept;
        cut->total = total;
    }
    memo_step_free(&memo);
    *len = b.len;
    return b.p;
fail:
    memo_step_free(&memo);
    cJSON_Delete(head);
    cJSON_free(text);
    free(b.p);
    return NULL;
}

char *tr_enc_trace(const struct tr_trace *t, enum tr_enc_style style, size_t cap, size_t *len,
                   struct tr_enc_cut *cut)
{
    return tr_enc_trace_with(t, style, cap, len, cut, 0);
}
