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
 * Records are written straight into the text, reusing what did not change
 * since the record before (enc_vgrec.c); the cJSON version (record_json)
 * stays as the reference they must match byte for byte
 * (tr_enc_vgtrace_with, tests/unit/enc_reuse.c).
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
        long b = v->target ? tr_enc_block_at(rc->step, v->target) : -1;
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

/* s appended to b as it is, or escaped (esc). */
static int put_as(struct tr_enc_buf *b, const char *s, size_t n, int esc)
{
    return esc ? tr_enc_buf_esc(b, s, n) : tr_enc_buf_put(b, s, n);
}

char *tr_enc_vgtrace_with(const struct tr_trace *t, size_t cap, size_t *len,
                          struct tr_enc_cut *cut, unsigned how)
{
    int reference = (how & TR_VG_REFERENCE) != 0, esc = (how & TR_VG_JSON) != 0;
    struct tr_enc_buf b = {0}, line = {0};
    const struct tr_step **rec = malloc((t->nsteps ? t->nsteps : 1) * sizeof *rec);
    uint8_t *kept = malloc(t->nsteps ? t->nsteps : 1);
    struct tr_vg_memo *memo = tr_enc_vgrec_new(esc, !(how & TR_VG_NO_REUSE));
    size_t n = 0, line_of = (size_t)-1; /* the output length line was made for */
    if (!rec || !kept || !memo || TR_ENC_LIT(&b, "") != 0)
        goto fail;
    for (size_t i = 0; i < t->nsteps; i++)
        if (t->steps[i].event != TR_EV_UNCAUGHT && t->steps[i].nframes > 0)
            rec[n++] = &t->steps[i];
    if (see_kept(rec, n, kept) != 0)
        goto fail;
    size_t shown_out = 0, i; /* output of the last record See++ keeps */
    for (i = 0; i < n; i++) {
        size_t at = b.len;
        if (reference) {
            char *out = stdout_line(t, shown_out);
            char *js = out ? record_json(rec[i]) : NULL;
            int bad = !js || put_as(&b, RECORD_SEP, strlen(RECORD_SEP), esc) ||
                      put_as(&b, out, strlen(out), esc) || put_as(&b, js, strlen(js), esc) ||
                      put_as(&b, "\n", 1, esc);
            free(out);
            cJSON_free(js);
            if (bad)
                goto fail;
        } else {
            /* the output line changes only when output was shown: kept */
            if (line_of != shown_out) {
                char *clean = tr_text_clean(t->out ? t->out : "", t->out ? shown_out : 0, NULL);
                struct tr_enc_buf plain = {0};
                line.len = 0;
                int bad = !clean || TR_ENC_LIT(&plain, "STDOUT: ") ||
                          tr_enc_buf_str(&plain, clean) || TR_ENC_LIT(&plain, "\n") ||
                          put_as(&line, plain.p, plain.len, esc);
                free(clean);
                free(plain.p);
                if (bad)
                    goto fail;
                line_of = shown_out;
            }
            if (put_as(&b, RECORD_SEP, strlen(RECORD_SEP), esc) ||
                tr_enc_buf_put(&b, line.p, line.len) || tr_enc_vgrec_put(&b, memo, rec[i]) ||
                put_as(&b, "\n", 1, esc))
                goto fail;
        }
        if (cap && b.len > cap) {
            b.len = at; /* whole records only */
            b.p[at] = '\0';
            break;
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
    tr_enc_vgrec_free(memo);
    *len = b.len;
    return b.p;
fail:
    free(rec);
    free(kept);
    free(line.p);
    tr_enc_vgrec_free(memo);
    free(b.p);
    return NULL;
}

char *tr_enc_vgtrace(const struct tr_trace *t, size_t cap, size_t *len, struct tr_enc_cut *cut)
{
    return tr_enc_vgtrace_with(t, cap, len, cut, 0);
}
