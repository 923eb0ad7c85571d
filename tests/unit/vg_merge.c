/*
 * vg_merge.c - memcheck mode's hand-over and merge without valgrind: a
 * trace through the wire format and back (and broken streams refused), and
 * the merge of a Valgrind trace into a ptrace trace - same steps: findings
 * and uninitialised values folded in by step, path and allocation order;
 * different steps: the Valgrind trace served; Valgrind stopped early: its
 * prefix folded in.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "run/run.h"
#include "run/vg_engine_int.h"

/* ---- hand-built traces ------------------------------------------------------- */

static struct tr_value *scalar(struct tr_trace *t, tr_addr addr, const char *text, int uninit)
{
    struct tr_value *v = tr_arena_alloc(t->arena, sizeof *v);
    v->kind = TR_V_SCALAR;
    v->addr = addr;
    v->size = 4;
    v->type = "int";
    v->stext = uninit ? TR_ST_STRING : TR_ST_NUMBER;
    v->text = uninit ? TR_UNINIT_TEXT : text;
    v->uninit = (uint8_t)uninit;
    return v;
}

/* A heap block of two ints at addr, element 1 uninitialised or not. */
static struct tr_value *block(struct tr_trace *t, tr_addr addr, int second_uninit)
{
    struct tr_value *v = tr_arena_alloc(t->arena, sizeof *v);
    v->kind = TR_V_ARRAY;
    v->addr = addr;
    v->size = 8;
    v->is_heap_block = 1;
    v->kids = tr_arena_alloc(t->arena, 2 * sizeof *v->kids);
    v->kids[0] = scalar(t, addr, "5", 0);
    v->kids[1] = scalar(t, addr + 4, "77", second_uninit);
    v->nkids = 2;
    return v;
}

/* Step i of a little program: main at `line`, locals x and y, one heap
   block (allocation 1) at heap_addr; x uninitialised when asked. */
static void add_step(struct tr_trace *t, int line, tr_addr frame, tr_addr heap_addr,
                     int x_uninit, int heap_uninit)
{
    struct tr_step *s = tr_trace_append(t);
    s->event = t->nsteps == 1 ? TR_EV_CALL : TR_EV_STEP_LINE;
    s->line = line;
    s->func_name = "main";
    s->frames = tr_arena_alloc(t->arena, sizeof *s->frames);
    s->nframes = 1;
    struct tr_frame *f = &s->frames[0];
    f->func_name = "main";
    f->frame_id = frame;
    f->line = line;
    f->vars = tr_arena_alloc(t->arena, 3 * sizeof *f->vars);
    f->vars[f->nvars++] = (struct tr_var){"x", scalar(t, frame - 20, "123", x_uninit)};
    f->vars[f->nvars++] = (struct tr_var){"y", scalar(t, frame - 24, "4", 0)};
    s->heap = tr_arena_alloc(t->arena, sizeof *s->heap);
    s->heap[0] = (struct tr_heap_block){heap_addr, 8, block(t, heap_addr, heap_uninit), 1};
    s->nheap = 1;
}

static struct tr_mc_frame main_at[] = {{"main", 3}};

static void add_error(struct tr_trace *t, size_t step, const char *kind, const char *msg)
{
    struct tr_step *s = &t->steps[step];
    s->mc = tr_arena_alloc(t->arena, sizeof *s->mc);
    s->mc[0] = (struct tr_mc_error){.kind = kind, .message = msg, .stack = main_at, .nstack = 1,
                                    .addr = 0x4d4000, .size = 4, .block = "0 bytes after"};
    s->nmc = 1;
    s->exception_msg = msg;
}

/* The ptrace run: 3 steps on lines 1, 2, 3; nothing uninitialised. */
static struct tr_trace *ptrace_trace(void)
{
    struct tr_trace *t = tr_trace_new(0);
    t->code = "int main() {}";
    t->engine = "ptrace";
    for (int i = 1; i <= 3; i++)
        add_step(t, i, 0x7ffff000, 0x4e5000, 0, 0);
    return t;
}

/* The Valgrind run of the same program: other addresses, x uninitialised
   at step 1, the block's second int at steps 1 and 2, an error at step 2. */
static struct tr_trace *valgrind_trace(const int *lines, size_t n)
{
    struct tr_trace *t = tr_trace_new(0);
    t->engine = "valgrind";
    for (size_t i = 0; i < n; i++)
        add_step(t, lines[i], 0x1fff0000, 0x4d4000, i == 0, i <= 1);
    return t;
}

static struct tr_result *result_of(struct tr_trace *pt)
{
    struct tr_result *res = calloc(1, sizeof *res);
    res->trace = pt;
    res->engine = "ptrace";
    return res;
}

static const char *text_of(const struct tr_step *s, const char *var)
{
    const struct tr_frame *f = &s->frames[s->nframes - 1];
    for (uint32_t i = 0; i < f->nvars; i++)
        if (strcmp(f->vars[i].name, var) == 0)
            return f->vars[i].value->text;
    return NULL;
}

/* ---- wire ---------------------------------------------------------------------------- */

static int to_memfd(const struct vg_run_info *info, const struct tr_trace *t, uint8_t **buf,
                    size_t *len)
{
    int fd = memfd_create("vg-merge-test", 0);
    if (fd < 0 || vg_wire_write(fd, info, t) != TR_OK)
        return -1;
    off_t n = lseek(fd, 0, SEEK_END);
    *buf = malloc((size_t)n);
    *len = (size_t)n;
    ssize_t r = pread(fd, *buf, (size_t)n, 0);
    close(fd);
    return r == n ? 0 : -1;
}

static void test_wire_round_trip(void)
{
    struct tr_trace *t = ptrace_trace();
    add_error(t, 1, "InvalidWrite", "Invalid write of size 4");
    t->out = strdup("hello\n");
    t->out_len = 6;
    t->steps[2].stdout_len = 6;
    t->steps[2].has_exit_code = 1;
    t->steps[2].exit_code = 3;
    t->steps[1].hidden = 1;
    t->steps[1].clock = 0x123456789ull; /* the runtime's clock crosses too */
    t->outcome = TR_OUT_RUNTIME_ERROR;
    t->end_message = "the end";
    struct vg_run_info info = {.ok = 1, .ms = 1234};
    uint8_t *buf = NULL;
    size_t len = 0;
    REQUIRE(to_memfd(&info, t, &buf, &len) == 0);
    struct vg_run_info back;
    struct tr_trace *u = NULL;
    char err[TR_ERRBUF_LEN];
    REQUIRE(vg_wire_read(buf, len, 0, 1 << 20, &back, &u, err) == TR_OK);
    REQUIRE(u != NULL);
    CHECK(back.ok == 1 && back.ms == 1234);
    CHECK_INT(u->nsteps, 3);
    CHECK_INT(u->outcome, TR_OUT_RUNTIME_ERROR);
    CHECK_STR(u->end_message, "the end");
    CHECK_INT(u->out_len, 6);
    CHECK(u->out && memcmp(u->out, "hello\n", 6) == 0);
    CHECK_INT(u->steps[1].hidden, 1);
    CHECK_INT((long long)u->steps[1].clock, 0x123456789ll);
    CHECK_INT((long long)u->steps[0].clock, 0);
    CHECK_INT(u->steps[2].exit_code, 3);
    CHECK_INT(u->steps[2].stdout_len, 6);
    CHECK_STR(u->steps[1].mc[0].kind, "InvalidWrite");
    CHECK_STR(u->steps[1].mc[0].stack[0].func, "main");
    CHECK_INT(u->steps[1].mc[0].stack[0].line, 3);
    CHECK_STR(text_of(&u->steps[0], "x"), "123");
    CHECK_INT(u->steps[0].heap[0].seq, 1);
    CHECK_STR(u->steps[0].heap[0].value->kids[1]->text, "77");
    CHECK_INT(u->steps[0].frames[0].frame_id, 0x7ffff000);

    /* a stream cut anywhere is refused, and so is any byte changed in the
       header; random damage elsewhere never crashes the reader */
    struct tr_trace *w = NULL;
    for (size_t cut = 0; cut < len; cut += len / 97 + 1)
        CHECK_INT(vg_wire_read(buf, cut, 0, 1 << 20, &back, &w, err), TR_ERR_PROTOCOL);
    buf[0] ^= 1;
    CHECK_INT(vg_wire_read(buf, len, 0, 1 << 20, &back, &w, err), TR_ERR_PROTOCOL);
    buf[0] ^= 1;
    srand(7);
    for (int i = 0; i < 3000; i++) {
        size_t at = 8 + (size_t)rand() % (len - 16);
        uint8_t old = buf[at];
        buf[at] = (uint8_t)rand();
        w = NULL;
        if (vg_wire_read(buf, len, 0, 1 << 20, &back, &w, err) == TR_OK)
            tr_trace_free(w);
        buf[at] = old;
    }
    free(buf);
    tr_trace_free(u);
    tr_trace_free(t);
}

/* ---- merge ----------------------------------------------------------------------------- */

static void test_same_steps_fold_findings(void)
{
    struct tr_result *res = result_of(ptrace_trace());
    static const int lines[] = {1, 2, 3};
    struct tr_trace *vg = valgrind_trace(lines, 3);
    add_error(vg, 1, "InvalidWrite", "Invalid write of size 4: 0 bytes after a block");
    vg->end_errors = tr_arena_alloc(vg->arena, sizeof *vg->end_errors);
    vg->end_errors[0] = (struct tr_mc_error){.kind = "Leak_DefinitelyLost",
                                             .message = "Memory leak: 8 bytes in 1 block",
                                             .size = 8, .blocks = 1};
    vg->nend_errors = 1;
    vg_merge(res, vg);
    struct tr_trace *t = res->trace;
    CHECK_STR(res->engine, "ptrace");
    CHECK_STR(t->engine, "ptrace");
    CHECK_INT(res->memcheck_ran, 1);
    CHECK(res->memcheck_note == NULL);
    CHECK_INT(res->memcheck_partial, 0);
    /* the ptrace trace's own addresses, Valgrind's verdicts */
    CHECK_STR(text_of(&t->steps[0], "x"), TR_UNINIT_TEXT);
    CHECK_STR(text_of(&t->steps[1], "x"), "123");
    CHECK_STR(text_of(&t->steps[0], "y"), "4");
    CHECK_INT(t->steps[0].frames[0].frame_id, 0x7ffff000);
    CHECK_INT(t->steps[1].heap[0].addr, 0x4e5000); /* block matched by allocation order */
    CHECK_STR(t->steps[1].heap[0].value->kids[1]->text, TR_UNINIT_TEXT);
    CHECK_STR(t->steps[1].heap[0].value->kids[0]->text, "5");
    CHECK_STR(t->steps[2].heap[0].value->kids[1]->text, "77");
    REQUIRE(t->steps[1].nmc == 1);
    CHECK_STR(t->steps[1].mc[0].kind, "InvalidWrite");
    CHECK_STR(t->steps[1].exception_msg, "Invalid write of size 4: 0 bytes after a block");
    CHECK_INT(t->steps[0].nmc, 0);
    CHECK_INT(t->nend_errors, 1);
    CHECK(t->steps[2].exception_msg && strstr(t->steps[2].exception_msg, "Memory leak") != NULL);
    tr_trace_free(res->trace);
    free(res);
}

static void test_different_steps_serve_valgrind(void)
{
    struct tr_result *res = result_of(ptrace_trace());
    static const int lines[] = {1, 2, 5, 6};
    struct tr_trace *vg = valgrind_trace(lines, 4);
    vg_merge(res, vg);
    CHECK(res->trace == vg);
    CHECK_STR(res->engine, "valgrind");
    CHECK_STR(res->trace->code, "int main() {}");
    CHECK_INT(res->trace->nsteps, 4);
    CHECK_INT(res->memcheck_ran, 1);
    REQUIRE(res->memcheck_note != NULL);
    CHECK(strstr(res->memcheck_note, "from step 3") != NULL);
    CHECK(strstr(res->memcheck_note, "natively: line 3") != NULL);
    CHECK(strstr(res->memcheck_note, "under Valgrind: line 5") != NULL);
    tr_trace_free(res->trace);
    free(res);
}

static void test_valgrind_stopped_early(void)
{
    struct tr_result *res = result_of(ptrace_trace());
    /* one step, then its time-limit step (a copy of the last one) */
    static const int lines[] = {1, 1};
    struct tr_trace *vg = valgrind_trace(lines, 2);
    vg->steps[1].event = TR_EV_EXCEPTION;
    vg->outcome = TR_OUT_TIME_LIMIT;
    vg->end_message = "Time limit exceeded";
    vg_merge(res, vg);
    struct tr_trace *t = res->trace;
    CHECK_STR(res->engine, "ptrace");
    CHECK_INT(t->nsteps, 3);
    CHECK_STR(text_of(&t->steps[0], "x"), TR_UNINIT_TEXT);
    CHECK_STR(text_of(&t->steps[1], "x"), "123");
    REQUIRE(res->memcheck_note != NULL);
    CHECK(strstr(res->memcheck_note, "first 1 of 3 steps") != NULL);
    CHECK_INT(res->memcheck_partial, 1); /* depends on the moment: not cached */
    tr_trace_free(res->trace);
    free(res);
}

TEST_MAIN(TEST(test_wire_round_trip), TEST(test_same_steps_fold_findings),
          TEST(test_different_steps_serve_valgrind), TEST(test_valgrind_stopped_early))
