/*
 * tracer_vbits.c - the value reader's memcheck V-bits (val_vbits.c) against
 * a fake memcheck target: which values become "<UNINITIALIZED>", and that
 * the target is asked per region, not per scalar.
 */
#include <string.h>

#include "check.h"
#include "support/fake_target.h"
#include "tracer/model.h"
#include "tracer/value.h"

static struct dw_type t_int = {.kind = DWX_T_BASE, .name = "int", .size = 4,
                               .encoding = DWX_ENC_SIGNED};
static struct dw_type t_uint = {.kind = DWX_T_BASE, .name = "unsigned int", .size = 4,
                                .encoding = DWX_ENC_UNSIGNED};
static struct dw_type t_char = {.kind = DWX_T_BASE, .name = "char", .size = 1,
                                .encoding = DWX_ENC_SIGNED_CHAR};
static struct dw_type t_ld = {.kind = DWX_T_BASE, .name = "long double", .size = 16,
                              .encoding = DWX_ENC_FLOAT};
static struct dw_type t_intp = {.kind = DWX_T_POINTER, .size = 8, .target = &t_int};

/* struct S { int a; char c; (3 padding) int b; unsigned ready:1, level:3; int *p; } */
static struct dw_member s_members[] = {
    {.name = "a", .type = &t_int, .offset = 0},
    {.name = "c", .type = &t_char, .offset = 4},
    {.name = "b", .type = &t_int, .offset = 8},
    {.name = "ready", .type = &t_uint, .offset = 12, .bit_size = 1, .bit_pos = 96},
    {.name = "level", .type = &t_uint, .offset = 12, .bit_size = 3, .bit_pos = 97},
    {.name = "p", .type = &t_intp, .offset = 16},
};
static struct dw_type t_s = {.kind = DWX_T_STRUCT, .name = "S", .size = 24,
                             .members = s_members, .nmembers = 6};

static struct dw_array_dim dim100[] = {{.count = 100}};
static struct dw_type t_int100 = {.kind = DWX_T_ARRAY, .size = 400, .target = &t_int,
                                  .dims = dim100, .ndims = 1};

struct fx {
    struct tr_target *t;
    struct tr_arena *a;
    struct tr_valctx *c;
};

static int fx_open(struct fx *f, int vbits)
{
    f->t = vbits ? fake_target_new_vbits() : fake_target_new();
    f->a = tr_arena_new(0);
    f->c = f->t && f->a ? tr_val_new(f->t, NULL, f->a) : NULL;
    if (f->c)
        tr_val_begin(f->c);
    return f->c ? 0 : -1;
}

static void fx_close(struct fx *f)
{
    tr_val_free(f->c);
    tr_arena_free(f->a);
    tr_target_destroy(f->t);
}

static int uninit(const struct tr_value *v)
{
    return v->uninit && strcmp(v->text, TR_UNINIT_TEXT) == 0 && v->stext == TR_ST_STRING;
}

static void test_members_each_on_their_own(void)
{
    struct fx f;
    REQUIRE(fx_open(&f, 1) == 0);
    uint8_t mem[24];
    memset(mem, 0x41, sizeof mem);
    mem[12] = 1;                 /* ready = 1, level = 0 */
    REQUIRE(fake_target_map(f.t, 0x7000, mem, sizeof mem) == 0);
    uint8_t undef[24] = {0};
    memset(undef + 5, 0xff, 3);  /* the padding after c: never shown */
    undef[9] = 0x10;             /* one bit of b */
    undef[12] = 0x0e;            /* level's three bits, not ready's */
    memset(undef + 16, 0xff, 8); /* p */
    REQUIRE(fake_target_set_vbits(f.t, 0x7000, undef, sizeof undef) == 0);
    struct tr_value *v = tr_val_read(f.c, &t_s, 0x7000);
    REQUIRE(v && v->nkids == 6);
    tr_val_end(f.c);
    CHECK(!v->kids[0]->uninit);
    CHECK_STR(v->kids[0]->text, "1094795585");
    CHECK(!v->kids[1]->uninit);              /* padding beside it does not count */
    CHECK(uninit(v->kids[2]));               /* partly defined: uninitialised */
    CHECK(!v->kids[3]->uninit);              /* its own bit is defined */
    CHECK_STR(v->kids[3]->text, "1");
    CHECK(uninit(v->kids[4]));
    CHECK_INT(v->kids[5]->kind, TR_V_POINTER); /* still a pointer tuple */
    CHECK(uninit(v->kids[5]));
    CHECK(!v->uninit);                       /* an aggregate never is, as a whole */
    fx_close(&f);
}

static void test_defined_costs_one_question_per_region(void)
{
    struct fx f;
    REQUIRE(fx_open(&f, 1) == 0);
    int32_t arr[100];
    for (int i = 0; i < 100; i++)
        arr[i] = i;
    REQUIRE(fake_target_map(f.t, 0x8000, arr, sizeof arr) == 0);
    REQUIRE(fake_target_map(f.t, 0x9000, arr, 8) == 0);
    struct tr_value *v = tr_val_read(f.c, &t_int100, 0x8000);
    struct tr_value *w = tr_val_read(f.c, &t_int, 0x9000);
    struct tr_value *x = tr_val_read(f.c, &t_int, 0x9004); /* adjacent: same region */
    REQUIRE(v && w && x);
    tr_val_end(f.c);
    CHECK_INT(fake_target_checks(f.t), 2);
    CHECK_INT(fake_target_vbits_bytes(f.t), 0);
    for (int i = 0; i < 100; i++)
        CHECK(!v->kids[i]->uninit);
    CHECK(!w->uninit && !x->uninit);
    fx_close(&f);
}

/* An array filled 10 elements in: the rest is found with a few windows of
   exact bits, not one question per element. */
static void test_partly_filled_array(void)
{
    struct fx f;
    REQUIRE(fx_open(&f, 1) == 0);
    int32_t arr[100] = {0};
    REQUIRE(fake_target_map(f.t, 0x8000, arr, sizeof arr) == 0);
    uint8_t undef[400];
    memset(undef, 0xff, sizeof undef);
    memset(undef, 0, 40);
    REQUIRE(fake_target_set_vbits(f.t, 0x8000, undef, sizeof undef) == 0);
    struct tr_value *v = tr_val_read(f.c, &t_int100, 0x8000);
    REQUIRE(v && v->nkids == 100);
    tr_val_end(f.c);
    int flagged = 0;
    for (int i = 0; i < 100; i++)
        flagged += uninit(v->kids[i]);
    CHECK_INT(flagged, 90);
    CHECK(!v->kids[9]->uninit && v->kids[10]->uninit && v->kids[99]->uninit);
    CHECK(fake_target_checks(f.t) <= 6);
    CHECK(fake_target_vbits_bytes(f.t) <= 400);

    /* a new snapshot forgets the old one's answers */
    memset(undef, 0, sizeof undef);
    REQUIRE(fake_target_set_vbits(f.t, 0x8000, undef, sizeof undef) == 0);
    tr_val_begin(f.c);
    v = tr_val_read(f.c, &t_int100, 0x8000);
    tr_val_end(f.c);
    CHECK(!v->kids[99]->uninit);
    fx_close(&f);
}

static void test_unaddressable_and_padding(void)
{
    struct fx f;
    REQUIRE(fx_open(&f, 1) == 0);
    int32_t two[2] = {7, 8};
    REQUIRE(fake_target_map(f.t, 0xa000, two, sizeof two) == 0);
    /* a popped frame: unaddressable, shown as memory holds it */
    REQUIRE(fake_target_noaccess(f.t, 0xa000, 4) == 0);
    uint8_t u[4] = {0xff, 0xff, 0xff, 0xff};
    REQUIRE(fake_target_set_vbits(f.t, 0xa004, u, 4) == 0);
    struct tr_value *a = tr_val_read(f.c, &t_int, 0xa000);
    struct tr_value *b = tr_val_read(f.c, &t_int, 0xa004);
    /* an x87 long double: 10 bytes of value, 6 of padding never written */
    uint8_t ld[16] = {0};
    long double one = 1.0L;
    memcpy(ld, &one, 10);
    REQUIRE(fake_target_map(f.t, 0xb000, ld, sizeof ld) == 0);
    uint8_t pad[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    REQUIRE(fake_target_set_vbits(f.t, 0xb00a, pad, 6) == 0);
    struct tr_value *l = tr_val_read(f.c, &t_ld, 0xb000);
    REQUIRE(a && b && l);
    tr_val_end(f.c);
    CHECK(!a->uninit);
    CHECK_STR(a->text, "7");
    CHECK(uninit(b));
    CHECK(!l->uninit);
    CHECK_STR(l->text, "1");
    fx_close(&f);
}

/* Locals with a hole between them (alignment padding) are one region: one
   question when the hole is defined, one more when it is not - and no
   exact bits are fetched for a hole, which no value shows. */
static void test_padding_between_values(void)
{
    struct fx f;
    REQUIRE(fx_open(&f, 1) == 0);
    int32_t four[4] = {1, 0, 0, 2};
    REQUIRE(fake_target_map(f.t, 0xd000, four, sizeof four) == 0);
    struct tr_value *a = tr_val_read(f.c, &t_int, 0xd000);
    struct tr_value *b = tr_val_read(f.c, &t_int, 0xd00c);
    tr_val_end(f.c);
    CHECK_INT(fake_target_checks(f.t), 1);
    uint8_t hole[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    REQUIRE(fake_target_set_vbits(f.t, 0xd004, hole, sizeof hole) == 0);
    tr_val_begin(f.c);
    a = tr_val_read(f.c, &t_int, 0xd000);
    b = tr_val_read(f.c, &t_int, 0xd00c);
    tr_val_end(f.c);
    CHECK_INT(fake_target_checks(f.t), 3);
    CHECK_INT(fake_target_vbits_bytes(f.t), 0);
    CHECK(!a->uninit && !b->uninit);
    CHECK_STR(b->text, "2");
    fx_close(&f);
}

/* Without V-bits (ptrace) nothing is asked and nothing is flagged. */
static void test_no_vbits_no_flags(void)
{
    struct fx f;
    REQUIRE(fx_open(&f, 0) == 0);
    int32_t x = 3;
    REQUIRE(fake_target_map(f.t, 0xc000, &x, 4) == 0);
    struct tr_value *v = tr_val_read(f.c, &t_int, 0xc000);
    REQUIRE(v);
    tr_val_end(f.c);
    CHECK(!v->uninit);
    CHECK_STR(v->text, "3");
    fx_close(&f);
}

TEST_MAIN(TEST(test_members_each_on_their_own), TEST(test_defined_costs_one_question_per_region),
          TEST(test_partly_filled_array), TEST(test_unaddressable_and_padding),
          TEST(test_padding_between_values), TEST(test_no_vbits_no_flags))
