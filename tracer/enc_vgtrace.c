/*
 * enc_vgtrace.c - the trace as See++'s raw SPP-Valgrind text (the
 * response's `traceContent`, trace-format.md section 2), for See++'s
 * unchanged backend, whose parser (backend/src/parse_vg_trace.ts) turns it
 * into a ProgramTrace.
 *
 * That parser does not read events: it infers them from how the stack
 * changes between records (grows by one frame: `call`; shrinks by one: the
 * record before is a `return`), then drops records by its own rules. So
 * every step is written, hidden ones too (tr_step.hidden: the caller's step
 * between a return and the next call, which the parser needs to see the
 * stack shrink and grow, and then deletes by its rule 5).
 *
 * Its Lambda mode also shifts stdout one record earlier after dropping
 * records (the SPP build reported output one step late). To come out right,
 * each record carries the output of the record See++ will keep just before
 * it; which records it keeps is worked out here with the parser's rules
 * (see_kept), so output lands on the same step as in the seepp trace.
 *
 * What cannot come out the same, by the parser's design (documented in
 * docs/trace-notes.md): the first step is a `stepLine` (no call into main is
 * seen), the last is a `return` even after a crash or the step limit (an
 * `ERROR:` line would empty the whole trace, so none is written), the last
 * step's stdout is empty, a function whose body is on its opening line shows
 * only its call (rule 2's lookahead deletes the return on the same line),
 * consecutive passes of a one-line loop are one step (rule 4), heap blocks
 * no pointer reaches are missing, and pointers lose their declared type.
 *
 * Records are written straight into the text (record_put); the cJSON
 * version (record_json) stays as the reference they must match byte for
 * byte (tr_enc_vgtrace_with, tests/unit/enc_reuse.c).
 */
#include "tracer/enc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/enc_int.h"
#include "tracer/text.h"

#define RECORD_SEP "=== pg_trace_inst ===\n"

/* ---- which records See++'s parser keeps -------------------------------- */

enum see_ev { SEE_STEP, SEE_CALL, SEE_RETURN };

static int same_ids(const struct tr_step *a, const struct tr_step *b)
{
    if (a->nframes != b->nframes)
        return 0;
    for (uint32_t i = 0; i < a->nframes; i++)
        if (a->frames[i].frame_id != b->frames[i].frame_id)
            return 0;
    return 1;
}

/* b's stack is a's plus one frame on top. */
static int grew_by_one(const struct tr_step *a, const struct tr_step *b)
{
    if (b->nframes != a->nframes + 1)
        return 0;
    for (uint32_t i = 0; i < a->nframes; i++)
        if (a->frames[i].frame_id != b->frames[i].frame_id)
            return 0;
    return 1;
}

static const char *top_name(const struct tr_step *s)
{
    return s->nframes ? s->frames[s->nframes - 1].func_name : "";
}

/* kept[i] for the n records rec[0..n): finalizeTrace's rules 2 to 6, in
   its order, on the fields they read (frame ids, lines, function names). */
static int see_kept(const struct tr_step *const *rec, size_t n, uint8_t *kept)
{
    enum see_ev *ev = calloc(n ? n : 1, sizeof *ev);
    uint8_t *del = calloc(n ? n : 1, 1);
    size_t *red = malloc((n ? n : 1) * sizeof *red);
    if (!ev || !del || !red) {
        free(ev);
        free(del);
        free(red);
        return -1;
    }
    /* 2: calls and returns from stack changes; after a call, records in
       the same frames on the call's line are deleted (lookahead) */
    for (size_t i = 0; i + 1 < n; i++) {
        const struct tr_step *prev = rec[i], *cur = rec[i + 1];
        if (same_ids(prev, cur))
            continue;
        if (grew_by_one(prev, cur)) {
            ev[i + 1] = SEE_CALL;
            for (size_t j = i + 2; j < n && same_ids(rec[j], cur) && rec[j]->line == cur->line; j++)
                del[j] = 1;
        } else if (grew_by_one(cur, prev)) {
            ev[i] = SEE_RETURN;
        }
    }
    /* 3: the last record is main's return */
    if (n)
        ev[n - 1] = SEE_RETURN;
    /* 4: a stepLine on the line and frames of the last kept stepLine goes */
    size_t nred = 0;
    for (size_t i = 0; i < n; i++) {
        if (nred && ev[i] == SEE_STEP && ev[red[nred - 1]] == SEE_STEP &&
            rec[i]->line == rec[red[nred - 1]]->line && same_ids(rec[i], rec[red[nred - 1]]))
            continue;
        red[nred++] = i;
    }
    /* 5: the caller's record right after a return, on the call's line, when
       the next record is in the same function */
    for (size_t k = 0; k + 2 < nred; k++) {
        const struct tr_step *prev = rec[red[k]], *cur = rec[red[k + 1]], *nxt = rec[red[k + 2]];
        if (ev[red[k]] != SEE_RETURN || prev->nframes < 2 || !cur->nframes)
            continue;
        const struct tr_frame *caller = &prev->frames[prev->nframes - 2];
        const struct tr_frame *top = &cur->frames[cur->nframes - 1];
        if (top->frame_id == caller->frame_id && top->line == caller->line &&
            strcmp(top_name(cur), top_name(nxt)) == 0)
            del[red[k + 1]] = 1;
    }
    /* 6: nothing before main (our first record is in main) */
    size_t first_main = 0;
    while (first_main < nred && strcmp(top_name(rec[red[first_main]]), "main") != 0)
        del[red[first_main++]] = 1;
    memset(kept, 0, n);
    for (size_t k = 0; k < nred; k++)
        kept[red[k]] = !del[red[k]];
    free(ev);
    free(del);
    free(red);
    return 0;
}

/* ---- values ------------------------------------------------------------- */

struct rec_ctx {
    const struct tr_step *step;
    uint8_t *sent; /* heap block i already written in this record */
};

static cJSON *addr_str(tr_addr a)
{
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llX", (unsigned long long)a);
    return cJSON_CreateString(buf);
}

/* The heap block of this step that contains addr, or -1. */
static long block_at(const struct tr_step *s, tr_addr addr)
{
    size_t lo = 0, hi = s->nheap;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->heap[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct tr_heap_block *b = &s->heap[lo - 1];
    return addr < b->addr + (b->size ? b->size : 1) ? (long)(lo - 1) : -1;
}

static cJSON *raw_value(struct rec_ctx *rc, const struct tr_value *v);

static cJSON *raw_block(struct rec_ctx *rc, long i)
{
    const struct tr_heap_block *b = &rc->step->heap[i];
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    if (!o || !arr) {
        cJSON_Delete(o);
        cJSON_Delete(arr);
        return NULL;
    }
    cJSON_AddItemToObject(o, "addr", addr_str(b->addr));
    cJSON_AddStringToObject(o, "kind", "heap_block");
    cJSON_AddItemToObject(o, "val", arr);
    const struct tr_value *v = b->value;
    for (uint32_t k = 0; v && k < v->nkids; k++) {
        cJSON *e = raw_value(rc, v->kids[k]);
        if (!e) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

static cJSON *raw_value(struct rec_ctx *rc, const struct tr_value *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddItemToObject(o, "addr", addr_str(v->addr));
    switch (v->kind) {
    case TR_V_SCALAR:
        cJSON_AddStringToObject(o, "kind", "base");
        cJSON_AddStringToObject(o, "type", v->type ? v->type : "?");
        cJSON_AddNumberToObject(o, "size", (double)v->size);
        cJSON_AddItemToObject(o, "val", tr_enc_scalar(v));
        break;
    case TR_V_POINTER:
    case TR_V_REF: {
        cJSON_AddStringToObject(o, "kind", v->kind == TR_V_POINTER ? "pointer" : "ref");
        cJSON_AddStringToObject(o, "type", v->type ? v->type : "void*");
        cJSON_AddNumberToObject(o, "size", 8);
        cJSON_AddStringToObject(o, "val", v->text ? v->text : "0x0");
        long b = v->target ? block_at(rc->step, v->target) : -1;
        if (b >= 0 && !rc->sent[b]) {
            rc->sent[b] = 1; /* before recursing: a cycle of blocks ends here */
            cJSON *d = raw_block(rc, b);
            if (!d)
                goto fail;
            cJSON_AddItemToObject(o, "deref_val", d);
        }
        break;
    }
    case TR_V_STRUCT: {
        cJSON_AddStringToObject(o, "kind", "struct");
        cJSON_AddStringToObject(o, "type", v->type ? v->type : "?");
        cJSON *m = cJSON_AddObjectToObject(o, "val");
        for (uint32_t i = 0; m && i < v->nkids; i++) {
            const char *name = v->kids[i]->name ? v->kids[i]->name : "?";
            if (cJSON_GetObjectItemCaseSensitive(m, name))
                continue; /* an object holds one value per name */
            cJSON *k = raw_value(rc, v->kids[i]);
            if (!k)
                goto fail;
            cJSON_AddItemToObject(m, name, k);
        }
        break;
    }
    case TR_V_ARRAY:
    case TR_V_MDARRAY: {
        cJSON_AddStringToObject(o, "kind", "array");
        cJSON_AddNumberToObject(o, "size", (double)v->size);
        cJSON *dims = cJSON_AddArrayToObject(o, "dimensions");
        if (v->kind == TR_V_MDARRAY)
            for (uint32_t i = 0; dims && i < v->ndims; i++)
                cJSON_AddItemToArray(dims, cJSON_CreateNumber(v->dims[i]));
        else if (dims)
            cJSON_AddItemToArray(dims, cJSON_CreateNumber(v->nkids));
        cJSON *arr = cJSON_AddArrayToObject(o, "val");
        for (uint32_t i = 0; arr && i < v->nkids; i++) {
            cJSON *k = raw_value(rc, v->kids[i]);
            if (!k)
                goto fail;
            cJSON_AddItemToArray(arr, k);
        }
        break;
    }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

/* Names in order and RAW values; the first of two variables with one name
   wins, as in the seepp encoding. */
static int raw_vars(struct rec_ctx *rc, const struct tr_var *vars, uint32_t n, cJSON *obj,
                    cJSON *order)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!vars[i].value || cJSON_GetObjectItemCaseSensitive(obj, vars[i].name))
            continue;
        cJSON *v = raw_value(rc, vars[i].value);
        if (!v)
            return -1;
        cJSON_AddItemToObject(obj, vars[i].name, v);
        cJSON_AddItemToArray(order, cJSON_CreateString(vars[i].name));
    }
    return 0;
}

/* One record's JSON object (one line). */
static char *record_json(const struct tr_step *s)
{
    struct rec_ctx rc = {s, calloc(s->nheap ? s->nheap : 1, 1)};
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (!rc.sent || !o)
        goto out;
    cJSON_AddStringToObject(o, "func_name", s->func_name ? s->func_name : "");
    cJSON_AddNumberToObject(o, "line", s->line);
    cJSON_AddItemToObject(o, "IP", addr_str(s->pc));
    cJSON_AddNumberToObject(o, "kind", 0);
    cJSON *g = cJSON_AddObjectToObject(o, "globals");
    cJSON *go = cJSON_AddArrayToObject(o, "ordered_globals");
    if (!g || !go || raw_vars(&rc, s->globals, s->nglobals, g, go) != 0)
        goto out;
    cJSON *stack = cJSON_AddArrayToObject(o, "stack");
    for (uint32_t i = s->nframes; stack && i-- > 0;) { /* innermost first */
        const struct tr_frame *f = &s->frames[i];
        cJSON *fo = cJSON_CreateObject();
        if (!fo)
            goto out;
        cJSON_AddItemToArray(stack, fo);
        cJSON_AddStringToObject(fo, "func_name", f->func_name);
        cJSON_AddNumberToObject(fo, "line", f->line);
        cJSON_AddItemToObject(fo, "SP", addr_str(f->sp));
        cJSON_AddItemToObject(fo, "FP", addr_str(f->frame_id));
        cJSON *locals = cJSON_AddObjectToObject(fo, "locals");
        cJSON *order = cJSON_AddArrayToObject(fo, "ordered_varnames");
        if (!locals || !order || raw_vars(&rc, f->vars, f->nvars, locals, order) != 0)
            goto out;
    }
    if (stack)
        text = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    free(rc.sent);
    return text;
}

/* ---- the same records written straight into the text --------------------- */

static int raw_value_put(struct tr_enc_buf *b, struct rec_ctx *rc, const struct tr_value *v);

static int raw_block_put(struct tr_enc_buf *b, struct rec_ctx *rc, long i)
{
    const struct tr_heap_block *hb = &rc->step->heap[i];
    const struct tr_value *v = hb->value;
    int bad = TR_ENC_LIT(b, "{\"addr\":") || tr_enc_buf_addr(b, hb->addr) ||
              TR_ENC_LIT(b, ",\"kind\":\"heap_block\",\"val\":[");
    for (uint32_t k = 0; v && k < v->nkids && !bad; k++)
        bad |= (k && TR_ENC_LIT(b, ",")) || raw_value_put(b, rc, v->kids[k]);
    return bad || TR_ENC_LIT(b, "]}") ? -1 : 0;
}

/* Is member i of v written? An object holds one value per name: the first. */
static int member_shown(const struct tr_value *v, uint32_t i)
{
    const char *name = v->kids[i]->name ? v->kids[i]->name : "?";
    for (uint32_t k = 0; k < i; k++)
        if (strcmp(v->kids[k]->name ? v->kids[k]->name : "?", name) == 0)
            return 0;
    return 1;
}

static int raw_value_put(struct tr_enc_buf *b, struct rec_ctx *rc, const struct tr_value *v)
{
    int bad = TR_ENC_LIT(b, "{\"addr\":") || tr_enc_buf_addr(b, v->addr);
    switch (v->kind) {
    case TR_V_SCALAR:
        bad |= TR_ENC_LIT(b, ",\"kind\":\"base\",\"type\":") ||
               tr_enc_buf_str(b, v->type ? v->type : "?") ||
               TR_ENC_LIT(b, ",\"size\":") || tr_enc_buf_num(b, (double)v->size) ||
               TR_ENC_LIT(b, ",\"val\":") || tr_enc_scalar_put(b, v);
        break;
    case TR_V_POINTER:
    case TR_V_REF: {
        bad |= (v->kind == TR_V_POINTER
                    ? TR_ENC_LIT(b, ",\"kind\":\"pointer\",\"type\":")
                    : TR_ENC_LIT(b, ",\"kind\":\"ref\",\"type\":")) ||
               tr_enc_buf_str(b, v->type ? v->type : "void*") ||
               TR_ENC_LIT(b, ",\"size\":8,\"val\":") ||
               tr_enc_buf_str(b, v->text ? v->text : "0x0");
        long k = v->target ? block_at(rc->step, v->target) : -1;
        if (!bad && k >= 0 && !rc->sent[k]) {
            rc->sent[k] = 1; /* before recursing: a cycle of blocks ends here */
            bad |= TR_ENC_LIT(b, ",\"deref_val\":") || raw_block_put(b, rc, k);
        }
        break;
    }
    case TR_V_STRUCT: {
        bad |= TR_ENC_LIT(b, ",\"kind\":\"struct\",\"type\":") ||
               tr_enc_buf_str(b, v->type ? v->type : "?") ||
               TR_ENC_LIT(b, ",\"val\":{");
        int first = 1;
        for (uint32_t i = 0; i < v->nkids && !bad; i++) {
            if (!member_shown(v, i))
                continue;
            bad |= (!first && TR_ENC_LIT(b, ",")) ||
                   tr_enc_buf_str(b, v->kids[i]->name ? v->kids[i]->name : "?") ||
                   TR_ENC_LIT(b, ":") || raw_value_put(b, rc, v->kids[i]);
            first = 0;
        }
        bad |= TR_ENC_LIT(b, "}");
        break;
    }
    case TR_V_ARRAY:
    case TR_V_MDARRAY:
        bad |= TR_ENC_LIT(b, ",\"kind\":\"array\",\"size\":") ||
               tr_enc_buf_num(b, (double)v->size) ||
               TR_ENC_LIT(b, ",\"dimensions\":[");
        if (v->kind == TR_V_MDARRAY)
            for (uint32_t i = 0; i < v->ndims && !bad; i++)
                bad |= (i && TR_ENC_LIT(b, ",")) || tr_enc_buf_num(b, v->dims[i]);
        else
            bad |= tr_enc_buf_num(b, v->nkids);
        bad |= TR_ENC_LIT(b, "],\"val\":[");
        for (uint32_t i = 0; i < v->nkids && !bad; i++)
            bad |= (i && TR_ENC_LIT(b, ",")) || raw_value_put(b, rc, v->kids[i]);
        bad |= TR_ENC_LIT(b, "]");
        break;
    }
    return bad || TR_ENC_LIT(b, "}") ? -1 : 0;
}

/* Is vars[i] written? Not without a value; of two with one name, the first. */
static int raw_var_shown(const struct tr_var *vars, uint32_t i)
{
    if (!vars[i].value)
        return 0;
    for (uint32_t k = 0; k < i; k++)
        if (vars[k].value && strcmp(vars[k].name, vars[i].name) == 0)
            return 0;
    return 1;
}

/* The values object then the names array, as raw_vars fills them. */
static int raw_vars_put(struct tr_enc_buf *b, struct rec_ctx *rc, const struct tr_var *vars,
                        uint32_t n, const char *obj_key, const char *order_key)
{
    int bad = tr_enc_buf_str(b, obj_key) || TR_ENC_LIT(b, ":{"), first = 1;
    for (uint32_t i = 0; i < n && !bad; i++) {
        if (!raw_var_shown(vars, i))
            continue;
        bad |= (!first && TR_ENC_LIT(b, ",")) || tr_enc_buf_str(b, vars[i].name) ||
               TR_ENC_LIT(b, ":") || raw_value_put(b, rc, vars[i].value);
        first = 0;
    }
    bad |= TR_ENC_LIT(b, "},") || tr_enc_buf_str(b, order_key) ||
           TR_ENC_LIT(b, ":[");
    first = 1;
    for (uint32_t i = 0; i < n && !bad; i++) {
        if (!raw_var_shown(vars, i))
            continue;
        bad |= (!first && TR_ENC_LIT(b, ",")) || tr_enc_buf_str(b, vars[i].name);
        first = 0;
    }
    return bad || TR_ENC_LIT(b, "]") ? -1 : 0;
}

/* One record's JSON object appended to b, as record_json prints it. */
static int record_put(struct tr_enc_buf *b, const struct tr_step *s)
{
    struct rec_ctx rc = {s, calloc(s->nheap ? s->nheap : 1, 1)};
    int bad = !rc.sent || TR_ENC_LIT(b, "{\"func_name\":") ||
              tr_enc_buf_str(b, s->func_name ? s->func_name : "") ||
              TR_ENC_LIT(b, ",\"line\":") || tr_enc_buf_num(b, s->line) ||
              TR_ENC_LIT(b, ",\"IP\":") || tr_enc_buf_addr(b, s->pc) ||
              TR_ENC_LIT(b, ",\"kind\":0,") ||
              raw_vars_put(b, &rc, s->globals, s->nglobals, "globals", "ordered_globals") ||
              TR_ENC_LIT(b, ",\"stack\":[");
    for (uint32_t i = s->nframes; i-- > 0 && !bad;) { /* innermost first */
        const struct tr_frame *f = &s->frames[i];
        bad |= (i + 1 < s->nframes && TR_ENC_LIT(b, ",")) || TR_ENC_LIT(b, "{");
        if (f->func_name) /* cJSON leaves out a NULL string */
            bad |= TR_ENC_LIT(b, "\"func_name\":") || tr_enc_buf_str(b, f->func_name) ||
                   TR_ENC_LIT(b, ",");
        bad |= TR_ENC_LIT(b, "\"line\":") || tr_enc_buf_num(b, f->line) ||
               TR_ENC_LIT(b, ",\"SP\":") || tr_enc_buf_addr(b, f->sp) ||
               TR_ENC_LIT(b, ",\"FP\":") || tr_enc_buf_addr(b, f->frame_id) ||
               TR_ENC_LIT(b, ",") ||
               raw_vars_put(b, &rc, f->vars, f->nvars, "locals", "ordered_varnames") ||
               TR_ENC_LIT(b, "}");
    }
    free(rc.sent);
    return bad || TR_ENC_LIT(b, "]}") ? -1 : 0;
}

/* ---- the text ------------------------------------------------------------ */

/* `STDOUT: "..."` with the program's first out_len bytes. */
static char *stdout_line(const struct tr_trace *t, size_t out_len)
{
    char *clean = tr_text_clean(t->out ? t->out : "", t->out ? out_len : 0, NULL);
    cJSON *s = clean ? cJSON_CreateString(clean) : NULL;
    char *js = s ? cJSON_PrintUnformatted(s) : NULL;
    char *line = NULL;
    if (js) {
        size_t n = strlen(js) + sizeof "STDOUT: \n";
        line = malloc(n);
        if (line)
            snprintf(line, n, "STDOUT: %s\n", js);
    }
    cJSON_free(js);
    cJSON_Delete(s);
    free(clean);
    return line;
}

char *tr_enc_vgtrace_with(const struct tr_trace *t, size_t cap, size_t *len,
                          struct tr_enc_cut *cut, int reference)
{
    struct tr_enc_buf b = {0}, line = {0};
    const struct tr_step **rec = malloc((t->nsteps ? t->nsteps : 1) * sizeof *rec);
    uint8_t *kept = malloc(t->nsteps ? t->nsteps : 1);
    size_t n = 0, line_of = (size_t)-1; /* the output length line was made for */
    if (!rec || !kept || TR_ENC_LIT(&b, "") != 0)
        goto fail;
    for (size_t i = 0; i < t->nsteps; i++)
        if (t->steps[i].event != TR_EV_UNCAUGHT && t->steps[i].nframes > 0)
            rec[n++] = &t->steps[i];
    if (see_kept(rec, n, kept) != 0)
        goto fail;
    size_t shown_out = 0, i; /* output of the last record See++ keeps */
    for (i = 0; i < n; i++) {
        if (reference) {
            char *out = stdout_line(t, shown_out);
            char *js = out ? record_json(rec[i]) : NULL;
            int bad = !js;
            if (js && cap && b.len + strlen(RECORD_SEP) + strlen(out) + strlen(js) + 1 > cap) {
                free(out);
                cJSON_free(js);
                break; /* whole records only */
            }
            bad = bad || tr_enc_buf_put(&b, RECORD_SEP, strlen(RECORD_SEP)) ||
                  tr_enc_buf_put(&b, out, strlen(out)) || tr_enc_buf_put(&b, js, strlen(js)) ||
                  TR_ENC_LIT(&b, "\n");
            free(out);
            cJSON_free(js);
            if (bad)
                goto fail;
        } else {
            /* the output line changes only when output was shown: kept */
            if (line_of != shown_out) {
                char *clean = tr_text_clean(t->out ? t->out : "", t->out ? shown_out : 0, NULL);
                line.len = 0;
                int bad = !clean || TR_ENC_LIT(&line, "STDOUT: ") ||
                          tr_enc_buf_str(&line, clean) || TR_ENC_LIT(&line, "\n");
                free(clean);
                if (bad)
                    goto fail;
                line_of = shown_out;
            }
            size_t at = b.len;
            if (tr_enc_buf_put(&b, RECORD_SEP, strlen(RECORD_SEP)) ||
                tr_enc_buf_put(&b, line.p, line.len) || record_put(&b, rec[i]) ||
                TR_ENC_LIT(&b, "\n"))
                goto fail;
            if (cap && b.len > cap) {
                b.len = at; /* whole records only */
                b.p[at] = '\0';
                break;
            }
        }
        if (kept[i])
            shown_out = rec[i]->stdout_len;
    }
    if (cut) {
        cut->kept = i;
        cut->total = n;
    }
    free(rec);
    free(kept);
    free(line.p);
    *len = b.len;
    return b.p;
fail:
    free(rec);
    free(kept);
    free(line.p);
    free(b.p);
    return NULL;
}

char *tr_enc_vgtrace(const struct tr_trace *t, size_t cap, size_t *len, struct tr_enc_cut *cut)
{
    return tr_enc_vgtrace_with(t, cap, len, cut, 0);
}
