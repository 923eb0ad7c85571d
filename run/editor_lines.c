/*
 * editor_lines.c - message line numbers in the editor's terms (see
 * editor_lines.h).
 *
 * Only the shapes the tracer itself writes are rewritten (describe.c's
 * "at line N in", step.c's "(line N in"), so a number the program printed
 * into its own exception text never moves.
 */
#include "run/editor_lines.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* s with each "at line N in " / "(line N in " made N - 1; s itself when
   there is none; NULL when out of memory. */
static const char *shifted(struct tr_arena *a, const char *s)
{
    if (!s || !strstr(s, "line "))
        return s;
    size_t n = strlen(s);
    char *out = tr_arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int ours = strncmp(s + i, "line ", 5) == 0 &&
                   ((i >= 3 && strncmp(s + i - 3, "at ", 3) == 0) || (i >= 1 && s[i - 1] == '('));
        size_t d = i + 5, k = d;
        long v = 0;
        while (ours && k < n && k - d < 9 && s[k] >= '0' && s[k] <= '9')
            v = v * 10 + (s[k++] - '0');
        if (ours && k > d && v > 1 && strncmp(s + k, " in ", 4) == 0) {
            memcpy(out + o, "line ", 5);
            o += 5;
            char num[16];
            size_t len = (size_t)snprintf(num, sizeof num, "%ld", v - 1);
            memcpy(out + o, num, len);
            o += len;
            i = k;
            continue;
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    return out;
}

static int errors(struct tr_arena *a, struct tr_mc_error *e, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const char *m = shifted(a, e[i].message), *b = shifted(a, e[i].block);
        if ((e[i].message && !m) || (e[i].block && !b))
            return -1;
        e[i].message = m;
        e[i].block = b;
    }
    return 0;
}

/* Messages that quote the program (its exception, its assertion). */
static int quotes_program(const char *msg)
{
    return strncmp(msg, "Uncaught exception", 18) == 0 || strncmp(msg, "Assertion failed", 16) == 0;
}

int run_editor_lines(struct tr_trace *t)
{
    struct tr_arena *a = t->arena;
    /* steps share message strings (the ending's with its step): rewrite
       each distinct one once, and never twice */
    const char *last_in = t->end_message, *last_out = t->end_message;
    if (last_in && !quotes_program(last_in) && !(last_out = shifted(a, last_in)))
        return -1;
    const char *end_in = last_in, *end_out = last_out;
    for (size_t i = 0; i < t->nsteps; i++) {
        struct tr_step *s = &t->steps[i];
        if (errors(a, s->mc, s->nmc))
            return -1;
        if (!s->exception_msg || quotes_program(s->exception_msg))
            continue;
        if (s->exception_msg == end_in) {
            s->exception_msg = end_out;
            continue;
        }
        if (s->exception_msg != last_in) {
            last_in = s->exception_msg;
            if (!(last_out = shifted(a, last_in)))
                return -1;
        }
        s->exception_msg = last_out;
    }
    t->end_message = end_out;
    return errors(a, t->end_errors, t->nend_errors);
}
