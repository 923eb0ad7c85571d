/*
 * val_scalar.c - a scalar's bytes to what a student reads: integers of
 * every width (__int128 too), floats in shortest round-trip form (nan and
 * inf as strings), characters, bools, enums by name, pointers (as the
 * address, a function's name, or a heap key to follow), pointers to
 * members, and bitfields' bits.
 *
 * The leaves of the value reader: value.c walks structs, classes and
 * arrays and hands each scalar's bytes, already read, to tr_val_simple
 * (a bitfield's bits to tr_val_bitfield_value); nothing here recurses into
 * another value. A pointer's target is only noted, for the heap and for
 * string literals (val_heap.c, val_literal.c).
 */
#include "tracer/val_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/text.h"

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

/* "inf"/"nan" are strings in JSON; everything %g writes otherwise is a
   valid JSON number ("1e+300" included). */
static enum tr_stext float_stext(const char *text)
{
    return (isalpha((unsigned char)text[0]) || (text[0] == '-' && isalpha((unsigned char)text[1])))
               ? TR_ST_STRING
               : TR_ST_NUMBER;
}

/* A character as a terminal shows it (the text format): itself when
   printable ASCII, else a C escape (\0, \n, \x96). Code points beyond
   ASCII (wide characters) as UTF-8. The JSON encoders write the character
   itself from the value (tr_enc_scalar). */
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
    } else {
        tr_text_utf8(ch, buf);
    }
    return tr_arena_strdup(a, buf);
}

static int64_t sign_extend(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return (int64_t)v;
    uint64_t m = 1ull << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)((v ^ m) - m);
}

struct tr_value *tr_val_char(struct tr_valctx *c, tr_addr addr, uint64_t size, const char *type,
                             int64_t value, int wide)
{
    const char *text = char_text(c->a, wide ? (uint32_t)value : (uint8_t)value, wide);
    struct tr_value *v = text ? tr_val_scalar(c, addr, size, type, TR_ST_CHAR, text) : NULL;
    if (v)
        v->target = (tr_addr)value;
    return v;
}

/* ---- scalars from bytes ----------------------------------------------- */

static int is_wide_char(const struct dw_type *base)
{
    return base->encoding == DWX_ENC_UTF ||
           (base->name && strcmp(base->name, "wchar_t") == 0);
}

/* label: what the C_DATA type slot says (typedef or enum name kept). */
static struct tr_value *base_from_bytes(struct tr_valctx *c, const struct dw_type *base,
                                        const char *label, tr_addr addr, const uint8_t *b)
{
    char buf[64];
    size_t n = (size_t)base->size;
    switch (base->encoding) {
    case DWX_ENC_BOOL:
        return tr_val_scalar(c, addr, n, label, TR_ST_BOOL,
                             tr_val_load(b, n) ? "true" : "false");
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
            return tr_val_unallocated(c, addr, n, label);
        }
        return tr_val_scalar(c, addr, n, label, float_stext(buf), tr_arena_strdup(c->a, buf));
    case DWX_ENC_SIGNED_CHAR:
    case DWX_ENC_UNSIGNED_CHAR:
        if (n == 1)
            return tr_val_char(c, addr, n, label,
                               base->encoding == DWX_ENC_SIGNED_CHAR ? (int8_t)b[0] : b[0], 0);
        break;
    case DWX_ENC_UTF:
    case DWX_ENC_SIGNED:
    case DWX_ENC_UNSIGNED:
        if (is_wide_char(base) && n <= 4) {
            uint64_t w = tr_val_load(b, n);
            return tr_val_char(c, addr, n, label,
                               base->encoding == DWX_ENC_SIGNED ? sign_extend(w, 8 * (unsigned)n)
                                                                : (int64_t)w,
                               1);
        }
        break;
    case DWX_ENC_COMPLEX:
        return tr_val_scalar(c, addr, n, label, TR_ST_STRING, "<complex>");
    case DWX_ENC_NONE:
        return tr_val_unallocated(c, addr, n, label);
    }
    int is_signed = base->encoding == DWX_ENC_SIGNED || base->encoding == DWX_ENC_SIGNED_CHAR;
    if (n == 16) {
        unsigned __int128 u =
            (unsigned __int128)tr_val_load(b + 8, 8) << 64 | tr_val_load(b, 8);
        if (is_signed)
            fmt_i128(buf, sizeof buf, (__int128)u);
        else
            fmt_u128(buf, sizeof buf, u);
    } else if (n >= 1 && n <= 8) {
        uint64_t u = tr_val_load(b, n);
        if (is_signed)
            snprintf(buf, sizeof buf, "%lld", (long long)sign_extend(u, (unsigned)n * 8));
        else
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
    } else {
        return tr_val_unallocated(c, addr, n, label);
    }
    return tr_val_scalar(c, addr, n, label, TR_ST_NUMBER, tr_arena_strdup(c->a, buf));
}

static struct tr_value *enum_from_bytes(struct tr_valctx *c, const struct dw_type *en,
                                        const char *label, tr_addr addr, const uint8_t *b)
{
    size_t n = en->size ? (size_t)en->size : 4;
    uint64_t u = tr_val_load(b, n);
    int is_signed = en->encoding != DWX_ENC_UNSIGNED;
    int64_t v = is_signed ? sign_extend(u, (unsigned)n * 8) : (int64_t)u;
    for (size_t i = 0; i < en->nenumerators; i++)
        if (en->enumerators[i].value == v)
            return tr_val_scalar(c, addr, n, label, TR_ST_STRING, en->enumerators[i].name);
    char buf[32];
    snprintf(buf, sizeof buf, is_signed ? "%lld" : "%llu", (long long)v);
    return tr_val_scalar(c, addr, n, label, TR_ST_NUMBER, tr_arena_strdup(c->a, buf));
}

const char *tr_val_function_at(struct tr_valctx *c, tr_addr target)
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
    tr_addr target = tr_val_load(b, 8);
    struct tr_value *v =
        tr_val_node(c, ptr->kind == DWX_T_POINTER ? TR_V_POINTER : TR_V_REF, addr, 8);
    if (!v)
        return NULL;
    v->type = tr_val_type_name(c, declared);
    v->target = target;
    v->text = tr_val_addr_text(c->a, target);
    const struct dw_type *pointee = dw_type_strip(ptr->target);
    if (pointee && pointee->kind == DWX_T_FUNC) {
        /* A function pointer names its function; the address stays exact
           in `target` for anyone who needs it. */
        const char *fn = target ? tr_val_function_at(c, target) : NULL;
        if (fn)
            v->text = fn;
    } else {
        tr_val_remember(c, target, ptr->target); /* unstripped: its typedef names it */
        tr_val_note_literal(c, target, pointee);
    }
    return v;
}

/* The data member of t at byte offset off, as "&Class::name"; NULL if none. */
static const char *member_at(struct tr_valctx *c, const struct dw_type *t, int64_t off,
                             const char *cls, int depth)
{
    if (!tr_val_is_aggregate(t) || depth > 8)
        return NULL;
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (m->is_static || m->is_virtual_base || m->bit_size)
            continue;
        const struct dw_type *mt = dw_type_strip(m->type);
        if (m->name && !m->is_base && (int64_t)m->offset == off)
            return tr_arena_printf(c->a, "&%s::%s", cls, m->name);
        if ((m->is_base || !m->name) && mt && off >= (int64_t)m->offset &&
            off < (int64_t)(m->offset + mt->size)) {
            const char *r = member_at(c, mt, off - (int64_t)m->offset, cls, depth + 1);
            if (r)
                return r;
        }
    }
    return NULL;
}

/* Pointers to members (Itanium ABI): data: the offset, -1 for null;
   functions: {address or 1 + vtable offset, this adjustment}. */
static struct tr_value *ptrmem_from_bytes(struct tr_valctx *c, const struct dw_type *declared,
                                          const struct dw_type *t, tr_addr addr,
                                          const uint8_t *b)
{
    const struct dw_type *mt = dw_type_strip(t->target);
    const struct dw_type *cls = dw_type_strip(t->ptrmem_class);
    const char *label = tr_val_type_name(c, declared);
    const char *cname = cls ? tr_val_type_name(c, cls) : "?";
    uint64_t w = tr_val_load(b, 8);
    const char *text = NULL;
    if (mt && mt->kind == DWX_T_FUNC) {
        if (w == 0)
            text = "nullptr";
        else if (w & 1)
            text = tr_arena_printf(c->a, "virtual function #%llu of %s",
                                   (unsigned long long)((w - 1) / 8), cname);
        else if ((text = tr_val_function_at(c, w)) != NULL)
            text = tr_arena_printf(c->a, "&%s", text);
        if (!text)
            text = tr_val_addr_text(c->a, w);
        return tr_val_scalar(c, addr, 16, label, TR_ST_STRING, text);
    }
    int64_t off = (int64_t)w;
    if (off == -1)
        text = "nullptr";
    else if (cls)
        text = member_at(c, cls, off, cname, 0);
    if (text)
        return tr_val_scalar(c, addr, 8, label, TR_ST_STRING, text);
    return tr_val_scalar(c, addr, 8, label, TR_ST_NUMBER,
                         tr_arena_printf(c->a, "%lld", (long long)off));
}

/* ---- bitfields ----------------------------------------------------------- */

struct tr_value *tr_val_bitfield_value(struct tr_valctx *c, const struct dw_member *m,
                                       const struct dw_type *mt, const char *label, tr_addr first,
                                       size_t nbytes, uint64_t u)
{
    char buf[32];
    if (mt && mt->kind == DWX_T_BASE && mt->encoding == DWX_ENC_BOOL)
        return tr_val_scalar(c, first, nbytes, label, TR_ST_BOOL, u ? "true" : "false");
    int is_signed = mt && (mt->encoding == DWX_ENC_SIGNED || mt->encoding == DWX_ENC_SIGNED_CHAR);
    if (mt && mt->kind == DWX_T_ENUM) {
        uint8_t eb[8];
        uint64_t e = is_signed ? (uint64_t)sign_extend(u, m->bit_size) : u;
        for (int i = 0; i < 8; i++)
            eb[i] = (uint8_t)(e >> (8 * i));
        return enum_from_bytes(c, mt, label, first, eb);
    }
    if (is_signed)
        snprintf(buf, sizeof buf, "%lld", (long long)sign_extend(u, m->bit_size));
    else
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
    return tr_val_scalar(c, first, nbytes, label, TR_ST_NUMBER, tr_arena_strdup(c->a, buf));
}

/* ---- dispatch ------------------------------------------------------------ */

/* Decode bytes of a non-aggregate type; NULL for aggregates. */
struct tr_value *tr_val_simple(struct tr_valctx *c, const struct dw_type *declared, tr_addr addr,
                               const uint8_t *b)
{
    const struct dw_type *t = dw_type_strip(declared);
    if (!t)
        return tr_val_unallocated(c, addr, 0, "void");
    switch (t->kind) {
    case DWX_T_BASE:
        return base_from_bytes(c, t, tr_val_type_name(c, declared), addr, b);
    case DWX_T_ENUM:
        return enum_from_bytes(c, t, tr_val_type_name(c, declared), addr, b);
    case DWX_T_POINTER:
    case DWX_T_REF:
    case DWX_T_RVREF:
        return pointer_from_bytes(c, declared, t, addr, b);
    case DWX_T_NULLPTR: {
        struct tr_value *v = tr_val_node(c, TR_V_POINTER, addr, 8);
        if (v) {
            v->type = "std::nullptr_t";
            v->text = "0x0";
        }
        return v;
    }
    case DWX_T_PTRMEM:
        return ptrmem_from_bytes(c, declared, t, addr, b);
    case DWX_T_VOID:
    case DWX_T_FUNC:
    case DWX_T_OTHER:
        return tr_val_unallocated(c, addr, t->size, tr_val_type_name(c, declared));
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

/* Bytes a non-aggregate occupies (member function pointers are two words,
   and DWARF may not say so). */
size_t tr_val_simple_size(const struct dw_type *t)
{
    if (!t)
        return 8;
    if (t->kind == DWX_T_PTRMEM) {
        const struct dw_type *mt = dw_type_strip(t->target);
        return mt && mt->kind == DWX_T_FUNC ? 16 : 8;
    }
    return t->size && t->size <= 16 ? (size_t)t->size : 8;
}
