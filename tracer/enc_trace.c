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
 * cheaper than building and printing a cJSON tree for them.
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
    char *text;               /* its JSON (cJSON_free); NULL once reused */
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
};

static void memo_set_free(struct memo_set *ms)
{
    for (uint32_t i = 0; ms->m && i < ms->n; i++)
        cJSON_free(ms->m[i].text);
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
    *st = (struct memo_step){0};
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Would a and b encode to the same text? */
static int same_value(const struct tr_value *a, const struct tr_value *b)
{
    if (a == b)
        return 1;
    if (a->kind != b->kind || a->stext != b->stext || a->addr != b->addr ||
        a->nkids != b->nkids || a->ndims != b->ndims || !same_str(a->type, b->type) ||
        !same_str(a->text, b->text) || !same_str(a->name, b->name))
        return 0;
    for (uint32_t i = 0; i < a->ndims; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    for (uint32_t i = 0; i < a->nkids; i++)
        if (!same_value(a->kids[i], b->kids[i]))
            return 0;
    return 1;
}

/* The text of v into *out: the previous step's text of the same slot when
   v equals its value (taken from it), else freshly printed. */
static int value_text(const struct tr_value *v, struct memo *prev, struct memo *out)
{
    out->v = v;
    if (prev && prev->v && prev->text && same_value(prev->v, v)) {
        out->text = prev->text;
        prev->text = NULL;
        return 0;
    }
    cJSON *j = value_json(v);
    out->text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return out->text ? 0 : -1;
}

static int memo_set_new(struct memo_set *ms, tr_addr id, uint32_t n)
{
    *ms = (struct memo_set){id, calloc(n ? n : 1, sizeof *ms->m), n};
    return ms->m ? 0 : -1;
}

/* Names in order into `order` and values into `obj`; the first of two
   variables with one name wins (an object cannot hold both). Each value's
   text goes to cur (n slots, by position), reused from prev when equal. */
static int vars_json(const struct tr_var *vars, uint32_t n, cJSON *obj, cJSON *order,
                     struct memo_set *prev, struct memo_set *cur)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!vars[i].value || cJSON_GetObjectItemCaseSensitive(obj, vars[i].name))
            continue;
        struct memo *was = prev && i < prev->n ? &prev->m[i] : NULL;
        if (value_text(vars[i].value, was, &cur->m[i]) != 0)
            return -1;
        cJSON *v = cJSON_CreateRaw(cur->m[i].text);
        if (!v)
            return -1;
        cJSON_AddItemToObject(obj, vars[i].name, v);
        if (add(order, cJSON_CreateString(vars[i].name)))
            return -1;
    }
    return 0;
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

/* The step as a cJSON tree; prev is the step before (for its changes).
   The texts of its values go to cur (empty on entry, the caller frees it),
   reused from mprev (may be NULL) when equal. */
static cJSON *step_json(const struct tr_trace *t, const struct tr_step *prev,
                        const struct tr_step *s, const struct names *N,
                        struct memo_step *mprev, struct memo_step *cur)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cur->frames = calloc(s->nframes ? s->nframes : 1, sizeof *cur->frames);
    if (!cur->frames)
        goto fail;
    cJSON_AddStringToObject(o, "event", N->ev[s->event]);
    cJSON_AddNumberToObject(o, "line", s->line);
    cJSON_AddStringToObject(o, N->func_name, s->func_name ? s->func_name : "");
    cJSON *stack = cJSON_AddArrayToObject(o, N->stack);
    for (uint32_t i = 0; stack && i < s->nframes; i++) {
        const struct tr_frame *f = &s->frames[i];
        cJSON *fo = cJSON_CreateObject();
        if (add(stack, fo))
            goto fail;
        char id[24], hash[300];
        snprintf(id, sizeof id, "0x%llX", (unsigned long long)f->frame_id);
        snprintf(hash, sizeof hash, "%s_%s", f->func_name, id);
        cJSON_AddStringToObject(fo, N->func_name, f->func_name);
        cJSON_AddStringToObject(fo, N->frame_id, id);
        cJSON_AddStringToObject(fo, N->unique_hash, hash);
        cJSON *order = cJSON_AddArrayToObject(fo, N->ordered_vars);
        cJSON *locals = cJSON_AddObjectToObject(fo, N->locals);
        struct memo_set *was = NULL;
        for (uint32_t k = 0; mprev && k < mprev->nframes && !was; k++)
            if (mprev->frames[k].id == f->frame_id)
                was = &mprev->frames[k];
        if (memo_set_new(&cur->frames[i], f->frame_id, f->nvars) != 0)
            goto fail;
        cur->nframes = i + 1;
        if (!order || !locals ||
            vars_json(f->vars, f->nvars, locals, order, was, &cur->frames[i]))
            goto fail;
        cJSON_AddBoolToObject(fo, N->highlighted, i + 1 == s->nframes);
        cJSON_AddNumberToObject(fo, "line", f->line);
        cJSON_AddBoolToObject(fo, N->is_parent, 0);
        cJSON_AddBoolToObject(fo, N->is_zombie, 0);
        cJSON_AddArrayToObject(fo, N->parent_ids);
    }
    cJSON *globals = cJSON_AddObjectToObject(o, N->globals);
    cJSON *gorder = cJSON_AddArrayToObject(o, N->ordered_globals);
    if (!globals || !gorder || memo_set_new(&cur->globals, 0, s->nglobals) != 0 ||
        vars_json(s->globals, s->nglobals, globals, gorder, mprev ? &mprev->globals : NULL,
                  &cur->globals))
        goto fail;
    cJSON *heap = cJSON_AddObjectToObject(o, "heap");
    if (!heap || memo_set_new(&cur->heap, 0, s->nheap) != 0)
        goto fail;
    /* both steps' heaps are sorted by address: one walk pairs the blocks */
    uint32_t j = 0;
    for (uint32_t i = 0; i < s->nheap; i++) {
        char key[24];
        snprintf(key, sizeof key, "0x%llX", (unsigned long long)s->heap[i].addr);
        while (mprev && j < mprev->heap.n && mprev->heap.m[j].v->addr < s->heap[i].addr)
            j++;
        struct memo *was = mprev && j < mprev->heap.n ? &mprev->heap.m[j] : NULL;
        if (value_text(s->heap[i].value, was, &cur->heap.m[i]) != 0)
            goto fail;
        cJSON *v = cJSON_CreateRaw(cur->heap.m[i].text);
        if (!v)
            goto fail;
        cJSON_AddItemToObject(heap, key, v);
    }
    char *out = tr_text_clean(t->out ? t->out : "", t->out ? s->stdout_len : 0, NULL);
    cJSON *outj = out ? cJSON_AddStringToObject(o, "stdout", out) : NULL;
    free(out);
    if (!outj)
        goto fail;
    if (s->exception_msg)
        cJSON_AddStringToObject(o, N->exception_msg, s->exception_msg);
    if (s->nmc) {
        cJSON *mc = mc_json(s->mc, s->nmc);
        if (!mc)
            goto fail;
        cJSON_AddItemToObject(o, N->memcheck_errors, mc);
    }
    if (s->has_exit_code)
        cJSON_AddNumberToObject(o, N->exit_code, s->exit_code);
    cJSON *ch = changes_json(prev, s, N);
    if (!ch)
        goto fail;
    cJSON_AddItemToObject(o, "changes", ch);
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

int tr_enc_buf_put(struct tr_enc_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* The step's text; memo (may be NULL) holds the previous step's value
   texts on entry and this step's on return. */
static char *print_step(const struct tr_trace *t, const struct tr_step *prev,
                        const struct tr_step *s, const struct names *N, struct memo_step *memo)
{
    struct memo_step cur = {0};
    cJSON *o = step_json(t, prev, s, N, memo, &cur);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (memo && text) {
        memo_step_free(memo);
        *memo = cur;
    } else {
        memo_step_free(&cur);
    }
    return text;
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

char *tr_enc_trace(const struct tr_trace *t, enum tr_enc_style style, size_t cap, size_t *len,
                   struct tr_enc_cut *cut)
{
    const struct names *N = style == TR_ENC_OPT ? &opt_names : &seepp_names;
    struct tr_enc_buf b = {0};
    char *text = NULL, *prev = NULL;
    size_t prev_at = 0;
    struct memo_step memo = {0};

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
        tr_enc_buf_put(&b, ",\"trace\":[", 10))
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
        text = print_step(t, before, &t->steps[i], N, &memo);
        if (!text)
            goto fail;
        size_t n = strlen(text);
        if (cap && b.len + n + 1 + tail > cap && kept > 0) {
            /* over the cap: end at the previous step, re-marked */
            struct tr_step last = t->steps[prev_i];
            char msg[300];
            tr_enc_cut_text(msg, sizeof msg, "trace", kept, total,
                            cut && cut->limit ? cut->limit : cap);
            last.event = TR_EV_LIMIT;
            last.exception_msg = msg;
            cJSON_free(text);
            text = print_step(t, before_prev, &last, N, NULL);
            if (!text)
                goto fail;
            b.len = prev_at;
            if (tr_enc_buf_put(&b, text, strlen(text)))
                goto fail;
            cJSON_free(text);
            text = NULL;
            break;
        }
        prev_at = b.len + (kept > 0);
        if ((kept > 0 && tr_enc_buf_put(&b, ",", 1)) || tr_enc_buf_put(&b, text, n))
            goto fail;
        kept++;
        prev_i = i;
        before_prev = before;
        before = &t->steps[i];
        cJSON_free(text);
        text = NULL;
    }
    if (tr_enc_buf_put(&b, "]}", 2))
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
    cJSON_free(prev);
    free(b.p);
    return NULL;
}
