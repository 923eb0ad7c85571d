/*
 * dw_expr.c - the DWARF expressions gcc -O0 emits, decoded from raw bytes.
 *
 * Not an evaluator: each function recognises the handful of shapes that
 * mean something to the tracer (a frame-base offset, a static address, a
 * virtual-base offset read through the vtable) and reports anything else as
 * "no location". Working on bytes instead of libdwarf's location-list API
 * keeps this identical across libdwarf versions. The bytes come from the
 * target file: every read is bounds-checked.
 *
 * Also here: a check of .debug_rnglists unit headers, which libdwarf
 * 20210528 reads when it loads the first CU and mishandles when one is
 * malformed (it frees the context and keeps using it).
 */
#include "dwarf/dw_int.h"

#include <dwarf.h>
#include <string.h>

struct cursor {
    const uint8_t *p, *end;
    int bad;
};

static uint8_t get_u8(struct cursor *c)
{
    if (c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

static uint64_t get_fixed(struct cursor *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n) {
        c->bad = 1;
        c->p = c->end;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint64_t get_uleb(struct cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b = get_u8(c);
        if (c->bad)
            return 0;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
        if (shift >= 63) { /* more than 10 bytes: over-long */
            c->bad = 1;
            return 0;
        }
    }
}

static int64_t get_sleb(struct cursor *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = get_u8(c);
        if (c->bad)
            return 0;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (shift >= 70 && (b & 0x80)) { /* more than 10 bytes: over-long */
            c->bad = 1;
            return 0;
        }
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

/* Reads a constant-pushing operation; returns 0 and the value, -1 if op is
   not one. */
static int get_const(struct cursor *c, uint8_t op, int64_t *out)
{
    if (op >= DW_OP_lit0 && op <= DW_OP_lit31) {
        *out = op - DW_OP_lit0;
        return 0;
    }
    switch (op) {
    case DW_OP_const1u:
        *out = (int64_t)get_fixed(c, 1);
        return c->bad ? -1 : 0;
    case DW_OP_const2u:
        *out = (int64_t)get_fixed(c, 2);
        return c->bad ? -1 : 0;
    case DW_OP_const4u:
        *out = (int64_t)get_fixed(c, 4);
        return c->bad ? -1 : 0;
    case DW_OP_const8u:
        *out = (int64_t)get_fixed(c, 8);
        return c->bad ? -1 : 0;
    case DW_OP_const1s:
        *out = (int8_t)get_fixed(c, 1);
        return c->bad ? -1 : 0;
    case DW_OP_const2s:
        *out = (int16_t)get_fixed(c, 2);
        return c->bad ? -1 : 0;
    case DW_OP_const4s:
        *out = (int32_t)get_fixed(c, 4);
        return c->bad ? -1 : 0;
    case DW_OP_constu:
        *out = (int64_t)get_uleb(c);
        return c->bad ? -1 : 0;
    case DW_OP_consts:
        *out = get_sleb(c);
        return c->bad ? -1 : 0;
    default:
        return -1;
    }
}

/* The first operation: where the object (or value) is. Leaves the cursor
   after it; returns -1 for an unknown operation. */
static int base_location(struct cursor *c, struct dw_loc *out)
{
    uint8_t op = get_u8(c);
    if (c->bad)
        return -1;
    if (op >= DW_OP_breg0 && op <= DW_OP_breg31) {
        out->kind = DWX_LOC_BREG;
        out->reg = op - DW_OP_breg0;
        out->offset = get_sleb(c);
    } else if (op >= DW_OP_reg0 && op <= DW_OP_reg31) {
        out->kind = DWX_LOC_REG;
        out->reg = op - DW_OP_reg0;
    } else {
        switch (op) {
        case DW_OP_fbreg:
            out->kind = DWX_LOC_FBREG;
            out->offset = get_sleb(c);
            break;
        case DW_OP_addr:
            out->kind = DWX_LOC_ADDR;
            out->addr = get_fixed(c, 8);
            break;
        case DW_OP_bregx: {
            uint64_t r = get_uleb(c);
            out->kind = DWX_LOC_BREG;
            out->reg = r > 1024 ? -1 : (int)r;
            out->offset = get_sleb(c);
            break;
        }
        case DW_OP_regx: {
            uint64_t r = get_uleb(c);
            out->kind = DWX_LOC_REG;
            out->reg = r > 1024 ? -1 : (int)r;
            break;
        }
        default:
            return -1;
        }
    }
    return c->bad || out->reg < 0 ? -1 : 0;
}

void dw_expr_location(const uint8_t *buf, size_t len, struct dw_loc *out)
{
    struct cursor c = {buf, buf + len, 0};
    memset(out, 0, sizeof *out);
    if (!buf || len == 0 || base_location(&c, out) != 0)
        goto none;
    while (c.p < c.end) {
        uint8_t op = get_u8(&c);
        if (op == DW_OP_deref && !out->deref && out->kind != DWX_LOC_REG) {
            out->deref = 1;
        } else if (op == DW_OP_plus_uconst && !out->deref && out->kind != DWX_LOC_REG) {
            uint64_t k = get_uleb(&c);
            if (out->kind == DWX_LOC_ADDR)
                out->addr += k;
            else
                out->offset += (int64_t)k;
        } else {
            goto none; /* stack_value, piece, TLS...: not an addressable object */
        }
        if (c.bad)
            goto none;
    }
    return;
none:
    memset(out, 0, sizeof *out);
}

void dw_expr_value_location(const uint8_t *buf, size_t len, struct dw_loc *out)
{
    /* "X; deref" loads the value stored at X: the value lives at X. */
    struct dw_loc l;
    dw_expr_location(buf, len, &l);
    memset(out, 0, sizeof *out);
    if (l.kind != DWX_LOC_NONE && l.kind != DWX_LOC_REG && l.deref) {
        *out = l;
        out->deref = 0;
    }
}

int dw_expr_member_location(const uint8_t *buf, size_t len, uint64_t *offset,
                            int64_t *vtable_offset)
{
    struct cursor c = {buf, buf + len, 0};
    if (!buf || len == 0)
        return -1;
    uint8_t op = get_u8(&c);
    if (op == DW_OP_plus_uconst) {
        uint64_t k = get_uleb(&c);
        if (c.bad || c.p != c.end)
            return -1;
        *offset = k;
        return 0;
    }
    int64_t k;
    if (op == DW_OP_dup && get_u8(&c) == DW_OP_deref && get_const(&c, get_u8(&c), &k) == 0) {
        uint8_t sign = get_u8(&c);
        if (get_u8(&c) == DW_OP_deref && get_u8(&c) == DW_OP_plus && !c.bad && c.p == c.end) {
            if (sign == DW_OP_minus) {
                *vtable_offset = -k;
                return 1;
            }
            if (sign == DW_OP_plus) {
                *vtable_offset = k;
                return 1;
            }
        }
    }
    return -1;
}

int dw_rnglists_headers_ok(const uint8_t *buf, size_t len)
{
    struct cursor c = {buf, buf + len, 0};
    if (!buf)
        return len == 0;
    while (c.p < c.end) {
        size_t start = (size_t)(c.p - buf);
        uint64_t unit = get_fixed(&c, 4);
        size_t lensize = 4;
        if (unit == 0xffffffffu) {
            unit = get_fixed(&c, 8);
            lensize = 12;
        } else if (unit >= 0xfffffff0u) {
            return 0; /* reserved length values */
        }
        uint64_t version = get_fixed(&c, 2);
        uint64_t addr_size = get_fixed(&c, 1);
        (void)get_fixed(&c, 1); /* segment selector size */
        (void)get_fixed(&c, 4); /* offset entry count */
        if (c.bad || unit > len || version != 5 ||
            (addr_size != 2 && addr_size != 4 && addr_size != 8))
            return 0;
        if (unit > len - start - lensize)
            return 1; /* runs past the end: libdwarf stops there cleanly */
        c.p = buf + start + lensize + unit;
    }
    return 1;
}
