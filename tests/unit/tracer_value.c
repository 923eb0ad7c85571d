/*
 * tracer_value.c - the value reader against a fake target: hand-built
 * DWARF types over scripted memory, checked value by value.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "support/fake_target.h"
#include "tracer/enc_int.h"
#include "tracer/model.h"
#include "tracer/text.h"
#include "tracer/value.h"

/* ---- hand-made types ---------------------------------------------------- */

static struct dw_type t_int = {.kind = DWX_T_BASE, .name = "int", .size = 4,
                               .encoding = DWX_ENC_SIGNED};
static struct dw_type t_short = {.kind = DWX_T_BASE, .name = "short", .size = 2,
                                 .encoding = DWX_ENC_SIGNED};
static struct dw_type t_uint = {.kind = DWX_T_BASE, .name = "unsigned int", .size = 4,
                                .encoding = DWX_ENC_UNSIGNED};
static struct dw_type t_char = {.kind = DWX_T_BASE, .name = "char", .size = 1,
                                .encoding = DWX_ENC_SIGNED_CHAR};
static struct dw_type t_uchar = {.kind = DWX_T_BASE, .name = "unsigned char", .size = 1,
                                 .encoding = DWX_ENC_UNSIGNED_CHAR};
static struct dw_type t_wchar = {.kind = DWX_T_BASE, .name = "wchar_t", .size = 4,
                                 .encoding = DWX_ENC_SIGNED};
static struct dw_type t_bool = {.kind = DWX_T_BASE, .name = "bool", .size = 1,
                                .encoding = DWX_ENC_BOOL};
static struct dw_type t_float = {.kind = DWX_T_BASE, .name = "float", .size = 4,
                                 .encoding = DWX_ENC_FLOAT};
static struct dw_type t_double = {.kind = DWX_T_BASE, .name = "double", .size = 8,
                                  .encoding = DWX_ENC_FLOAT};
static struct dw_type t_i128 = {.kind = DWX_T_BASE, .name = "__int128", .size = 16,
                                .encoding = DWX_ENC_SIGNED};
static struct dw_type t_intp = {.kind = DWX_T_POINTER, .size = 8, .target = &t_int};
static struct dw_type t_typedef = {.kind = DWX_T_TYPEDEF, .name = "count_t", .target = &t_uint};

static struct dw_enumerator colors[] = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
static struct dw_type t_enum = {.kind = DWX_T_ENUM, .name = "Color", .size = 4,
                                .encoding = DWX_ENC_UNSIGNED, .enumerators = colors,
                                .nenumerators = 3};

static struct dw_array_dim dim3[] = {{.count = 3}};
static struct dw_type t_int3 = {.kind = DWX_T_ARRAY, .size = 12, .target = &t_int,
                                .dims = dim3, .ndims = 1};
static struct dw_array_dim dim23[] = {{.count = 2}, {.count = 3}};
static struct dw_type t_int23 = {.kind = DWX_T_ARRAY, .size = 24, .target = &t_int,
                                 .dims = dim23, .ndims = 2};

/* struct Node { int value; Node *next; }; */
static struct dw_type t_node;
static struct dw_type t_nodep = {.kind = DWX_T_POINTER, .size = 8, .target = &t_node};
static struct dw_member node_members[] = {
    {.name = "value", .type = &t_int, .offset = 0},
    {.name = "next", .type = &t_nodep, .offset = 8},
};
static struct dw_type t_node = {.kind = DWX_T_STRUCT, .name = "Node", .size = 16,
                                .members = node_members, .nmembers = 2};

/* struct Box { struct { int x, y; } corner; int sizes[3]; unsigned ready:1, level:3; } */
static struct dw_member pt_members[] = {
    {.name = "x", .type = &t_int, .offset = 0},
    {.name = "y", .type = &t_int, .offset = 4},
};
static struct dw_type t_point = {.kind = DWX_T_STRUCT, .name = "Point", .size = 8,
                                 .members = pt_members, .nmembers = 2};
static struct dw_member box_members[] = {
    {.name = "corner", .type = &t_point, .offset = 0},
    {.name = "sizes", .type = &t_int3, .offset = 8},
    {.name = "ready", .type = &t_uint, .offset = 20, .bit_size = 1, .bit_pos = 160},
    {.name = "level", .type = &t_uint, .offset = 20, .bit_size = 3, .bit_pos = 161},
};
static struct dw_type t_box = {.kind = DWX_T_STRUCT, .name = "Box", .size = 24,
                               .members = box_members, .nmembers = 4};

/* union Num { int i; char c; } */
static struct dw_member num_members[] = {
    {.name = "i", .type = &t_int, .offset = 0},
    {.name = "c", .type = &t_char, .offset = 0},
};
static struct dw_type t_num = {.kind = DWX_T_UNION, .name = "Num", .size = 4,
                               .members = num_members, .nmembers = 2};

/* ---- fixture ------------------------------------------------------------- */

struct fx {
    struct tr_target *t;
    struct tr_arena *a;
    struct tr_valctx *c;
};

static int fx_open(struct fx *f)
{
    f->t = fake_target_new();
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

static struct tr_value *read_at(struct fx *f, const struct dw_type *ty, tr_addr a)
{
    return tr_val_read(f->c, ty, a);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_integers_and_typedef(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    int32_t i = -42;
    int16_t s = -32768;
    uint32_t u = 4000000000u;
    __int128 big = -((__int128)1 << 100);
    fake_target_map(f.t, 0x1000, &i, 4);
    fake_target_map(f.t, 0x1010, &s, 2);
    fake_target_map(f.t, 0x1020, &u, 4);
    fake_target_map(f.t, 0x1030, &big, 16);
    struct tr_value *v = read_at(&f, &t_int, 0x1000);
    REQUIRE(v);
    CHECK_INT(v->kind, TR_V_SCALAR);
    CHECK_STR(v->type, "int");
    CHECK_STR(v->text, "-42");
    CHECK_INT(v->stext, TR_ST_NUMBER);
    CHECK_INT(v->addr, 0x1000);
    CHECK_STR(read_at(&f, &t_short, 0x1010)->text, "-32768");
    CHECK_STR(read_at(&f, &t_uint, 0x1020)->text, "4000000000");
    v = read_at(&f, &t_typedef, 0x1020);
    CHECK_STR(v->type, "count_t");
    CHECK_STR(v->text, "4000000000");
    CHECK_STR(read_at(&f, &t_i128, 0x1030)->text, "-1267650600228229401496703205376");
    fx_close(&f);
}

/* A scalar's val slot as every JSON format writes it (static: freed by
   the next call). */
static const char *json_of(const struct tr_value *v)
{
    static char *last;
    free(last);
    cJSON *j = tr_enc_scalar(v);
    last = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return last ? last : "(out of memory)";
}

static void test_wide_chars(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    int32_t w[] = {0xe9, 0x1f600, '\t', 0x85, 0xd800, -1};
    fake_target_map(f.t, 0x2200, w, sizeof w);
    CHECK_STR(read_at(&f, &t_wchar, 0x2200)->text, "\xc3\xa9");
    CHECK_STR(json_of(read_at(&f, &t_wchar, 0x2200)), "\"\xc3\xa9\"");
    CHECK_STR(json_of(read_at(&f, &t_wchar, 0x2204)), "\"\xf0\x9f\x98\x80\"");
    CHECK_STR(json_of(read_at(&f, &t_wchar, 0x2208)), "\"\\t\"");
    /* a C1 control and a lone surrogate: no string shows them; -1 is -1 */
    CHECK_STR(read_at(&f, &t_wchar, 0x220c)->text, "\\x85");
    CHECK_STR(json_of(read_at(&f, &t_wchar, 0x220c)), "133");
    CHECK_STR(json_of(read_at(&f, &t_wchar, 0x2210)), "55296");
    CHECK_STR(json_of(read_at(&f, &t_wchar, 0x2214)), "-1");
    fx_close(&f);
}

static void test_chars_bools_enums(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    unsigned char bytes[] = {'x', '\n', 0, 0x96, 1, 0};
    uint32_t green = 1, seven = 7;
    fake_target_map(f.t, 0x2000, bytes, sizeof bytes);
    fake_target_map(f.t, 0x2100, &green, 4);
    fake_target_map(f.t, 0x2104, &seven, 4);
    /* the text format's spelling */
    CHECK_STR(read_at(&f, &t_char, 0x2000)->text, "x");
    CHECK_STR(read_at(&f, &t_char, 0x2001)->text, "\\n");
    CHECK_STR(read_at(&f, &t_char, 0x2002)->text, "\\0");
    CHECK_STR(read_at(&f, &t_char, 0x2003)->text, "\\x96");
    CHECK_INT(read_at(&f, &t_char, 0x2003)->stext, TR_ST_CHAR);
    /* the JSON: the character itself, one JSON escape for controls; a byte
       past ASCII is its number, as C has it (char is signed) */
    CHECK_STR(json_of(read_at(&f, &t_char, 0x2000)), "\"x\"");
    CHECK_STR(json_of(read_at(&f, &t_char, 0x2001)), "\"\\n\"");
    CHECK_STR(json_of(read_at(&f, &t_char, 0x2002)), "\"\\u0000\"");
    CHECK_STR(json_of(read_at(&f, &t_char, 0x2003)), "-106");
    CHECK_STR(json_of(read_at(&f, &t_uchar, 0x2003)), "150");
    CHECK_STR(json_of(read_at(&f, &t_uchar, 0x2004)), "\"\\u0001\"");
    struct tr_value *b = read_at(&f, &t_bool, 0x2004);
    CHECK_INT(b->stext, TR_ST_BOOL);
    CHECK_STR(b->text, "true");
    CHECK_STR(read_at(&f, &t_bool, 0x2005)->text, "false");
    struct tr_value *e = read_at(&f, &t_enum, 0x2100);
    CHECK_STR(e->text, "GREEN");
    CHECK_STR(e->type, "Color");
    CHECK_INT(e->stext, TR_ST_STRING);
    e = read_at(&f, &t_enum, 0x2104);
    CHECK_STR(e->text, "7");
    CHECK_INT(e->stext, TR_ST_NUMBER);
    fx_close(&f);
}

static void test_floats_shortest_and_special(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    float fl[] = {0.1f, 1.5f};
    double d[] = {0.1, 1.0 / 3.0, 1e300, NAN, INFINITY, -INFINITY, -0.0};
    fake_target_map(f.t, 0x3000, fl, sizeof fl);
    fake_target_map(f.t, 0x3100, d, sizeof d);
    CHECK_STR(read_at(&f, &t_float, 0x3000)->text, "0.1");
    CHECK_STR(read_at(&f, &t_float, 0x3004)->text, "1.5");
    CHECK_STR(read_at(&f, &t_double, 0x3100)->text, "0.1");
    CHECK_STR(read_at(&f, &t_double, 0x3108)->text, "0.3333333333333333");
    CHECK_STR(read_at(&f, &t_double, 0x3110)->text, "1e+300");
    struct tr_value *n = read_at(&f, &t_double, 0x3118);
    CHECK_STR(n->text, "nan");
    CHECK_INT(n->stext, TR_ST_STRING);
    CHECK_STR(read_at(&f, &t_double, 0x3120)->text, "inf");
    CHECK_STR(read_at(&f, &t_double, 0x3128)->text, "-inf");
    CHECK_STR(read_at(&f, &t_double, 0x3130)->text, "-0");
    char buf[64];
    CHECK_STR(tr_fmt_long_double(2.5L, buf, sizeof buf), "2.5");
    fx_close(&f);
}

static void test_pointers_and_unreadable(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    uint64_t p = 0x7ffc0010, null = 0;
    fake_target_map(f.t, 0x4000, &p, 8);
    fake_target_map(f.t, 0x4008, &null, 8);
    struct tr_value *v = read_at(&f, &t_intp, 0x4000);
    CHECK_INT(v->kind, TR_V_POINTER);
    CHECK_STR(v->text, "0x7FFC0010");
    CHECK_STR(v->type, "int*");
    CHECK_INT(v->target, 0x7ffc0010);
    CHECK_STR(read_at(&f, &t_intp, 0x4008)->text, "0x0");
    /* nothing mapped there: unreadable, not a crash */
    v = read_at(&f, &t_int, 0x9000);
    CHECK_STR(v->text, TR_UNALLOC_TEXT);
    fx_close(&f);
}

static void test_struct_array_bitfield_union(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    unsigned char box[24] = {0};
    int32_t vals[5] = {1, 2, 3, 4, 5};
    memcpy(box, vals, 20);
    box[20] = 1 | (5 << 1); /* ready = 1, level = 5 */
    fake_target_map(f.t, 0x5000, box, sizeof box);
    struct tr_value *v = read_at(&f, &t_box, 0x5000);
    REQUIRE(v && v->kind == TR_V_STRUCT && v->nkids == 4);
    CHECK_STR(v->type, "Box");
    CHECK_STR(v->kids[0]->name, "corner");
    CHECK_INT(v->kids[0]->kind, TR_V_STRUCT);
    CHECK_STR(v->kids[0]->kids[1]->text, "2");
    CHECK_INT(v->kids[0]->kids[1]->addr, 0x5004);
    CHECK_INT(v->kids[1]->kind, TR_V_ARRAY);
    CHECK_INT(v->kids[1]->nkids, 3);
    CHECK_STR(v->kids[1]->kids[2]->text, "5");
    CHECK_INT(v->kids[1]->kids[2]->addr, 0x5010);
    CHECK_STR(v->kids[2]->name, "ready");
    CHECK_STR(v->kids[2]->text, "1");
    CHECK_STR(v->kids[3]->text, "5");

    int32_t a = 65;
    fake_target_map(f.t, 0x5100, &a, 4);
    tr_val_begin(f.c); /* memory changed: a new stop */
    v = read_at(&f, &t_num, 0x5100);
    REQUIRE(v && v->nkids == 2);
    CHECK_INT(v->kids[0]->addr, v->kids[1]->addr);
    CHECK_STR(v->kids[1]->text, "A");

    int32_t grid[6] = {1, 2, 3, 4, 5, 6};
    fake_target_map(f.t, 0x5200, grid, sizeof grid);
    tr_val_begin(f.c);
    v = read_at(&f, &t_int23, 0x5200);
    REQUIRE(v && v->kind == TR_V_MDARRAY);
    CHECK_INT(v->ndims, 2);
    CHECK_INT(v->dims[0], 2);
    CHECK_INT(v->dims[1], 3);
    CHECK_INT(v->nkids, 6);
    CHECK_STR(v->kids[5]->text, "6");
    fx_close(&f);
}

static void test_heap_typed_by_pointers(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    /* list -> node A (value 3) -> node B (value 2) -> null; one untyped block */
    struct {
        int32_t value, pad;
        uint64_t next;
    } a = {3, 0, 0x600020}, b = {2, 0, 0};
    uint64_t list = 0x600000;
    unsigned char raw[3] = {'h', 'i', 0};
    fake_target_map(f.t, 0x600000, &a, 16);
    fake_target_map(f.t, 0x600020, &b, 16);
    fake_target_map(f.t, 0x600040, raw, 3);
    fake_target_map(f.t, 0x7000, &list, 8);
    struct tr_value *v = read_at(&f, &t_nodep, 0x7000);
    REQUIRE(v);
    struct tr_block blocks[] = {{0x600040, 3, 0, 3, 0}, {0x600020, 16, 0, 2, 0},
                                {0x600000, 16, 0, 1, 0}};
    struct tr_heap_block out[3];
    CHECK_INT(tr_val_heap(f.c, blocks, 3, out), 3);
    /* sorted by address; B is typed through A's next pointer */
    CHECK_INT(out[0].addr, 0x600000);
    CHECK_INT(out[1].addr, 0x600020);
    CHECK_INT(out[0].seq, 1); /* the allocation order travels with the block */
    CHECK_INT(out[2].seq, 3);
    CHECK_INT(out[0].value->nkids, 1);
    CHECK_STR(out[0].value->kids[0]->type, "Node");
    CHECK_STR(out[1].value->kids[0]->type, "Node");
    CHECK_STR(out[1].value->kids[0]->kids[0]->text, "2");
    CHECK(out[0].value->is_heap_block);
    /* no pointer to it: its bytes */
    CHECK_INT(out[2].value->nkids, 3);
    CHECK_STR(out[2].value->kids[0]->type, "unsigned char");
    CHECK_STR(out[2].value->kids[1]->text, "i");
    fx_close(&f);
}

static void test_page_cache_reads_once(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    static uint8_t page[4096];
    fake_target_map(f.t, 0x8000, page, sizeof page);
    size_t before = fake_target_reads(f.t);
    for (int i = 0; i < 100; i++)
        read_at(&f, &t_int, 0x8000 + (tr_addr)i * 4);
    CHECK_INT(fake_target_reads(f.t) - before, 1);
    tr_val_begin(f.c); /* a new stop: memory may have changed */
    read_at(&f, &t_int, 0x8000);
    CHECK_INT(fake_target_reads(f.t) - before, 2);
    fx_close(&f);
}

static void test_value_from_register_bytes(void)
{
    struct fx f;
    REQUIRE(fx_open(&f) == 0);
    uint8_t bytes[16] = {0};
    int32_t x = 7, y = -1;
    memcpy(bytes, &x, 4);
    memcpy(bytes + 4, &y, 4);
    struct tr_value *v = tr_val_from_bytes(f.c, &t_point, bytes, 8);
    REQUIRE(v && v->kind == TR_V_STRUCT && v->nkids == 2);
    CHECK_STR(v->kids[0]->text, "7");
    CHECK_STR(v->kids[1]->text, "-1");
    double d = 2.5;
    memcpy(bytes, &d, 8);
    CHECK_STR(tr_val_from_bytes(f.c, &t_double, bytes, 8)->text, "2.5");
    fx_close(&f);
}

static void test_text_cleaning(void)
{
    size_t n;
    char *s = tr_text_clean("ok \xc3\xa9 \xff\x00z", 9, &n);
    REQUIRE(s);
    CHECK_STR(s, "ok \xc3\xa9 \\xff\\0z");
    CHECK_INT(n, strlen(s));
    free(s);
    s = tr_text_clean("\xe2\x82", 2, NULL); /* truncated sequence */
    CHECK_STR(s, "\\xe2\\x82");
    free(s);
}

TEST_MAIN(TEST(test_integers_and_typedef), TEST(test_chars_bools_enums),
          TEST(test_wide_chars),
          TEST(test_floats_shortest_and_special), TEST(test_pointers_and_unreadable),
          TEST(test_struct_array_bitfield_union), TEST(test_heap_typed_by_pointers),
          TEST(test_page_cache_reads_once), TEST(test_value_from_register_bytes),
          TEST(test_text_cleaning))
