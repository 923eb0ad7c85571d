/*
 * tracer_vgtrace.c - the See++ raw encoding (tracer/enc_vgtrace.c) of a
 * hand-built trace: every step is a record, hidden ones too; frames go
 * innermost first; each record carries the output of the record See++'s
 * parser keeps before it (so its one-step shift puts output back in place).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tracer/enc.h"
#include "tracer/model.h"

#define MAIN_CFA 0x7fff0100u
#define F_CFA 0x7fff00c0u

/* A step of main (depth 1) or of f called from main's line 3 (depth 2). */
static void add_step(struct tr_trace *t, enum tr_event ev, int depth, int line, size_t out_len,
                     int hidden)
{
    struct tr_step *s = tr_trace_append(t);
    s->event = ev;
    s->frames = tr_arena_alloc(t->arena, 2 * sizeof *s->frames);
    s->frames[0] = (struct tr_frame){
        .func_name = "main", .frame_id = MAIN_CFA, .sp = F_CFA, .line = depth == 2 ? 3 : line};
    if (depth == 2)
        s->frames[1] =
            (struct tr_frame){.func_name = "f", .frame_id = F_CFA, .sp = F_CFA - 32, .line = line};
    s->nframes = (uint32_t)depth;
    s->line = line;
    s->func_name = depth == 2 ? "f" : "main";
    s->stdout_len = out_len;
    s->hidden = (uint8_t)hidden;
}

/* The STDOUT lines of the text, in order, into out (n at most). */
static size_t stdout_lines(const char *text, const char **out, size_t n)
{
    size_t k = 0;
    for (const char *p = strstr(text, "STDOUT: "); p && k < n; p = strstr(p + 1, "STDOUT: "))
        out[k++] = p + strlen("STDOUT: ");
    return k;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_records_and_stdout_shift(void)
{
    struct tr_trace *t = tr_trace_new(0);
    REQUIRE(t);
    t->out = strdup("hi\n");
    t->out_len = 3;
    add_step(t, TR_EV_CALL, 1, 2, 0, 0);
    add_step(t, TR_EV_STEP_LINE, 1, 3, 0, 0);
    add_step(t, TR_EV_CALL, 2, 1, 0, 0);      /* f, written on one line */
    add_step(t, TR_EV_RETURN, 2, 1, 0, 0);    /* See++'s lookahead drops it */
    add_step(t, TR_EV_STEP_LINE, 1, 3, 0, 1); /* hidden: its rule 5 drops it */
    add_step(t, TR_EV_STEP_LINE, 1, 4, 3, 0); /* line 3 printed "hi\n" */
    add_step(t, TR_EV_RETURN, 1, 5, 3, 0);
    size_t len = 0;
    char *text = tr_enc_vgtrace(t, 0, &len, NULL);
    REQUIRE(text);
    CHECK_INT(strlen(text), len);
    CHECK(starts(text, "=== pg_trace_inst ===\nSTDOUT: \"\"\n{"));
    CHECK(!strstr(text, "ERROR:"));
    const char *outs[16];
    size_t n = stdout_lines(text, outs, 16);
    CHECK_INT(n, 7); /* every step, hidden included */
    /* kept by See++: 0 1 2 5 6; each record has the output of the kept
       record before it, so only the last carries "hi\n" (step 5's) */
    for (size_t i = 0; i + 1 < n; i++)
        CHECK(starts(outs[i], "\"\"\n"));
    if (n == 7)
        CHECK(starts(outs[6], "\"hi\\n\"\n"));
    /* f's records list f first, then main, by frame pointer */
    const char *rec = strstr(text, "\"func_name\":\"f\"");
    REQUIRE(rec);
    const char *stack = strstr(rec, "\"stack\":[");
    REQUIRE(stack);
    CHECK(starts(stack, "\"stack\":[{\"func_name\":\"f\",\"line\":1,"));
    CHECK(strstr(stack, "\"FP\":\"0x7FFF00C0\"") < strstr(stack, "\"FP\":\"0x7FFF0100\""));
    free(text);
    tr_trace_free(t);
}

static void test_size_cap_keeps_whole_records(void)
{
    struct tr_trace *t = tr_trace_new(0);
    REQUIRE(t);
    for (int i = 0; i < 50; i++)
        add_step(t, i ? TR_EV_STEP_LINE : TR_EV_CALL, 1, 2 + i, 0, 0);
    size_t full = 0, cut = 0;
    char *all = tr_enc_vgtrace(t, 0, &full, NULL);
    char *part = tr_enc_vgtrace(t, full / 2, &cut, NULL);
    REQUIRE(all && part);
    CHECK(cut <= full / 2 && cut > 0);
    CHECK_INT(memcmp(all, part, cut), 0);
    CHECK(part[cut - 1] == '\n' && starts(all + cut, "=== pg_trace_inst ==="));
    free(all);
    free(part);
    tr_trace_free(t);
}

static void test_compile_error_has_no_records(void)
{
    struct tr_trace *t = tr_trace_new(0);
    REQUIRE(t);
    struct tr_step *s = tr_trace_append(t);
    s->event = TR_EV_UNCAUGHT;
    s->exception_msg = "error: 'y' was not declared";
    size_t len = 1;
    char *text = tr_enc_vgtrace(t, 0, &len, NULL);
    REQUIRE(text);
    CHECK_INT(len, 0);
    free(text);
    tr_trace_free(t);
}

TEST_MAIN(TEST(test_records_and_stdout_shift), TEST(test_size_cap_keeps_whole_records),
          TEST(test_compile_error_has_no_records))
