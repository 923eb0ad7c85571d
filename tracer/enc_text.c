/*
 * enc_text.c - the trace for a terminal (`--format text`): one block per
 * step, the step's line with its source text and the call stack on one
 * line, then what the step changed (delta.h) as old -> new, the output it
 * added, and at the end how the program ended and memcheck's findings, in
 * words. Colour only when asked (a terminal without NO_COLOR).
 *
 * Values are shortened to a line's worth with "..." so a big array does
 * not hide the step; the JSON formats carry them whole.
 */
#include "tracer/enc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/delta.h"
#include "tracer/enc_int.h"
#include "tracer/text.h"

#define VALUE_WIDTH 48  /* characters of one value before "..." */
#define SOURCE_WIDTH 72 /* characters of a source line in a step's header */
#define LINE_WIDTH 96   /* a change line wraps past this */

struct out {
    struct tr_enc_buf b;
    int colour, bad;
};

enum paint { P_HEAD, P_OLD, P_NEW, P_BAD, P_DIM };

static void put(struct out *o, const char *s, size_t n)
{
    if (!o->bad && tr_enc_buf_put(&o->b, s, n))
        o->bad = 1;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void paint(struct out *o, enum paint p, const char *s)
{
    static const char *const on[] = {"\033[1;36m", "\033[31m", "\033[32m", "\033[1;31m", "\033[2m"};
    if (o->colour)
        puts_(o, on[p]);
    puts_(o, s);
    if (o->colour)
        puts_(o, "\033[0m");
}

/* A value in one short line: 42, 'a', 0x55...A0, {value: 1, next: 0x0}, [1, 2, 3]. */
static void value_text(const struct tr_value *v, struct tr_enc_buf *b)
{
    if (b->len > VALUE_WIDTH)
        return;
    switch (v->kind) {
    case TR_V_SCALAR:
        if (v->uninit || (v->text && strcmp(v->text, TR_UNINIT_TEXT) == 0)) {
            tr_enc_buf_put(b, "?", 1);
        } else if (v->stext == TR_ST_CHAR) {
            tr_enc_buf_put(b, "'", 1);
            tr_enc_buf_put(b, v->text ? v->text : "", v->text ? strlen(v->text) : 0);
            tr_enc_buf_put(b, "'", 1);
        } else {
            tr_enc_buf_put(b, v->text ? v->text : "?", v->text ? strlen(v->text) : 1);
        }
        return;
    case TR_V_POINTER:
    case TR_V_REF:
        if (v->text && strcmp(v->text, "0x0") == 0)
            tr_enc_buf_put(b, "NULL", 4);
        else
            tr_enc_buf_put(b, v->text ? v->text : "?", v->text ? strlen(v->text) : 1);
        return;
    case TR_V_STRUCT:
        tr_enc_buf_put(b, "{", 1);
        for (uint32_t i = 0; i < v->nkids && b->len <= VALUE_WIDTH; i++) {
            const char *n = v->kids[i]->name ? v->kids[i]->name : "?";
            if (i)
                tr_enc_buf_put(b, ", ", 2);
            tr_enc_buf_put(b, n, strlen(n));
            tr_enc_buf_put(b, ": ", 2);
            value_text(v->kids[i], b);
        }
        tr_enc_buf_put(b, "}", 1);
        return;
    case TR_V_ARRAY:
    case TR_V_MDARRAY:
        tr_enc_buf_put(b, "[", 1);
        for (uint32_t i = 0; i < v->nkids && b->len <= VALUE_WIDTH; i++) {
            if (i)
                tr_enc_buf_put(b, ", ", 2);
            value_text(v->kids[i], b);
        }
        tr_enc_buf_put(b, "]", 1);
        return;
    }
}

static void value(struct out *o, enum paint p, const struct tr_value *v)
{
    struct tr_enc_buf b = {0};
    value_text(v, &b);
    if (!b.p) {
        o->bad = 1;
        return;
    }
    if (b.len > VALUE_WIDTH) {
        /* cut at a UTF-8 character boundary */
        size_t n = VALUE_WIDTH;
        while (n > 0 && ((unsigned char)b.p[n] & 0xC0) == 0x80)
            n--;
        b.len = n;
        if (tr_enc_buf_put(&b, "...", 3) != 0) {
            free(b.p);
            o->bad = 1;
            return;
        }
    }
    paint(o, p, b.p);
    free(b.p);
}

/* Source line `line` of code (1-based), without its newline and indent. */
static void source_line(struct out *o, const char *code, int line)
{
    const char *p = code ? code : "";
    for (int l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || line < 1)
        return;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "\n");
    char *clean = tr_text_clean(p, n, NULL);
    if (!clean) {
        o->bad = 1;
        return;
    }
    /* a class on one line would push the step's header off the screen */
    size_t len = strlen(clean), cut = SOURCE_WIDTH;
    if (len > SOURCE_WIDTH + 3) {
        while (cut > 0 && ((unsigned char)clean[cut] & 0xC0) == 0x80)
            cut--; /* at a UTF-8 character boundary */
        memcpy(clean + cut, "...", 4); /* fits: len > cut + 3 */
    }
    puts_(o, clean);
    free(clean);
}

static void header(struct out *o, const struct tr_trace *t, size_t no, const struct tr_step *s)
{
    char buf[64];
    snprintf(buf, sizeof buf, "#%-3zu line %-3d ", no, s->line);
    paint(o, P_HEAD, buf);
    for (uint32_t i = 0; i < s->nframes; i++) {
        if (i)
            puts_(o, " > ");
        puts_(o, s->frames[i].func_name ? s->frames[i].func_name : "?");
    }
    if (s->event == TR_EV_CALL)
        puts_(o, " (call)");
    else if (s->event == TR_EV_RETURN)
        puts_(o, " (return)");
    puts_(o, "  | ");
    source_line(o, t->code, s->line);
    puts_(o, "\n");
}

/* The changes, several to a line: "i: 1 -> 2, n = ?". */
static void changes(struct out *o, const struct tr_step *s, const struct tr_delta *d)
{
    size_t col = 0, line_start = o->b.len;
    for (size_t i = 0; i < d->n; i++) {
        const struct tr_change *c = &d->ch[i];
        if (o->b.len - line_start > LINE_WIDTH) {
            puts_(o, "\n");
            col = 0;
        }
        if (col == 0) {
            puts_(o, "      ");
            line_start = o->b.len;
        } else {
            puts_(o, ", ");
        }
        col++;
        char where[64] = "";
        if (c->scope == TR_CHG_LOCAL && c->frame + 1 < s->nframes)
            snprintf(where, sizeof where, "%s: ", s->frames[c->frame].func_name);
        else if (c->scope == TR_CHG_HEAP)
            snprintf(where, sizeof where, "heap 0x%llX", (unsigned long long)c->block);
        puts_(o, where);
        puts_(o, c->path);
        if (c->old) {
            puts_(o, ": ");
            value(o, P_OLD, c->old);
            puts_(o, " -> ");
        } else {
            puts_(o, " = ");
        }
        value(o, P_NEW, c->now);
    }
    if (col)
        puts_(o, "\n");
    for (size_t i = 0; i < d->nborn; i++)
        for (uint32_t k = 0; k < s->nheap; k++)
            if (s->heap[k].addr == d->born[i]) {
                char buf[96];
                snprintf(buf, sizeof buf, "      new heap block 0x%llX (%llu bytes): ",
                         (unsigned long long)d->born[i], (unsigned long long)s->heap[k].size);
                puts_(o, buf);
                value(o, P_NEW, s->heap[k].value);
                puts_(o, "\n");
            }
    for (size_t i = 0; i < d->nfreed; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "      freed heap block 0x%llX\n",
                 (unsigned long long)d->freed[i]);
        paint(o, P_DIM, buf);
    }
}

static void output(struct out *o, const struct tr_trace *t, size_t from, size_t to)
{
    if (!t->out || to <= from)
        return;
    char *clean = tr_text_clean(t->out + from, to - from, NULL);
    if (!clean) {
        o->bad = 1;
        return;
    }
    puts_(o, "      output: ");
    /* one line per line of output, newlines shown as the program wrote them */
    for (char *p = clean; *p;) {
        size_t n = strcspn(p, "\n");
        put(o, p, n);
        p += n;
        if (*p == '\n') {
            p++;
            puts_(o, "\\n");
            if (*p)
                puts_(o, "\n              ");
        }
    }
    puts_(o, "\n");
    free(clean);
}

static void findings(struct out *o, const char *label, const struct tr_mc_error *e, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        puts_(o, "      ");
        paint(o, P_BAD, label);
        puts_(o, e[i].message ? e[i].message : e[i].kind ? e[i].kind : "");
        if (e[i].block) {
            puts_(o, " (");
            puts_(o, e[i].block);
            puts_(o, ")");
        }
        puts_(o, "\n");
    }
}

static void ending(struct out *o, const struct tr_trace *t, const struct tr_step *last)
{
    char buf[160];
    puts_(o, "\n");
    if (t->outcome == TR_OUT_COMPILE_ERROR || t->outcome == TR_OUT_COMPILE_LIMIT) {
        paint(o, P_BAD, "The program did not compile:\n");
        puts_(o, t->build_output ? t->build_output : "");
        if (t->build_output && *t->build_output &&
            t->build_output[strlen(t->build_output) - 1] != '\n')
            puts_(o, "\n");
        return;
    }
    if (last && last->has_exit_code) {
        snprintf(buf, sizeof buf, "The program ended normally: main returned %d.\n",
                 last->exit_code);
        puts_(o, buf);
    } else if (t->end_message || (last && last->exception_msg)) {
        paint(o, P_BAD, "The program stopped: ");
        puts_(o, t->end_message ? t->end_message : last->exception_msg);
        puts_(o, "\n");
    } else if (t->outcome == TR_OUT_OK) {
        snprintf(buf, sizeof buf, "The program ended with exit status %d.\n", t->exit_code);
        puts_(o, buf);
    } else {
        snprintf(buf, sizeof buf, "The program stopped (%s).\n", tr_outcome_name(t->outcome));
        paint(o, P_BAD, buf);
    }
    if (t->nend_errors) {
        puts_(o, "At exit, memcheck found:\n");
        findings(o, "", t->end_errors, t->nend_errors);
    }
}

char *tr_enc_text(const struct tr_trace *t, int colour, size_t cap, size_t *len)
{
    struct out o = {.colour = colour};
    const struct tr_step *prev = NULL;
    size_t no = 0;
    for (size_t i = 0; i < t->nsteps && !o.bad; i++) {
        const struct tr_step *s = &t->steps[i];
        if (s->hidden || s->event == TR_EV_UNCAUGHT)
            continue;
        if (cap && o.b.len > cap) {
            puts_(
                &o,
                "Stopped: the trace is too large to print; use --max-steps to see fewer steps.\n");
            break;
        }
        struct tr_delta d;
        if (tr_delta_compute(prev, s, &d)) {
            o.bad = 1;
            break;
        }
        header(&o, t, ++no, s);
        changes(&o, s, &d);
        tr_delta_free(&d);
        output(&o, t, prev ? prev->stdout_len : 0, s->stdout_len);
        findings(&o, "memcheck: ", s->mc, s->nmc);
        /* the ending says the last step's message in words below */
        int last = i + 1 == t->nsteps && s->exception_msg && t->end_message &&
                   strcmp(s->exception_msg, t->end_message) == 0;
        if (s->exception_msg && s->event != TR_EV_RETURN && !last) {
            puts_(&o, "      ");
            paint(&o, P_BAD, s->exception_msg);
            puts_(&o, "\n");
        }
        prev = s;
    }
    ending(&o, t, prev);
    if (o.bad || !o.b.p) {
        free(o.b.p);
        return NULL;
    }
    *len = o.b.len;
    return o.b.p;
}
