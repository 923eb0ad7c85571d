/*
 * value.c - the value reader (see value.h).
 *
 * One decoder per kind of type on a few shared helpers: read bytes through
 * the page cache, name a type once, make a node. Values are built in the
 * trace's arena; nothing here frees a value.
 */
#include "tracer/value.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/rt/sppmon.h"
#include "tracer/text.h"

#define PAGE 4096u
#define NPAGES 128u  /* direct-mapped cache entries */
#define NNAMES 1024u /* type-name cache slots */

struct page {
    tr_addr base;
    int state; /* 0 empty, 1 valid, 2 unreadable */
    uint8_t data[PAGE];
};

struct ptr_seen {
    tr_addr target;
    const struct dw_type *pointee; /* stripped, complete */
};

struct name_slot {
    const struct dw_type *ty;
    const char *name;
};

struct tr_valctx {
    struct tr_target *t;
    const struct dw_index *ix;
    struct tr_arena *a;
    struct page *pages; /* NPAGES */
    struct ptr_seen *ptrs;
    size_t nptrs, capptrs;
    struct name_slot names[NNAMES];
    int depth;
    /* bytes standing in for memory at [0, ovr_len): a value held in
       registers (a returned struct) decoded by the ordinary readers */
    const uint8_t *ovr;
    size_t ovr_len;
};

struct tr_valctx *tr_val_new(struct tr_target *t, const struct dw_index *ix, struct tr_arena *a)
{
    struct tr_valctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pages = calloc(NPAGES, sizeof *c->pages);
    if (!c->pages) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->ix = ix;
    c->a = a;
    return c;
}

void tr_val_free(struct tr_valctx *c)
{
    if (!c)
        return;
    free(c->pages);
    free(c->ptrs);
    free(c);
}

void tr_val_begin(struct tr_valctx *c)
{
    for (size_t i = 0; i < NPAGES; i++)
        c->pages[i].state = 0;
    c->nptrs = 0;
    c->depth = 0;
}

/* ---- memory ----------------------------------------------------------- */

static struct page *page_for(struct tr_valctx *c, tr_addr base)
{
    struct page *p = &c->pages[(base / PAGE) % NPAGES];
    if (p->state && p->base == base)
        return p;
    p->base = base;
    p->state = tr_target_read(c->t, base, p->data, PAGE) == TR_OK ? 1 : 2;
    return p;
}

enum tr_err tr_val_mem(struct tr_valctx *c, tr_addr addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    if (c->ovr && addr < c->ovr_len) {
        if (addr + len > c->ovr_len)
            return TR_ERR_MEM;
        memcpy(buf, c->ovr + addr, len);
        return TR_OK;
    }
    while (len) {
        tr_addr base = addr & ~(tr_addr)(PAGE - 1);
        struct page *p = page_for(c, base);
        if (p->state != 1)
            return TR_ERR_MEM;
        size_t off = (size_t)(addr - base);
        size_t n = PAGE - off < len ? PAGE - off : len;
        memcpy(out, p->data + off, n);
        out += n;
        addr += n;
        len -= n;
    }
    return TR_OK;
}

/* ---- shared helpers --------------------------------------------------- */

const char *tr_val_addr_text(struct tr_arena *a, tr_addr addr)
{
    return tr_arena_printf(a, "0x%llX", (unsigned long long)addr);
}

static const char *type_name(struct tr_valctx *c, const struct dw_type *ty)
{
    size_t h = ((uintptr_t)ty >> 4) % NNAMES;
    for (size_t i = 0; i < 8; i++) {
        struct name_slot *s = &c->names[(h + i) % NNAMES];
        if (s->ty == ty)
            return s->name;
        if (!s->ty) {
            char buf[512];
            s->ty = ty;
            s->name = tr_arena_strdup(c->a, dw_type_name(ty, buf, sizeof buf));
            return s->name;
        }
    }
    char buf[512];
    return tr_arena_strdup(c->a, dw_type_name(ty, buf, sizeof buf));
}

static struct tr_value *node(struct tr_valctx *c, enum tr_vkind k, tr_addr addr, uint64_t size)
{
    struct tr_value *v = tr_arena_alloc(c->a, sizeof *v);
    if (v) {
        v->kind = k;
        v->addr = addr;
        v->size = size;
    }
    return v;
}

static struct tr_value *scalar(struct tr_valctx *c, tr_addr addr, uint64_t size, const char *type,
                               enum tr_stext st, const char *text)
{
    struct tr_value *v = node(c, TR_V_SCALAR, addr, size);
    if (v) {
        v->type = type;
        v->stext = st;
        v->text = text;
    }
    return v;
}

static struct tr_value *unallocated(struct tr_valctx *c, tr_addr addr, uint64_t size,
                                    const char *type)
{
    return scalar(c, addr, size, type, TR_ST_STRING, TR_UNALLOC_TEXT);
}

static void remember_pointer(struct tr_valctx *c, tr_addr target, const struct dw_type *pointee)
{
    if (!target || !pointee || pointee->size == 0)
        return;
    if (c->nptrs == c->capptrs) {
        size_t cap = c->capptrs ? c->capptrs * 2 : 64;
        struct ptr_seen *n = realloc(c->ptrs, cap * sizeof *n);
        if (!n)
            return;
        c->ptrs = n;
        c->capptrs = cap;
    }
    c->ptrs[c->nptrs++] = (struct ptr_seen){target, pointee};
}

static int is_named(const struct dw_type *t, const char *prefix)
{
    return t && t->name && strncmp(t->name, prefix, strlen(prefix)) == 0;
}

/* ---- formatting ------------------------------------------------------- */

static const char *fmt_u128(char *buf, size_t len, unsigned __int128 v)
{
    char tmp[48];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < sizeof tmp);
    size_t i = 0;
    for (; i < n && i + 1 < len; i++)
        buf[i] = tmp[n - 1 - i];
    buf[i] = '\0';
    return buf;
}

static const char *fmt_i128(char *buf, size_t len, __int128 v)
{
    if (v >= 0)
        return fmt_u128(buf, len, (unsigned __int128)v);
    buf[0] = '-';
    fmt_u128(buf + 1, len - 1, (unsigned __int128)0 - (unsigned __int128)v);
    return buf;
}

const char *tr_fmt_float(float v, char *buf, size_t len)
{
    if (isnan(v))
        return snprintf(buf, len, "nan"), buf;
    if (isinf(v))
        return snprintf(buf, len, v < 0 ? "-inf" : "inf"), buf;
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, len, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return buf;
}

const char *tr_fmt_double(double v, char *buf, size_t len)
{
    if (isnan(v))
        return snprintf(buf, len, "nan"), buf;
    if (isinf(v))
        return snprintf(buf, len, v < 0 ? "-inf" : "inf"), buf;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

const char *tr_fmt_long_double(long double v, char *buf, size_t len)
{
    if (isnan(v))
        return snprintf(buf, len, "nan"), buf;
    if (isinf(v))
        return snprintf(buf, len, v < 0 ? "-inf" : "inf"), buf;
    for (int prec = 1; prec <= 21; prec++) {
        snprintf(buf, len, "%.*Lg", prec, v);
        if (strtold(buf, NULL) == v)
            break;
    }
    return buf;
}

/* JSON numbers cannot be "1e+300"-style with a leading '+' exponent? They
   can ("1e+300" is valid JSON). But "inf"/"nan" are not numbers. */
static enum tr_stext float_stext(const char *text)
{
    return (isalpha((unsigned char)text[0]) || (text[0] == '-' && isalpha((unsigned char)text[1])))
               ? TR_ST_STRING
               : TR_ST_NUMBER;
}

/* A character as trace-format.md spells it: itself when printable ASCII,
   else a C escape ("\0", "\n", "\x96"). Code points beyond ASCII (wide
   characters) as UTF-8. */
static const char *char_text(struct tr_arena *a, uint32_t ch, int wide)
{
    char buf[16];
    switch (ch) {
    case 0: return "\\0";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    case '\a': return "\\a";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\v': return "\\v";
    default: break;
    }
    if (ch >= 0x20 && ch < 0x7f) {
        buf[0] = (char)ch;
        buf[1] = '\0';
    } else if (!wide || ch < 0xa0 || (ch >= 0xd800 && ch < 0xe000) || ch > 0x10ffff) {
        if (ch <= 0xff)
            snprintf(buf, sizeof buf, "\\x%02x", ch);
        else if (ch <= 0xffff)
            snprintf(buf, sizeof buf, "\\u%04x", ch);
        else
            snprintf(buf, sizeof buf, "\\U%08x", ch);
    } else if (ch < 0x800) {
        buf[0] = (char)(0xc0 | (ch >> 6));
        buf[1] = (char)(0x80 | (ch & 0x3f));
        buf[2] = '\0';
    } else if (ch < 0x10000) {
        buf[0] = (char)(0xe0 | (ch >> 12));
        buf[1] = (char)(0x80 | ((ch >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (ch & 0x3f));
        buf[3] = '\0';
    } else {
        buf[0] = (char)(0xf0 | (ch >> 18));
        buf[1] = (char)(0x80 | ((ch >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((ch >> 6) & 0x3f));
        buf[3] = (char)(0x80 | (ch & 0x3f));
        buf[4] = '\0';
    }
    return tr_arena_strdup(a, buf);
}

static uint64_t load_uint(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static int64_t sign_extend(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return (int64_t)v;
    uint64_t m = 1ull << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)((v ^ m) - m);
}

/* ---- scalars from bytes ----------------------------------------------- */

static int is_wide_char(const struct dw_type *base)
{
    return base->encoding == DWX_ENC_UTF || is_named(base, "wchar_t");
}

/* type_label: what the C_DATA type slot says (typedef or enum name kept). */
static struct tr_value *base_from_bytes(struct tr_valctx *c, const struct dw_type *base,
                                        const char *label, tr_addr addr, const uint8_t *b)
{
    char buf[64];
    size_t n = (size_t)base->size;
    switch (base->encoding) {
    case DWX_ENC_BOOL:
        return scalar(c, addr, n, label, TR_ST_BOOL, load_uint(b, n) ? "true" : "false");
    case DWX_ENC_FLOAT:
        if (n == 4) {
            float f;
            memcpy(&f, b, 4);
            tr_fmt_float(f, buf, sizeof buf);
        } else if (n == 8) {
            double d;
            memcpy(&d, b, 8);
            tr_fmt_double(d, buf, sizeof buf);
        } else if (n == 16 || n == 10 || n == 12) {
            long double ld = 0;
            memcpy(&ld, b, 10);
            tr_fmt_long_double(ld, buf, sizeof buf);
        } else {
            return unallocated(c, addr, n, label);
        }
        return scalar(c, addr, n, label, float_stext(buf), tr_arena_strdup(c->a, buf));
    case DWX_ENC_SIGNED_CHAR:
    case DWX_ENC_UNSIGNED_CHAR:
        if (n == 1)
            return scalar(c, addr, n, label, TR_ST_STRING, char_text(c->a, b[0], 0));
        break;
    case DWX_ENC_UTF:
    case DWX_ENC_SIGNED:
    case DWX_ENC_UNSIGNED:
        if (is_wide_char(base) && n <= 4)
            return scalar(c, addr, n, label, TR_ST_STRING,
                          char_text(c->a, (uint32_t)load_uint(b, n), 1));
        break;
    case DWX_ENC_COMPLEX:
        return scalar(c, addr, n, label, TR_ST_STRING, "<complex>");
    case DWX_ENC_NONE:
        return unallocated(c, addr, n, label);
    }
    int is_signed = base->encoding == DWX_ENC_SIGNED || base->encoding == DWX_ENC_SIGNED_CHAR;
    if (n == 16) {
        unsigned __int128 u = (unsigned __int128)load_uint(b + 8, 8) << 64 | load_uint(b, 8);
        if (is_signed)
            fmt_i128(buf, sizeof buf, (__int128)u);
        else
            fmt_u128(buf, sizeof buf, u);
    } else if (n >= 1 && n <= 8) {
        uint64_t u = load_uint(b, n);
        if (is_signed)
            snprintf(buf, sizeof buf, "%lld", (long long)sign_extend(u, (unsigned)n * 8));
        else
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
    } else {
        return unallocated(c, addr, n, label);
    }
    return scalar(c, addr, n, label, TR_ST_NUMBER, tr_arena_strdup(c->a, buf));
}

static struct tr_value *enum_from_bytes(struct tr_valctx *c, const struct dw_type *en,
                                        const char *label, tr_addr addr, const uint8_t *b)
{
    size_t n = en->size ? (size_t)en->size : 4;
    uint64_t u = load_uint(b, n);
    int is_signed = en->encoding != DWX_ENC_UNSIGNED;
    int64_t v = is_signed ? sign_extend(u, (unsigned)n * 8) : (int64_t)u;
    for (size_t i = 0; i < en->nenumerators; i++)
        if (en->enumerators[i].value == v)
            return scalar(c, addr, n, label, TR_ST_STRING, en->enumerators[i].name);
    char buf[32];
    snprintf(buf, sizeof buf, is_signed ? "%lld" : "%llu", (long long)v);
    return scalar(c, addr, n, label, TR_ST_NUMBER, tr_arena_strdup(c->a, buf));
}

/* The function a code address belongs to, for function pointers. */
static const char *function_name_at(struct tr_valctx *c, tr_addr target)
{
    const struct dw_func *f = dw_index_func_at(c->ix, target);
    if (f && f->low_pc == target)
        return f->name;
    dw_addr off = 0;
    const char *sym = dw_index_symbol_at(c->ix, target, &off);
    if (!sym || off != 0)
        return NULL;
    char buf[256];
    const char *dm = dw_demangle(sym, buf, sizeof buf);
    if (dm) {
        char *paren = strchr(buf, '(');
        if (paren)
            *paren = '\0';
        return tr_arena_strdup(c->a, buf);
    }
    return tr_arena_strdup(c->a, sym);
}

static struct tr_value *pointer_from_bytes(struct tr_valctx *c, const struct dw_type *declared,
                                           const struct dw_type *ptr, tr_addr addr,
                                           const uint8_t *b)
{
    tr_addr target = load_uint(b, 8);
    struct tr_value *v = node(c, ptr->kind == DWX_T_POINTER ? TR_V_POINTER : TR_V_REF, addr, 8);
    if (!v)
        return NULL;
    v->type = type_name(c, declared);
    v->target = target;
    v->text = tr_val_addr_text(c->a, target);
    const struct dw_type *pointee = dw_type_strip(ptr->target);
    if (pointee && pointee->kind == DWX_T_FUNC) {
        /* A function pointer names its function; the address stays exact
           in `target` for anyone who needs it. */
        const char *fn = target ? function_name_at(c, target) : NULL;
        if (fn)
            v->text = fn;
    } else {
        remember_pointer(c, target, pointee);
    }
    return v;
}

/* ---- aggregates -------------------------------------------------------- */

static struct tr_value *read_value(struct tr_valctx *c, const struct dw_type *declared,
                                   tr_addr addr);

static int kids_reserve(struct tr_valctx *c, struct tr_value *v, size_t n)
{
    if (n == 0)
        return 0;
    v->kids = tr_arena_alloc(c->a, n * sizeof *v->kids);
    return v->kids ? 0 : -1;
}

static int is_std_string(const struct dw_type *t)
{
    return is_named(t, "std::__cxx11::basic_string<char,") ||
           is_named(t, "std::basic_string<char,");
}

static const struct dw_member *member_named(const struct dw_type *t, const char *name)
{
    for (size_t i = 0; i < t->nmembers; i++)
        if (t->members[i].name && strcmp(t->members[i].name, name) == 0)
            return &t->members[i];
    return NULL;
}

/* std::string: _M_dataplus._M_p points at the text, _M_string_length is its
   length; layout found by member name, so gcc 11 and 12 both work. */
static struct tr_value *std_string(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    const struct dw_member *dp = member_named(t, "_M_dataplus");
    const struct dw_member *len = member_named(t, "_M_string_length");
    if (!dp || !len)
        return NULL;
    uint8_t b[8];
    if (tr_val_mem(c, addr + dp->offset, b, 8) != TR_OK)
        return NULL;
    tr_addr p = load_uint(b, 8);
    if (tr_val_mem(c, addr + len->offset, b, 8) != TR_OK)
        return NULL;
    uint64_t n = load_uint(b, 8);
    if (n > TR_VAL_MAX_STRING)
        n = TR_VAL_MAX_STRING;
    char raw[TR_VAL_MAX_STRING];
    if (tr_val_mem(c, p, raw, n) != TR_OK)
        return NULL;
    char *s = tr_arena_alloc(c->a, tr_text_clean_len(raw, n) + 1);
    if (!s)
        return NULL;
    tr_text_clean_into(raw, n, s);
    return scalar(c, addr, t->size, "std::string", TR_ST_STRING, s);
}

static size_t struct_kid_count(const struct dw_type *t, int depth)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (m->is_static || m->is_artificial)
            continue;
        const struct dw_type *mt = dw_type_strip(m->type);
        if (!m->name && !m->is_base && mt && depth < TR_VAL_MAX_DEPTH &&
            (mt->kind == DWX_T_STRUCT || mt->kind == DWX_T_UNION || mt->kind == DWX_T_CLASS))
            n += struct_kid_count(mt, depth + 1); /* anonymous: flattened */
        else
            n++;
    }
    return n;
}

static struct tr_value *bitfield(struct tr_valctx *c, const struct dw_member *m, tr_addr obj)
{
    const struct dw_type *mt = dw_type_strip(m->type);
    const char *label = type_name(c, m->type);
    tr_addr first = obj + m->bit_pos / 8;
    unsigned shift = (unsigned)(m->bit_pos % 8);
    size_t nbytes = (shift + m->bit_size + 7) / 8;
    uint8_t b[9] = {0};
    if (m->bit_size == 0 || m->bit_size > 64 || nbytes > 9 ||
        tr_val_mem(c, first, b, nbytes) != TR_OK)
        return unallocated(c, first, nbytes, label);
    unsigned __int128 raw = 0;
    for (size_t i = 0; i < nbytes; i++)
        raw |= (unsigned __int128)b[i] << (8 * i);
    uint64_t u = (uint64_t)(raw >> shift);
    if (m->bit_size < 64)
        u &= (1ull << m->bit_size) - 1;
    char buf[32];
    if (mt && mt->kind == DWX_T_BASE && mt->encoding == DWX_ENC_BOOL)
        return scalar(c, first, nbytes, label, TR_ST_BOOL, u ? "true" : "false");
    if (mt && mt->kind == DWX_T_ENUM) {
        uint8_t eb[8];
        for (int i = 0; i < 8; i++)
            eb[i] = (uint8_t)(u >> (8 * i));
        struct tr_value *v = enum_from_bytes(c, mt, label, first, eb);
        return v;
    }
    int is_signed = mt && (mt->encoding == DWX_ENC_SIGNED || mt->encoding == DWX_ENC_SIGNED_CHAR);
    if (is_signed)
        snprintf(buf, sizeof buf, "%lld", (long long)sign_extend(u, m->bit_size));
    else
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
    return scalar(c, first, nbytes, label, TR_ST_NUMBER, tr_arena_strdup(c->a, buf));
}

/* Members of t at addr appended to v->kids; anonymous structs/unions are
   flattened into their parent, as the language lets you name them. */
static int struct_members(struct tr_valctx *c, struct tr_value *v, const struct dw_type *t,
                          tr_addr addr, int depth)
{
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (m->is_static || m->is_artificial)
            continue;
        const struct dw_type *mt = dw_type_strip(m->type);
        tr_addr maddr = addr + m->offset;
        int unreadable = 0;
        if (m->is_virtual_base) {
            /* the base's offset is stored in the vtable */
            uint8_t b[8];
            if (tr_val_mem(c, addr, b, 8) != TR_OK ||
                tr_val_mem(c, load_uint(b, 8) + (uint64_t)m->vbase_vtable_offset, b, 8) !=
                    TR_OK)
                unreadable = 1;
            else
                maddr = addr + load_uint(b, 8);
        }
        if (!m->name && !m->is_base && mt && depth < TR_VAL_MAX_DEPTH &&
            (mt->kind == DWX_T_STRUCT || mt->kind == DWX_T_UNION || mt->kind == DWX_T_CLASS)) {
            if (struct_members(c, v, mt, maddr, depth + 1) != 0)
                return -1;
            continue;
        }
        struct tr_value *k;
        if (m->bit_size)
            k = bitfield(c, m, addr);
        else if (unreadable)
            k = unallocated(c, maddr, mt ? mt->size : 0, type_name(c, m->type));
        else
            k = read_value(c, m->type, maddr);
        if (!k)
            return -1;
        k->name = m->is_base ? type_name(c, m->type) : (m->name ? m->name : "<anonymous>");
        v->kids[v->nkids++] = k;
    }
    return 0;
}

static struct tr_value *struct_value(struct tr_valctx *c, const struct dw_type *declared,
                                     const struct dw_type *t, tr_addr addr)
{
    if (is_std_string(t)) {
        struct tr_value *s = std_string(c, t, addr);
        if (s)
            return s;
    }
    struct tr_value *v = node(c, TR_V_STRUCT, addr, t->size);
    if (!v)
        return NULL;
    v->type = type_name(c, declared);
    if (kids_reserve(c, v, struct_kid_count(t, 0)) != 0 || struct_members(c, v, t, addr, 0) != 0)
        return NULL;
    return v;
}

static struct tr_value *array_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    const struct dw_type *elem = t->target;
    const struct dw_type *se = dw_type_strip(elem);
    uint64_t esize = se ? se->size : 0;
    uint64_t total = 1;
    int known = 1;
    for (size_t i = 0; i < t->ndims; i++) {
        if (t->dims[i].count < 0)
            known = 0;
        else
            total *= (uint64_t)t->dims[i].count;
    }
    struct tr_value *v = node(c, t->ndims > 1 ? TR_V_MDARRAY : TR_V_ARRAY, addr, t->size);
    if (!v)
        return NULL;
    if (!known || esize == 0)
        return v; /* flexible array member / VLA bound unknown: no elements */
    if (t->ndims > 1) {
        uint32_t *dims = tr_arena_alloc(c->a, t->ndims * sizeof *dims);
        if (!dims)
            return NULL;
        for (size_t i = 0; i < t->ndims; i++)
            dims[i] = (uint32_t)t->dims[i].count;
        v->dims = dims;
        v->ndims = (uint32_t)t->ndims;
    }
    size_t n = total > TR_VAL_MAX_ELEMS ? TR_VAL_MAX_ELEMS : (size_t)total;
    if (kids_reserve(c, v, n) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct tr_value *k = read_value(c, elem, addr + i * esize);
        if (!k)
            return NULL;
        v->kids[v->nkids++] = k;
    }
    return v;
}

/* Decode bytes of a non-aggregate type; NULL for aggregates. */
static struct tr_value *simple_from_bytes(struct tr_valctx *c, const struct dw_type *declared,
                                          tr_addr addr, const uint8_t *b)
{
    const struct dw_type *t = dw_type_strip(declared);
    if (!t)
        return unallocated(c, addr, 0, "void");
    switch (t->kind) {
    case DWX_T_BASE:
        return base_from_bytes(c, t, type_name(c, declared), addr, b);
    case DWX_T_ENUM:
        return enum_from_bytes(c, t, type_name(c, declared), addr, b);
    case DWX_T_POINTER:
    case DWX_T_REF:
    case DWX_T_RVREF:
        return pointer_from_bytes(c, declared, t, addr, b);
    case DWX_T_NULLPTR: {
        struct tr_value *v = node(c, TR_V_POINTER, addr, 8);
        if (v) {
            v->type = "std::nullptr_t";
            v->text = "0x0";
        }
        return v;
    }
    case DWX_T_PTRMEM: {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)load_uint(b, 8));
        return scalar(c, addr, t->size, type_name(c, declared), TR_ST_NUMBER,
                      tr_arena_strdup(c->a, buf));
    }
    case DWX_T_VOID:
    case DWX_T_FUNC:
    case DWX_T_OTHER:
        return unallocated(c, addr, t->size, type_name(c, declared));
    case DWX_T_CONST:
    case DWX_T_VOLATILE:
    case DWX_T_TYPEDEF:
    case DWX_T_STRUCT:
    case DWX_T_CLASS:
    case DWX_T_UNION:
    case DWX_T_ARRAY:
        break;
    }
    return NULL;
}

static struct tr_value *read_value(struct tr_valctx *c, const struct dw_type *declared,
                                   tr_addr addr)
{
    const struct dw_type *t = dw_type_strip(declared);
    if (c->depth >= TR_VAL_MAX_DEPTH)
        return unallocated(c, addr, t ? t->size : 0, "...");
    if (t && (t->kind == DWX_T_STRUCT || t->kind == DWX_T_CLASS || t->kind == DWX_T_UNION ||
              t->kind == DWX_T_ARRAY)) {
        c->depth++;
        struct tr_value *v = t->kind == DWX_T_ARRAY ? array_value(c, t, addr)
                                                    : struct_value(c, declared, t, addr);
        c->depth--;
        return v;
    }
    uint8_t b[16] = {0};
    size_t n = t && t->size && t->size <= sizeof b ? (size_t)t->size : 8;
    if (tr_val_mem(c, addr, b, n) != TR_OK)
        return unallocated(c, addr, n, type_name(c, declared));
    return simple_from_bytes(c, declared, addr, b);
}

struct tr_value *tr_val_read(struct tr_valctx *c, const struct dw_type *ty, tr_addr addr)
{
    return read_value(c, ty, addr);
}

struct tr_value *tr_val_from_bytes(struct tr_valctx *c, const struct dw_type *ty,
                                   const uint8_t *bytes, size_t len)
{
    if (!bytes || len == 0)
        return unallocated(c, 0, 0, type_name(c, ty));
    uint8_t b[16] = {0};
    memcpy(b, bytes, len < sizeof b ? len : sizeof b);
    struct tr_value *v = simple_from_bytes(c, ty, 0, b);
    if (v)
        return v;
    /* an aggregate: let the memory readers see the bytes at address 0 */
    c->ovr = bytes;
    c->ovr_len = len;
    v = read_value(c, ty, 0);
    c->ovr = NULL;
    c->ovr_len = 0;
    return v;
}

/* ---- heap -------------------------------------------------------------- */

static int cmp_block(const void *a, const void *b)
{
    const struct tr_heap_block *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The element type for a block: a pointer to its base wins; else a pointer
   into it at a whole-element offset. */
static const struct dw_type *block_type(struct tr_valctx *c, const struct tr_block *b)
{
    const struct dw_type *interior = NULL;
    for (size_t i = 0; i < c->nptrs; i++) {
        const struct ptr_seen *p = &c->ptrs[i];
        if (p->pointee->kind == DWX_T_VOID || p->pointee->size == 0)
            continue;
        if (p->target == b->addr)
            return p->pointee;
        if (!interior && p->target > b->addr && p->target < b->addr + b->size &&
            (p->target - b->addr) % p->pointee->size == 0)
            interior = p->pointee;
    }
    return interior;
}

static struct tr_value *block_value(struct tr_valctx *c, const struct tr_block *b,
                                    const struct dw_type *elem)
{
    struct tr_value *v = node(c, TR_V_ARRAY, b->addr, b->size);
    if (!v)
        return NULL;
    v->is_heap_block = 1;
    uint64_t esize = elem ? elem->size : 1;
    uint64_t count = esize ? b->size / esize : 0;
    size_t n = count > TR_VAL_MAX_ELEMS ? TR_VAL_MAX_ELEMS : (size_t)count;
    if (kids_reserve(c, v, n) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct tr_value *k;
        if (elem) {
            k = read_value(c, elem, b->addr + i * esize);
        } else {
            uint8_t byte;
            k = tr_val_mem(c, b->addr + i, &byte, 1) == TR_OK
                    ? scalar(c, b->addr + i, 1, "unsigned char", TR_ST_STRING,
                             char_text(c->a, byte, 0))
                    : unallocated(c, b->addr + i, 1, "unsigned char");
        }
        if (!k)
            return NULL;
        v->kids[v->nkids++] = k;
    }
    return v;
}

size_t tr_val_heap(struct tr_valctx *c, const struct tr_block *blocks, size_t n,
                   struct tr_heap_block *out)
{
    /* Typed blocks may contain pointers that type others (linked lists):
       repeat until no block gains a type, then show the rest as bytes. */
    for (size_t i = 0; i < n; i++)
        out[i] = (struct tr_heap_block){blocks[i].addr, blocks[i].size, NULL};
    int progress = 1;
    while (progress) {
        progress = 0;
        for (size_t i = 0; i < n; i++) {
            if (out[i].value)
                continue;
            const struct dw_type *ty = block_type(c, &blocks[i]);
            if (!ty)
                continue;
            out[i].value = block_value(c, &blocks[i], ty);
            progress = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!out[i].value)
            out[i].value = block_value(c, &blocks[i], NULL);
    qsort(out, n, sizeof *out, cmp_block);
    return n;
}
