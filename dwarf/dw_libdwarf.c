/*
 * dw_libdwarf.c - the reader: every libdwarf call of spp-trace lives here.
 *
 * Opening walks the user's compile unit once, cheaply: each DIE costs a tag
 * and an offset, scopes (namespaces, classes, enums, typedefs) are recorded
 * for qualified names (dw_names.c), and only subprograms with code, and
 * namespace-level variables with a location, are remembered as candidates.
 * Children of library functions are never visited. Then the candidates that
 * belong to the user's file are materialised (functions with their scopes and
 * variables, globals) and, last, the types reachable from them, through a
 * worklist keyed by DIE offset (no recursion, cycles are free). Everything
 * else stays in the file until dw_index_type_named asks for it.
 *
 * Porting: Debian 12 has libdwarf 20210528; Amazon Linux 2023 has the 0.x
 * API (DW_LIBDWARF_VERSION_MAJOR defined). The calls whose signatures differ
 * are wrapped in the ld_* helpers just below, each naming the 0.x call; the
 * rest of the file uses calls that are the same in both. Location
 * expressions are decoded from raw bytes (dw_expr.c) instead of through the
 * location-list API, which changed the most.
 *
 * One file (past 800 lines) by design: it is the only place that includes
 * libdwarf, so Dwarf_* types and the 2021-vs-0.x API differences stay in one
 * translation unit (style.md: foreign types never leave their module). The
 * parts that need no libdwarf call are already apart: expressions
 * (dw_expr.c), qualified names (dw_names.c), type spelling (dw_typename.c),
 * ELF symbols (dw_elf.c), the index's queries (dw_index.c).
 */
#include "dwarf/dw_int.h"

#include <dwarf.h>
#include <libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(DW_LIBDWARF_VERSION_MAJOR)
#define LD_API_0X 1 /* libdwarf 0.x */
#else
#define LD_API_0X 0 /* libdwarf 2021 and earlier */
#endif

#define MAX_WALK_DEPTH 48  /* DIE nesting the walk follows */
#define MAX_CHAIN 8        /* abstract_origin/specification hops */
#define MAX_BLOCK_DEPTH 32 /* lexical blocks inside each other */
#define MAX_EXPR 64        /* bytes of one location expression */
#define MAX_FILES 65536    /* line-table file entries considered */
#define ABBREV_CACHE 2048  /* abbreviation codes whose attribute sets are cached */
#define MASK_KNOWN (1ull << 63)

_Static_assert(sizeof(void *) >= sizeof(dw_addr), "addresses are stored in pointer-sized maps");

struct dw_reader {
    Dwarf_Debug dbg;
    struct dw_arena *arena;
    struct dw_names names;
    struct dw_u64map types;       /* DIE offset -> struct dw_type * */
    struct dw_u64map static_addr; /* declaration offset -> address of its definition */
    struct dw_vec pending;        /* struct pending: shells waiting to be filled */
    struct dw_vec fresh;          /* struct dw_type *: made in this batch */
    uint8_t *user_file;           /* raw line-table file number -> user's file */
    size_t nfiles;
    int version;       /* DWARF version of the CU */
    dw_addr cu_base;   /* CU low_pc: base of DWARF 4 range lists */
    int nomem;         /* sticky: an allocation failed */
    char err[160];     /* first libdwarf error, for the caller's message */
    /* Which tracked attributes each abbreviation has (MASK_KNOWN once
       read): a DIE's attribute set is its abbreviation's, so most "is
       there a DW_AT_x" questions are answered without asking libdwarf,
       which walks the attribute list for each one. */
    uint64_t abbrev_mask[ABBREV_CACHE];
};

struct pending {
    struct dw_type *t;
    uint64_t off;
};

/* ---- calls whose signature differs between libdwarf versions ---------- */

static void ld_error(struct dw_reader *rd, Dwarf_Error e)
{
    if (!e)
        return;
    if (!rd->err[0])
        snprintf(rd->err, sizeof rd->err, "%s", dwarf_errmsg(e));
    dwarf_dealloc_error(rd->dbg, e);
}

/* 0.x: dwarf_init_b(fd, group, handler, arg, &dbg, &err) - no access mode. */
static int ld_init(struct dw_reader *rd, int fd)
{
    Dwarf_Error e = NULL;
    /* libdwarf records every allocation in a search tree so dwarf_finish
       can free what the caller forgot; this reader frees each object on
       the path that got it, and the tree costs a third of the walk. The
       flag is process-wide (same call in 0.x). */
    dwarf_set_de_alloc_flag(0);
#if LD_API_0X
    int res = dwarf_init_b(fd, DW_GROUPNUMBER_ANY, NULL, NULL, &rd->dbg, &e);
#else
    int res = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &rd->dbg, &e);
#endif
    if (res == DW_DLV_ERROR) {
        if (e)
            snprintf(rd->err, sizeof rd->err, "%s", dwarf_errmsg(e));
        dwarf_dealloc_error(rd->dbg, e); /* dbg is NULL: libdwarf's rule for init errors */
        rd->dbg = NULL;
    }
    return res;
}

/* 0.x: dwarf_finish(dbg) - no error argument. */
static void ld_finish(struct dw_reader *rd)
{
    if (!rd->dbg)
        return;
#if LD_API_0X
    dwarf_finish(rd->dbg);
#else
    Dwarf_Error e = NULL;
    if (dwarf_finish(rd->dbg, &e) == DW_DLV_ERROR)
        dwarf_dealloc_error(NULL, e);
#endif
    rd->dbg = NULL;
}

/* The next CU header. 0.9+: dwarf_next_cu_header_e also returns the CU DIE;
   0.5 still has this _d form with the same arguments. */
static int ld_next_cu(struct dw_reader *rd, Dwarf_Half *version, Dwarf_Unsigned *next)
{
    Dwarf_Unsigned hdr_len = 0, typeoff = 0;
    Dwarf_Half addr_size = 0, len_size = 0, ext_size = 0, cu_type = 0;
    Dwarf_Off abbrev = 0;
    Dwarf_Sig8 sig;
    Dwarf_Error e = NULL;
    int res = dwarf_next_cu_header_d(rd->dbg, 1, &hdr_len, version, &abbrev, &addr_size,
                                     &len_size, &ext_size, &sig, &typeoff, next, &cu_type, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    return res;
}

/* Sibling of die, or the CU DIE when die is NULL. 0.9+: dwarf_siblingof_c
   (no dbg/is_info), and the CU DIE comes from dwarf_next_cu_header_e. */
static int ld_sibling(struct dw_reader *rd, Dwarf_Die die, Dwarf_Die *out)
{
    Dwarf_Error e = NULL;
    *out = NULL;
    int res = dwarf_siblingof_b(rd->dbg, die, 1, out, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    return res == DW_DLV_OK;
}

/* DWARF 2-4 .debug_ranges. 0.x frees with dwarf_dealloc_ranges. */
static void ld_ranges_free(struct dw_reader *rd, Dwarf_Ranges *r, Dwarf_Signed n)
{
#if LD_API_0X
    dwarf_dealloc_ranges(rd->dbg, r, n);
#else
    dwarf_ranges_dealloc(rd->dbg, r, n);
#endif
}

/* One DWARF 5 range-list entry: its code and cooked [lo, hi). 0.x:
   dwarf_get_rnglists_entry_fields_a, which adds "debug_addr unavailable". */
static int ld_rle_entry(struct dw_reader *rd, Dwarf_Rnglists_Head head, Dwarf_Unsigned i,
                        unsigned *code, Dwarf_Unsigned *lo, Dwarf_Unsigned *hi)
{
    unsigned len = 0;
    Dwarf_Unsigned raw1 = 0, raw2 = 0;
    Dwarf_Error e = NULL;
#if LD_API_0X
    Dwarf_Bool no_addr = 0;
    int res = dwarf_get_rnglists_entry_fields_a(head, i, &len, code, &raw1, &raw2, &no_addr, lo,
                                                hi, &e);
    if (res == DW_DLV_OK && no_addr)
        return 0;
#else
    int res = dwarf_get_rnglists_entry_fields(head, i, &len, code, &raw1, &raw2, lo, hi, &e);
#endif
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    return res == DW_DLV_OK;
}

/* ---- small wrappers over calls that are the same in both APIs --------- */

/* Bit of an attribute in abbrev_mask; -1 for attributes not tracked. */
static int attr_bit(Dwarf_Half at)
{
    switch (at) {
    case DW_AT_name: return 0;
    case DW_AT_linkage_name: return 1;
    case DW_AT_MIPS_linkage_name: return 2;
    case DW_AT_decl_file: return 3;
    case DW_AT_decl_line: return 4;
    case DW_AT_type: return 5;
    case DW_AT_artificial: return 6;
    case DW_AT_abstract_origin: return 7;
    case DW_AT_specification: return 8;
    case DW_AT_low_pc: return 9;
    case DW_AT_inline: return 10;
    case DW_AT_location: return 11;
    case DW_AT_export_symbols: return 12;
    case DW_AT_declaration: return 13;
    case DW_AT_external: return 14;
    case DW_AT_data_member_location: return 15;
    case DW_AT_virtuality: return 16;
    case DW_AT_bit_size: return 17;
    case DW_AT_data_bit_offset: return 18;
    case DW_AT_bit_offset: return 19;
    case DW_AT_byte_size: return 20;
    case DW_AT_lower_bound: return 21;
    case DW_AT_count: return 22;
    case DW_AT_upper_bound: return 23;
    case DW_AT_const_value: return 24;
    case DW_AT_containing_type: return 25;
    case DW_AT_encoding: return 26;
    case DW_AT_ranges: return 27;
    case DW_AT_high_pc: return 28;
    default: return -1;
    }
}

/* The tracked attributes die's abbreviation has, or 0 (unknown). Codes are
   per CU; only DIEs of the user's CU are read here. */
static uint64_t die_mask(struct dw_reader *rd, Dwarf_Die die)
{
    int code = dwarf_die_abbrev_code(die);
    if (code <= 0 || code >= ABBREV_CACHE)
        return 0;
    if (rd->abbrev_mask[code])
        return rd->abbrev_mask[code];
    Dwarf_Attribute *list = NULL;
    Dwarf_Signed n = 0;
    Dwarf_Error e = NULL;
    int res = dwarf_attrlist(die, &list, &n, &e);
    if (res == DW_DLV_ERROR) {
        ld_error(rd, e);
        return 0;
    }
    uint64_t m = MASK_KNOWN;
    for (Dwarf_Signed i = 0; res == DW_DLV_OK && i < n; i++) {
        Dwarf_Half at = 0;
        e = NULL;
        if (dwarf_whatattr(list[i], &at, &e) == DW_DLV_OK) {
            int b = attr_bit(at);
            if (b >= 0)
                m |= 1ull << b;
        } else {
            ld_error(rd, e);
        }
        dwarf_dealloc_attribute(list[i]);
    }
    if (res == DW_DLV_OK)
        dwarf_dealloc(rd->dbg, list, DW_DLA_LIST);
    rd->abbrev_mask[code] = m;
    return m;
}

/* 0 when die certainly lacks attribute at. */
static int maybe_has(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at)
{
    int b = attr_bit(at);
    if (b < 0)
        return 1;
    uint64_t m = die_mask(rd, die);
    return !(m & MASK_KNOWN) || ((m >> b) & 1);
}

static int ld_child(struct dw_reader *rd, Dwarf_Die die, Dwarf_Die *out)
{
    Dwarf_Error e = NULL;
    *out = NULL;
    int res = dwarf_child(die, out, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    return res == DW_DLV_OK;
}

static Dwarf_Die ld_offdie(struct dw_reader *rd, uint64_t off)
{
    Dwarf_Die d = NULL;
    Dwarf_Error e = NULL;
    if (off == 0)
        return NULL;
    int res = dwarf_offdie_b(rd->dbg, off, 1, &d, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    return res == DW_DLV_OK ? d : NULL;
}

static int ld_tag(struct dw_reader *rd, Dwarf_Die die)
{
    Dwarf_Half tag = 0;
    Dwarf_Error e = NULL;
    if (dwarf_tag(die, &tag, &e) == DW_DLV_ERROR) {
        ld_error(rd, e);
        return 0;
    }
    return tag;
}

static uint64_t ld_offset(struct dw_reader *rd, Dwarf_Die die)
{
    Dwarf_Off off = 0;
    Dwarf_Error e = NULL;
    if (dwarf_dieoffset(die, &off, &e) == DW_DLV_ERROR) {
        ld_error(rd, e);
        return 0;
    }
    return off;
}

/* Iterates the children of a DIE, one DIE alive at a time plus the next:
       struct kids k;
       for (int ok = kids_first(&k, rd, die); ok; ok = kids_next(&k)) use(k.cur);
       kids_end(&k);
   Sibling links must move forward; a corrupt DW_AT_sibling pointing back
   would otherwise loop forever. next_off is 0 after the last child. */
struct kids {
    struct dw_reader *rd;
    Dwarf_Die cur, next;
    uint64_t off, next_off;
};

static void kids_fetch_next(struct kids *k)
{
    k->next = NULL;
    k->next_off = 0;
    if (ld_sibling(k->rd, k->cur, &k->next)) {
        k->next_off = ld_offset(k->rd, k->next);
        if (k->next_off <= k->off) {
            dwarf_dealloc_die(k->next);
            k->next = NULL;
            k->next_off = 0;
        }
    }
}

static int kids_first(struct kids *k, struct dw_reader *rd, Dwarf_Die parent)
{
    k->rd = rd;
    k->cur = k->next = NULL;
    k->next_off = 0;
    if (rd->nomem || !ld_child(rd, parent, &k->cur))
        return 0;
    k->off = ld_offset(rd, k->cur);
    kids_fetch_next(k);
    return 1;
}

static int kids_next(struct kids *k)
{
    dwarf_dealloc_die(k->cur);
    k->cur = k->next;
    k->off = k->next_off;
    k->next = NULL;
    if (!k->cur || k->rd->nomem)
        return 0;
    kids_fetch_next(k);
    return 1;
}

static void kids_end(struct kids *k)
{
    if (k->cur)
        dwarf_dealloc_die(k->cur);
    if (k->next)
        dwarf_dealloc_die(k->next);
    k->cur = k->next = NULL;
}

static int ld_has(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at)
{
    Dwarf_Bool has = 0;
    Dwarf_Error e = NULL;
    int b = attr_bit(at);
    uint64_t m = b >= 0 ? die_mask(rd, die) : 0;
    if (m & MASK_KNOWN)
        return (int)((m >> b) & 1);
    if (dwarf_hasattr(die, at, &has, &e) == DW_DLV_ERROR) {
        ld_error(rd, e);
        return 0;
    }
    return has != 0;
}

/* One attribute's value, classified by form. */
enum val_kind { V_NONE, V_CONST, V_REF, V_EXPR, V_FLAG, V_STR, V_SECOFF };

struct val {
    enum val_kind kind;
    Dwarf_Half form;
    uint64_t u;  /* CONST (raw), REF (global offset), FLAG, SECOFF */
    int64_t s;   /* CONST: sdata/implicit_const signed, data forms zero-extended */
    const char *str;
    uint8_t expr[MAX_EXPR];
    size_t exprlen;
};

static void read_block(struct dw_reader *rd, Dwarf_Attribute a, struct val *v)
{
    Dwarf_Error e = NULL;
    if (v->form == DW_FORM_exprloc) {
        Dwarf_Unsigned len = 0;
        Dwarf_Ptr p = NULL;
        int res = dwarf_formexprloc(a, &len, &p, &e);
        if (res == DW_DLV_ERROR)
            ld_error(rd, e);
        if (res == DW_DLV_OK && p && len <= MAX_EXPR) {
            memcpy(v->expr, p, len);
            v->exprlen = len;
            v->kind = V_EXPR;
        }
        return;
    }
    Dwarf_Block *b = NULL;
    int res = dwarf_formblock(a, &b, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK)
        return;
    if (b->bl_data && b->bl_len <= MAX_EXPR) {
        memcpy(v->expr, b->bl_data, b->bl_len);
        v->exprlen = b->bl_len;
        v->kind = V_EXPR;
    }
    dwarf_dealloc(rd->dbg, b, DW_DLA_BLOCK);
}

/* Reads attribute at of die into v; returns v->kind != V_NONE. */
static int ld_get(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at, struct val *v)
{
    Dwarf_Attribute a = NULL;
    Dwarf_Error e = NULL;
    v->kind = V_NONE;
    v->u = 0;
    v->s = 0;
    v->str = NULL;
    v->exprlen = 0;
    if (!maybe_has(rd, die, at))
        return 0;
    int res = dwarf_attr(die, at, &a, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK)
        return 0;
    e = NULL;
    if (dwarf_whatform(a, &v->form, &e) != DW_DLV_OK) {
        ld_error(rd, e);
        dwarf_dealloc_attribute(a);
        return 0;
    }
    e = NULL;
    switch (v->form) {
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8:
    case DW_FORM_udata: {
        Dwarf_Unsigned u = 0;
        if (dwarf_formudata(a, &u, &e) == DW_DLV_OK) {
            v->kind = V_CONST;
            v->u = u;
            v->s = (int64_t)u;
        }
        break;
    }
    case DW_FORM_sdata:
    case DW_FORM_implicit_const: {
        Dwarf_Signed s = 0;
        if (dwarf_formsdata(a, &s, &e) == DW_DLV_OK) {
            v->kind = V_CONST;
            v->s = s;
            v->u = (uint64_t)s;
        }
        break;
    }
    case DW_FORM_ref1:
    case DW_FORM_ref2:
    case DW_FORM_ref4:
    case DW_FORM_ref8:
    case DW_FORM_ref_udata:
    case DW_FORM_ref_addr: {
        Dwarf_Off off = 0;
        if (dwarf_global_formref(a, &off, &e) == DW_DLV_OK && off != 0) {
            v->kind = V_REF;
            v->u = off;
        }
        break;
    }
    case DW_FORM_exprloc:
    case DW_FORM_block:
    case DW_FORM_block1:
    case DW_FORM_block2:
    case DW_FORM_block4:
        read_block(rd, a, v);
        break;
    case DW_FORM_flag:
    case DW_FORM_flag_present: {
        Dwarf_Bool f = 0;
        if (dwarf_formflag(a, &f, &e) == DW_DLV_OK) {
            v->kind = V_FLAG;
            v->u = f != 0;
        }
        break;
    }
    case DW_FORM_string:
    case DW_FORM_strp:
    case DW_FORM_line_strp:
    case DW_FORM_strx:
    case DW_FORM_strx1:
    case DW_FORM_strx2:
    case DW_FORM_strx3:
    case DW_FORM_strx4: {
        char *s = NULL;
        if (dwarf_formstring(a, &s, &e) == DW_DLV_OK && s) {
            v->kind = V_STR;
            v->str = s;
        }
        break;
    }
    case DW_FORM_sec_offset: {
        Dwarf_Off off = 0;
        if (dwarf_global_formref(a, &off, &e) == DW_DLV_OK) {
            v->kind = V_SECOFF;
            v->u = off;
        }
        break;
    }
    case DW_FORM_rnglistx:
    case DW_FORM_loclistx: {
        Dwarf_Unsigned u = 0;
        if (dwarf_formudata(a, &u, &e) == DW_DLV_OK) {
            v->kind = V_SECOFF;
            v->u = u;
        }
        break;
    }
    default:
        break; /* DW_FORM_ref_sig8 (type units) and the rest: not used here */
    }
    if (e)
        ld_error(rd, e);
    dwarf_dealloc_attribute(a);
    return v->kind != V_NONE;
}

/* Not dwarf_diename: in libdwarf 20210528 it drops dwarf_attr's error
   without freeing it (a leak per malformed name, found by fuzz_dwarf);
   ld_get frees every error it is handed. */
static const char *ld_name(struct dw_reader *rd, Dwarf_Die die)
{
    struct val v;
    return ld_get(rd, die, DW_AT_name, &v) && v.kind == V_STR ? v.str : NULL;
}

static int ld_flag(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at)
{
    struct val v;
    return ld_get(rd, die, at, &v) && v.kind == V_FLAG && v.u;
}

static int ld_const(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at, uint64_t *out)
{
    struct val v;
    if (!ld_get(rd, die, at, &v) || v.kind != V_CONST)
        return 0;
    *out = v.u;
    return 1;
}

static uint64_t ld_ref(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at)
{
    struct val v;
    return ld_get(rd, die, at, &v) && v.kind == V_REF ? v.u : 0;
}

/* [low, high) of a DIE with DW_AT_low_pc; 0 if it has none. */
static int ld_pc_range(struct dw_reader *rd, Dwarf_Die die, dw_addr *lo, dw_addr *hi)
{
    Dwarf_Addr low = 0, high = 0;
    Dwarf_Half form = 0;
    enum Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
    Dwarf_Error e = NULL;
    if (!maybe_has(rd, die, DW_AT_low_pc))
        return 0;
    int res = dwarf_lowpc(die, &low, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK)
        return 0;
    e = NULL;
    res = dwarf_highpc_b(die, &high, &form, &cls, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK)
        return 0;
    if (cls == DW_FORM_CLASS_CONSTANT)
        high += low;
    if (high <= low)
        return 0;
    *lo = low;
    *hi = high;
    return 1;
}

/* ---- ranges of lexical blocks ----------------------------------------- */

static int push_range(struct dw_vec *out, dw_addr lo, dw_addr hi)
{
    if (hi <= lo)
        return 0;
    struct dw_range *r = dw_vec_push(out);
    if (!r)
        return -1;
    r->lo = lo;
    r->hi = hi;
    return 0;
}

/* DWARF 5 .debug_rnglists. */
static int read_rnglists(struct dw_reader *rd, Dwarf_Die die, struct dw_vec *out)
{
    Dwarf_Attribute a = NULL;
    Dwarf_Error e = NULL;
    Dwarf_Half form = 0;
    Dwarf_Unsigned value = 0, count = 0, global = 0;
    Dwarf_Rnglists_Head head = NULL;
    int ret = 0;
    if (dwarf_attr(die, DW_AT_ranges, &a, &e) != DW_DLV_OK)
        goto out;
    if (dwarf_whatform(a, &form, &e) != DW_DLV_OK)
        goto out;
    if (form == DW_FORM_rnglistx) {
        if (dwarf_formudata(a, &value, &e) != DW_DLV_OK)
            goto out;
    } else {
        Dwarf_Off off = 0;
        if (dwarf_global_formref(a, &off, &e) != DW_DLV_OK)
            goto out;
        value = off;
    }
    if (dwarf_rnglists_get_rle_head(a, form, value, &head, &count, &global, &e) != DW_DLV_OK)
        goto out;
    for (Dwarf_Unsigned i = 0; i < count && i < 4096; i++) {
        unsigned code = 0;
        Dwarf_Unsigned lo = 0, hi = 0;
        if (!ld_rle_entry(rd, head, i, &code, &lo, &hi))
            continue;
        if (code == DW_RLE_offset_pair || code == DW_RLE_startx_endx ||
            code == DW_RLE_startx_length || code == DW_RLE_start_end ||
            code == DW_RLE_start_length)
            if (push_range(out, lo, hi) != 0) {
                ret = -1;
                break;
            }
    }
out:
    if (e)
        ld_error(rd, e);
    if (head)
        dwarf_dealloc_rnglists_head(head);
    if (a)
        dwarf_dealloc_attribute(a);
    return ret;
}

/* DWARF 2-4 .debug_ranges: entries are relative to the CU base address
   unless a base-address selection entry says otherwise. */
static int read_ranges4(struct dw_reader *rd, Dwarf_Die die, uint64_t off, struct dw_vec *out)
{
    Dwarf_Ranges *r = NULL;
    Dwarf_Signed n = 0;
    Dwarf_Unsigned bytes = 0;
    Dwarf_Off real = 0;
    Dwarf_Error e = NULL;
    int res = dwarf_get_ranges_b(rd->dbg, off, die, &real, &r, &n, &bytes, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK)
        return 0;
    dw_addr base = rd->cu_base;
    int ret = 0;
    for (Dwarf_Signed i = 0; i < n && i < 4096; i++) {
        if (r[i].dwr_type == DW_RANGES_ADDRESS_SELECTION)
            base = r[i].dwr_addr2;
        else if (r[i].dwr_type == DW_RANGES_ENTRY &&
                 push_range(out, base + r[i].dwr_addr1, base + r[i].dwr_addr2) != 0) {
            ret = -1;
            break;
        }
    }
    ld_ranges_free(rd, r, n);
    return ret;
}

/* The code ranges of a lexical block, in the arena. */
static int block_ranges(struct dw_reader *rd, Dwarf_Die die, const struct dw_range **out,
                        size_t *n)
{
    struct dw_vec v;
    dw_addr lo, hi;
    int ret = 0;
    dw_vec_init(&v, sizeof(struct dw_range));
    if (ld_pc_range(rd, die, &lo, &hi)) {
        ret = push_range(&v, lo, hi);
    } else {
        struct val rv;
        if (ld_get(rd, die, DW_AT_ranges, &rv)) {
            if (rd->version >= 5)
                ret = read_rnglists(rd, die, &v);
            else if (rv.kind == V_SECOFF || rv.kind == V_CONST)
                ret = read_ranges4(rd, die, rv.u, &v);
        }
    }
    void *p = NULL;
    if (ret == 0 && dw_vec_to_arena(&v, rd->arena, &p) != 0)
        ret = -1;
    *out = p;
    *n = ret == 0 ? v.n : 0;
    dw_vec_free(&v);
    return ret;
}

/* ---- the declaration chain of a function or variable ------------------ */

/* Attributes gathered along concrete -> abstract_origin -> specification:
   the first DIE that has one wins. */
struct chain {
    const char *name;
    uint64_t name_off; /* the DIE that gave the name: its scope qualifies it */
    const char *linkage;
    int64_t decl_file; /* -1: none */
    int decl_line;
    uint64_t type_off;
    int artificial;
    uint64_t origin; /* the concrete DIE's DW_AT_abstract_origin, 0 if none */
};

static void read_chain(struct dw_reader *rd, Dwarf_Die die, uint64_t off, struct chain *c)
{
    memset(c, 0, sizeof *c);
    c->decl_file = -1;
    Dwarf_Die cur = die;
    uint64_t cur_off = off;
    for (int hop = 0; cur && hop < MAX_CHAIN; hop++) {
        struct val v;
        if (!c->name && (c->name = ld_name(rd, cur)) != NULL)
            c->name_off = cur_off;
        if (!c->linkage) {
            if (ld_get(rd, cur, DW_AT_linkage_name, &v) && v.kind == V_STR)
                c->linkage = v.str;
            else if (ld_get(rd, cur, DW_AT_MIPS_linkage_name, &v) && v.kind == V_STR)
                c->linkage = v.str;
        }
        if (c->decl_file < 0 && ld_get(rd, cur, DW_AT_decl_file, &v) && v.kind == V_CONST)
            c->decl_file = (int64_t)(v.u > INT32_MAX ? INT32_MAX : v.u);
        if (!c->decl_line && ld_get(rd, cur, DW_AT_decl_line, &v) && v.kind == V_CONST)
            c->decl_line = v.u > INT32_MAX ? 0 : (int)v.u;
        if (!c->type_off)
            c->type_off = ld_ref(rd, cur, DW_AT_type);
        if (ld_flag(rd, cur, DW_AT_artificial))
            c->artificial = 1;
        uint64_t next = ld_ref(rd, cur, DW_AT_abstract_origin);
        if (hop == 0)
            c->origin = next;
        if (!next)
            next = ld_ref(rd, cur, DW_AT_specification);
        if (cur != die)
            dwarf_dealloc_die(cur);
        cur = NULL;
        if (next && next != cur_off) {
            cur = ld_offdie(rd, next);
            cur_off = next;
        }
    }
    if (cur && cur != die)
        dwarf_dealloc_die(cur);
}

/* Only the decl_file of the chain: the walk asks this of every library
   function with code, so it reads one attribute and the links per hop. */
static int64_t chain_decl_file(struct dw_reader *rd, Dwarf_Die die, uint64_t off,
                               uint64_t *last)
{
    Dwarf_Die cur = die;
    int64_t file = -1;
    *last = off;
    for (int hop = 0; cur && hop < MAX_CHAIN && file < 0; hop++) {
        struct val v;
        uint64_t next = 0;
        *last = off;
        if (ld_get(rd, cur, DW_AT_decl_file, &v) && v.kind == V_CONST)
            file = (int64_t)(v.u > INT32_MAX ? INT32_MAX : v.u);
        else if (!(next = ld_ref(rd, cur, DW_AT_abstract_origin)))
            next = ld_ref(rd, cur, DW_AT_specification);
        if (cur != die)
            dwarf_dealloc_die(cur);
        cur = next && next != off ? ld_offdie(rd, next) : NULL;
        off = next;
    }
    if (cur && cur != die)
        dwarf_dealloc_die(cur);
    return file;
}

static int is_user_file(const struct dw_reader *rd, int64_t file)
{
    return file >= 0 && (uint64_t)file < rd->nfiles && rd->user_file[file];
}

/* decl_file of the nearest enclosing class or function record that has
   one: a lambda's operator() has no decl_file, its closure type does. */
static int64_t enclosing_decl_file(struct dw_reader *rd, uint32_t rec)
{
    for (int d = 0; rec != DWX_REC_NONE && d < MAX_CHAIN; d++) {
        const struct dw_rec *r = &rd->names.recs[rec];
        if (r->kind == DWX_REC_CLASS || r->kind == DWX_REC_FUNC) {
            Dwarf_Die die = ld_offdie(rd, r->off);
            if (die) {
                struct val v;
                int found = ld_get(rd, die, DW_AT_decl_file, &v) && v.kind == V_CONST;
                dwarf_dealloc_die(die);
                if (found)
                    return (int64_t)(v.u > INT32_MAX ? INT32_MAX : v.u);
            }
        }
        rec = r->parent;
    }
    return -1;
}

/* ---- the walk --------------------------------------------------------- */

enum ctx { CTX_TOP, CTX_CLASS, CTX_FUNC };

struct cand {
    uint64_t off;
    uint32_t rec; /* its FUNC record */
};

struct walk {
    struct dw_reader *rd;
    struct dw_vec funcs; /* struct cand: user subprograms with code */
    struct dw_vec vars;  /* uint64_t: namespace-level variables with a location */
};

static void walk_children(struct walk *w, Dwarf_Die parent, uint32_t parent_rec,
                          uint64_t parent_end, enum ctx ctx, int in_user, int depth);

static uint32_t add_rec(struct walk *w, Dwarf_Die die, uint64_t off, uint64_t end,
                        uint32_t parent, enum dw_rec_kind kind)
{
    struct dw_reader *rd = w->rd;
    struct dw_rec r;
    memset(&r, 0, sizeof r);
    r.off = off;
    r.end = end > off ? end : off + 1;
    r.parent = parent;
    r.kind = (uint8_t)kind;
    r.name = ld_name(rd, die);
    if (kind == DWX_REC_NS)
        r.is_inline = (uint8_t)ld_flag(rd, die, DW_AT_export_symbols);
    if (kind == DWX_REC_CLASS || kind == DWX_REC_ENUM) {
        r.is_decl = (uint8_t)ld_flag(rd, die, DW_AT_declaration);
        if (!r.name)
            r.spec = ld_ref(rd, die, DW_AT_specification);
    }
    uint32_t i = dw_names_add(&rd->names, &r);
    /* refused with offsets in order: out of memory (out of order is only
       hostile input, and the record is just skipped) */
    if (i == DWX_REC_NONE && (rd->names.n == 0 || rd->names.recs[rd->names.n - 1].off < off))
        rd->nomem = 1;
    return i;
}

static void visit(struct walk *w, Dwarf_Die die, uint64_t off, uint64_t end, uint32_t parent_rec,
                  enum ctx ctx, int in_user, int depth)
{
    struct dw_reader *rd = w->rd;
    int tag = ld_tag(rd, die);
    uint32_t rec;
    switch (tag) {
    case DW_TAG_namespace:
        rec = add_rec(w, die, off, end, parent_rec, DWX_REC_NS);
        if (rec != DWX_REC_NONE)
            walk_children(w, die, rec, end, CTX_TOP, in_user, depth + 1);
        break;
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
        rec = add_rec(w, die, off, end, parent_rec, DWX_REC_CLASS);
        if (rec != DWX_REC_NONE)
            walk_children(w, die, rec, end, CTX_CLASS, in_user, depth + 1);
        break;
    case DW_TAG_enumeration_type:
        add_rec(w, die, off, end, parent_rec, DWX_REC_ENUM);
        break;
    case DW_TAG_typedef:
        add_rec(w, die, off, end, parent_rec, DWX_REC_TYPEDEF);
        break;
    case DW_TAG_subprogram: {
        if (ctx == CTX_CLASS && parent_rec != DWX_REC_NONE && !rd->names.recs[parent_rec].name) {
            /* a closure type: gcc names its constructors "<lambda>"; a
               closure at namespace scope may only have its artificial
               call operator */
            const char *n = ld_name(rd, die);
            if (n && (strcmp(n, "<lambda>") == 0 ||
                      (strncmp(n, "operator()", 10) == 0 && ld_flag(rd, die, DW_AT_artificial))))
                rd->names.recs[parent_rec].is_lambda = 1;
        }
        int concrete = ld_has(rd, die, DW_AT_low_pc);
        /* An abstract instance (a constructor's "C4" DIE) holds the local
           types and static locals its concrete instances refer to. */
        int abstract = !concrete && ctx == CTX_TOP && ld_has(rd, die, DW_AT_inline);
        if (!concrete && !abstract)
            break;
        int user = in_user;
        if (!user) {
            /* no decl_file anywhere (a lambda's operator()): the closure
               type around the declaration has one */
            uint64_t decl_off;
            int64_t file = chain_decl_file(rd, die, off, &decl_off);
            if (file < 0 && decl_off != off)
                file = enclosing_decl_file(rd, dw_names_enclosing(&rd->names, decl_off));
            if (file < 0)
                file = enclosing_decl_file(rd, parent_rec);
            user = is_user_file(rd, file);
        }
        if (!user)
            break;
        rec = add_rec(w, die, off, end, parent_rec, DWX_REC_FUNC);
        if (rec == DWX_REC_NONE)
            break;
        if (concrete) {
            struct cand *c = dw_vec_push(&w->funcs);
            if (!c) {
                rd->nomem = 1;
                break;
            }
            c->off = off;
            c->rec = rec;
        }
        walk_children(w, die, rec, end, CTX_FUNC, 1, depth + 1);
        break;
    }
    case DW_TAG_lexical_block:
        if (ctx == CTX_FUNC)
            walk_children(w, die, parent_rec, end, CTX_FUNC, in_user, depth + 1);
        break;
    case DW_TAG_variable:
        if (ctx == CTX_TOP && ld_has(rd, die, DW_AT_location)) {
            uint64_t *v = dw_vec_push(&w->vars);
            if (!v)
                rd->nomem = 1;
            else
                *v = off;
        }
        break;
    default:
        break;
    }
}

static void walk_children(struct walk *w, Dwarf_Die parent, uint32_t parent_rec,
                          uint64_t parent_end, enum ctx ctx, int in_user, int depth)
{
    struct kids k;
    if (depth > MAX_WALK_DEPTH)
        return;
    for (int ok = kids_first(&k, w->rd, parent); ok; ok = kids_next(&k)) {
        uint64_t end = k.next ? k.next_off : parent_end;
        if (end > parent_end)
            end = parent_end; /* hostile sibling links: stay inside the parent */
        visit(w, k.cur, k.off, end, parent_rec, ctx, in_user, depth);
    }
    kids_end(&k);
}

/* ---- types ------------------------------------------------------------ */

static int is_transparent(int tag)
{
    /* qualifiers the tracer does not model: the type is its target */
    return tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type ||
           tag == DW_TAG_immutable_type || tag == DW_TAG_shared_type;
}

static const char *arena_str(struct dw_reader *rd, const char *s)
{
    if (!s)
        return NULL;
    const char *d = dw_arena_strdup(rd->arena, s);
    if (!d)
        rd->nomem = 1;
    return d;
}

static struct dw_type *new_shell(struct dw_reader *rd, uint64_t off)
{
    struct dw_type *t = dw_arena_alloc(rd->arena, sizeof *t);
    struct pending *p = t ? dw_vec_push(&rd->pending) : NULL;
    struct dw_type **f = p ? dw_vec_push(&rd->fresh) : NULL;
    if (!f || dw_u64map_put(&rd->types, off, t) != 0) {
        rd->nomem = 1;
        return NULL;
    }
    t->kind = DWX_T_OTHER;
    t->id = off;
    p->t = t;
    p->off = off;
    *f = t;
    return t;
}

/* The type at DIE offset off: memoised, or a shell queued for filling.
   Transparent qualifiers are skipped and declarations of classes are
   replaced by their definition when the CU has one. */
static struct dw_type *type_at(struct dw_reader *rd, uint64_t off)
{
    uint64_t orig = off;
    for (int hop = 0; off && hop < MAX_CHAIN && !rd->nomem; hop++) {
        struct dw_type *t = dw_u64map_get(&rd->types, off);
        if (t) {
            if (off != orig && dw_u64map_put(&rd->types, orig, t) != 0)
                rd->nomem = 1;
            return t;
        }
        Dwarf_Die die = ld_offdie(rd, off);
        if (!die)
            return NULL;
        int tag = ld_tag(rd, die);
        uint64_t next = 0;
        if (is_transparent(tag)) {
            next = ld_ref(rd, die, DW_AT_type);
            if (!next) { /* "restrict void": void */
                dwarf_dealloc_die(die);
                return NULL;
            }
        } else if ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
                    tag == DW_TAG_union_type || tag == DW_TAG_enumeration_type) &&
                   ld_flag(rd, die, DW_AT_declaration)) {
            uint32_t rec = dw_names_find(&rd->names, off);
            const char *q = rec != DWX_REC_NONE && rd->names.recs[rec].name
                                ? dw_names_qualified(&rd->names, rec, 0)
                                : NULL;
            int is_typedef = 0;
            uint64_t def = q ? dw_names_lookup(&rd->names, q, &is_typedef) : 0;
            if (def && def != off && !is_typedef)
                next = def;
        }
        dwarf_dealloc_die(die);
        if (!next) {
            t = new_shell(rd, off);
            if (t && off != orig && dw_u64map_put(&rd->types, orig, t) != 0)
                rd->nomem = 1;
            return t;
        }
        off = next;
    }
    return NULL;
}

static const struct dw_type *type_ref(struct dw_reader *rd, Dwarf_Die die, Dwarf_Half at)
{
    uint64_t off = ld_ref(rd, die, at);
    return off ? type_at(rd, off) : NULL;
}

static enum dw_encoding map_encoding(uint64_t ate)
{
    switch (ate) {
    case DW_ATE_signed:
        return DWX_ENC_SIGNED;
    case DW_ATE_unsigned:
        return DWX_ENC_UNSIGNED;
    case DW_ATE_signed_char:
        return DWX_ENC_SIGNED_CHAR;
    case DW_ATE_unsigned_char:
        return DWX_ENC_UNSIGNED_CHAR;
    case DW_ATE_boolean:
        return DWX_ENC_BOOL;
    case DW_ATE_float:
        return DWX_ENC_FLOAT;
    case DW_ATE_UTF:
        return DWX_ENC_UTF;
    case DW_ATE_complex_float:
        return DWX_ENC_COMPLEX;
    default:
        return DWX_ENC_NONE;
    }
}

/* Name of a class, enum or typedef: qualified through its scope record. */
static const char *scoped_name(struct dw_reader *rd, Dwarf_Die die, uint64_t off)
{
    uint32_t rec = dw_names_find(&rd->names, off);
    if (rec != DWX_REC_NONE && (rd->names.recs[rec].name || rd->names.recs[rec].spec)) {
        const char *q = dw_names_qualified(&rd->names, rec, 0);
        if (!q)
            rd->nomem = 1;
        return q;
    }
    return arena_str(rd, ld_name(rd, die));
}

/* Moves a vector's elements into the arena (NULL when empty) and frees it;
   *n is their count. */
static void *freeze(struct dw_reader *rd, struct dw_vec *v, size_t *n)
{
    void *p = NULL;
    if (dw_vec_to_arena(v, rd->arena, &p) != 0)
        rd->nomem = 1;
    *n = p ? v->n : 0;
    dw_vec_free(v);
    return p;
}

static void fill_member(struct dw_reader *rd, Dwarf_Die die, uint64_t off, int tag,
                        struct dw_member *m)
{
    struct val v;
    m->name = tag == DW_TAG_inheritance ? NULL : arena_str(rd, ld_name(rd, die));
    m->type = type_ref(rd, die, DW_AT_type);
    m->is_artificial = (unsigned)ld_flag(rd, die, DW_AT_artificial);
    if (tag == DW_TAG_variable ||
        (tag == DW_TAG_member &&
         (ld_flag(rd, die, DW_AT_external) || ld_flag(rd, die, DW_AT_declaration)))) {
        m->is_static = 1;
        m->static_addr = (dw_addr)(uintptr_t)dw_u64map_get(&rd->static_addr, off);
        return;
    }
    if (ld_get(rd, die, DW_AT_data_member_location, &v)) {
        if (v.kind == V_CONST) {
            m->offset = v.u;
        } else if (v.kind == V_EXPR) {
            uint64_t o = 0;
            int64_t vt = 0;
            int r = dw_expr_member_location(v.expr, v.exprlen, &o, &vt);
            if (r == 0)
                m->offset = o;
            else if (r == 1) {
                m->is_virtual_base = 1;
                m->vbase_vtable_offset = vt;
            }
        }
    }
    if (tag == DW_TAG_inheritance) {
        m->is_base = 1;
        if (ld_get(rd, die, DW_AT_virtuality, &v) && v.kind == V_CONST && v.u)
            m->is_virtual_base = 1;
        return;
    }
    uint64_t bits = 0;
    if (!ld_const(rd, die, DW_AT_bit_size, &bits) || bits == 0 || bits > 65535)
        return;
    m->bit_size = (uint32_t)bits;
    uint64_t pos = 0, unit = 0;
    if (ld_const(rd, die, DW_AT_data_bit_offset, &pos)) {
        m->bit_pos = pos;
        m->offset = pos / 8;
    } else if (ld_const(rd, die, DW_AT_bit_offset, &pos) &&
               ld_const(rd, die, DW_AT_byte_size, &unit) && unit * 8 >= pos + bits) {
        /* DWARF 2/3: bit_offset counts from the storage unit's most
           significant bit; x86-64 is little-endian. */
        m->bit_pos = m->offset * 8 + (unit * 8 - pos - bits);
    } else {
        m->bit_pos = m->offset * 8;
    }
}

/* Reads one DW_TAG_subrange_type into d. */
static void fill_dim(struct dw_reader *rd, Dwarf_Die die, struct dw_array_dim *d)
{
    struct val v;
    int64_t lower = 0;
    d->count = -1;
    if (ld_get(rd, die, DW_AT_lower_bound, &v) && v.kind == V_CONST)
        lower = v.s;
    int is_count = ld_get(rd, die, DW_AT_count, &v);
    if (!is_count && !ld_get(rd, die, DW_AT_upper_bound, &v))
        return; /* flexible array member, or [] */
    if (v.kind == V_CONST) {
        int64_t n = is_count ? v.s : v.s - lower + 1;
        d->count = n < 0 ? 0 : n;
    } else if (v.kind == V_EXPR) {
        dw_expr_value_location(v.expr, v.exprlen, &d->vla_count);
    } else if (v.kind == V_REF) {
        /* an artificial variable holds the bound */
        Dwarf_Die var = ld_offdie(rd, v.u);
        if (var) {
            struct val loc;
            if (ld_get(rd, var, DW_AT_location, &loc) && loc.kind == V_EXPR)
                dw_expr_location(loc.expr, loc.exprlen, &d->vla_count);
            dwarf_dealloc_die(var);
        }
    }
    if (d->vla_count.kind != DWX_LOC_NONE)
        d->vla_holds_count = is_count;
}

/* Children of an aggregate, enum, array or function type. */
static void fill_children(struct dw_reader *rd, Dwarf_Die die, struct dw_type *t)
{
    struct dw_vec members, enums, dims, params, tparams;
    dw_vec_init(&members, sizeof(struct dw_member));
    dw_vec_init(&enums, sizeof(struct dw_enumerator));
    dw_vec_init(&dims, sizeof(struct dw_array_dim));
    dw_vec_init(&params, sizeof(const struct dw_type *));
    dw_vec_init(&tparams, sizeof(const struct dw_type *));
    struct kids k;
    for (int ok = kids_first(&k, rd, die); ok; ok = kids_next(&k)) {
        Dwarf_Die cur = k.cur;
        int tag = ld_tag(rd, cur);
        switch (tag) {
        case DW_TAG_member:
        case DW_TAG_inheritance:
        case DW_TAG_variable:
            if (t->kind == DWX_T_STRUCT || t->kind == DWX_T_CLASS || t->kind == DWX_T_UNION) {
                struct dw_member *m = dw_vec_push(&members);
                if (m)
                    fill_member(rd, cur, k.off, tag, m);
                else
                    rd->nomem = 1;
            }
            break;
        case DW_TAG_template_type_parameter: {
            const struct dw_type **tp = dw_vec_push(&tparams);
            if (tp)
                *tp = type_ref(rd, cur, DW_AT_type);
            else
                rd->nomem = 1;
            break;
        }
        case DW_TAG_enumerator:
            if (t->kind == DWX_T_ENUM) {
                struct dw_enumerator *en = dw_vec_push(&enums);
                struct val v;
                if (!en) {
                    rd->nomem = 1;
                    break;
                }
                en->name = arena_str(rd, ld_name(rd, cur));
                if (ld_get(rd, cur, DW_AT_const_value, &v) && v.kind == V_CONST)
                    en->value = v.s;
            }
            break;
        case DW_TAG_subrange_type:
            if (t->kind == DWX_T_ARRAY) {
                struct dw_array_dim *d = dw_vec_push(&dims);
                if (d)
                    fill_dim(rd, cur, d);
                else
                    rd->nomem = 1;
            }
            break;
        case DW_TAG_formal_parameter:
            if (t->kind == DWX_T_FUNC && !ld_flag(rd, cur, DW_AT_artificial)) {
                const struct dw_type **pp = dw_vec_push(&params);
                if (pp)
                    *pp = type_ref(rd, cur, DW_AT_type);
                else
                    rd->nomem = 1;
            }
            break;
        case DW_TAG_subprogram: {
            const char *fn = t->kind == DWX_T_FUNC ? NULL : ld_name(rd, cur);
            if (fn && fn[0] == '~')
                t->has_destructor = 1;
            break;
        }
        default:
            break; /* other member functions, nested types...: not part of the shape */
        }
    }
    kids_end(&k);
    t->members = freeze(rd, &members, &t->nmembers);
    t->enumerators = freeze(rd, &enums, &t->nenumerators);
    t->dims = freeze(rd, &dims, &t->ndims);
    t->params = freeze(rd, &params, &t->nparams);
    t->tparams = freeze(rd, &tparams, &t->ntparams);
}

static void fill_type(struct dw_reader *rd, struct dw_type *t, uint64_t off)
{
    Dwarf_Die die = ld_offdie(rd, off);
    if (!die) {
        t->name = "?";
        return;
    }
    int tag = ld_tag(rd, die);
    uint64_t u = 0;
    if (ld_const(rd, die, DW_AT_byte_size, &u))
        t->size = u;
    int children = 0;
    switch (tag) {
    case DW_TAG_base_type:
        t->kind = DWX_T_BASE;
        t->name = arena_str(rd, ld_name(rd, die));
        if (ld_const(rd, die, DW_AT_encoding, &u))
            t->encoding = map_encoding(u);
        break;
    case DW_TAG_unspecified_type:
        t->name = arena_str(rd, ld_name(rd, die));
        t->kind = t->name && strcmp(t->name, "void") == 0 ? DWX_T_VOID : DWX_T_NULLPTR;
        if (t->kind == DWX_T_NULLPTR && !t->size)
            t->size = 8;
        break;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
        t->kind = tag == DW_TAG_pointer_type     ? DWX_T_POINTER
                  : tag == DW_TAG_reference_type ? DWX_T_REF
                                                 : DWX_T_RVREF;
        t->target = type_ref(rd, die, DW_AT_type);
        if (!t->size)
            t->size = 8;
        break;
    case DW_TAG_ptr_to_member_type:
        t->kind = DWX_T_PTRMEM;
        t->target = type_ref(rd, die, DW_AT_type);
        t->ptrmem_class = type_ref(rd, die, DW_AT_containing_type);
        break;
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
        t->kind = tag == DW_TAG_const_type ? DWX_T_CONST : DWX_T_VOLATILE;
        t->target = type_ref(rd, die, DW_AT_type);
        break;
    case DW_TAG_typedef:
        t->kind = DWX_T_TYPEDEF;
        t->name = scoped_name(rd, die, off);
        t->target = type_ref(rd, die, DW_AT_type);
        break;
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
        t->kind = tag == DW_TAG_structure_type ? DWX_T_STRUCT
                  : tag == DW_TAG_class_type   ? DWX_T_CLASS
                                               : DWX_T_UNION;
        t->name = scoped_name(rd, die, off);
        t->is_declaration = (unsigned)ld_flag(rd, die, DW_AT_declaration);
        children = 1;
        break;
    case DW_TAG_enumeration_type:
        t->kind = DWX_T_ENUM;
        t->name = scoped_name(rd, die, off);
        t->is_declaration = (unsigned)ld_flag(rd, die, DW_AT_declaration);
        t->target = type_ref(rd, die, DW_AT_type);
        if (ld_const(rd, die, DW_AT_encoding, &u))
            t->encoding = map_encoding(u);
        children = 1;
        break;
    case DW_TAG_array_type:
        t->kind = DWX_T_ARRAY;
        t->target = type_ref(rd, die, DW_AT_type);
        children = 1;
        break;
    case DW_TAG_subroutine_type:
        t->kind = DWX_T_FUNC;
        t->target = type_ref(rd, die, DW_AT_type);
        children = 1;
        break;
    default:
        t->kind = DWX_T_OTHER;
        t->name = arena_str(rd, ld_name(rd, die));
        break;
    }
    if (children)
        fill_children(rd, die, t);
    dwarf_dealloc_die(die);
}

/* Sizes DWARF leaves implicit: arrays (element size times counts), typedefs
   and qualifiers (their target's), member pointers (ABI). */
static uint64_t type_size(struct dw_type *t, int depth)
{
    if (!t || depth > 32)
        return 0;
    if (t->size)
        return t->size;
    uint64_t n = 0;
    switch (t->kind) {
    case DWX_T_TYPEDEF:
    case DWX_T_CONST:
    case DWX_T_VOLATILE:
        n = type_size((struct dw_type *)t->target, depth + 1);
        break;
    case DWX_T_PTRMEM:
        n = t->target && t->target->kind == DWX_T_FUNC ? 16 : 8;
        break;
    case DWX_T_ARRAY:
        n = type_size((struct dw_type *)t->target, depth + 1);
        for (size_t i = 0; i < t->ndims && n; i++) {
            int64_t c = t->dims[i].count;
            if (c <= 0 || (uint64_t)c > UINT64_MAX / n)
                n = 0;
            else
                n *= (uint64_t)c;
        }
        break;
    case DWX_T_ENUM:
        n = type_size((struct dw_type *)t->target, depth + 1);
        break;
    default:
        break;
    }
    t->size = n;
    return n;
}

/* Fills every queued shell (filling queues more), then derives sizes and
   enum encodings for the types made in this batch. */
static void drain(struct dw_reader *rd)
{
    while (rd->pending.n && !rd->nomem) {
        struct pending p = ((struct pending *)rd->pending.p)[--rd->pending.n];
        fill_type(rd, p.t, p.off);
    }
    struct dw_type **fresh = rd->fresh.p;
    for (size_t i = 0; i < rd->fresh.n; i++) {
        struct dw_type *t = fresh[i];
        type_size(t, 0);
        if (t->kind == DWX_T_ENUM && t->encoding == DWX_ENC_NONE) {
            const struct dw_type *u = dw_type_strip(t->target);
            t->encoding = u ? u->encoding : DWX_ENC_UNSIGNED;
            for (size_t k = 0; !u && k < t->nenumerators; k++)
                if (t->enumerators[k].value < 0)
                    t->encoding = DWX_ENC_SIGNED;
        }
    }
    rd->fresh.n = 0;
}

/* ---- variables and scopes --------------------------------------------- */

/* A variable gcc left without storage may still have its value: a number
   (data forms, target byte order) or the object's bytes (block forms). */
static void const_value(struct dw_reader *rd, Dwarf_Die die, struct dw_var *out)
{
    struct val v;
    if (!ld_get(rd, die, DW_AT_const_value, &v) || (v.kind != V_CONST && v.kind != V_EXPR))
        return;
    size_t n = v.kind == V_CONST ? 8 : v.exprlen;
    uint8_t *b = n ? dw_arena_alloc(rd->arena, n) : NULL;
    if (!b)
        return;
    if (v.kind == V_CONST)
        for (size_t i = 0; i < 8; i++)
            b[i] = (uint8_t)(v.u >> (8 * i));
    else
        memcpy(b, v.expr, n);
    out->const_bytes = b;
    out->const_len = n;
}

/* A parameter or local; 0 when it has no name (nothing to show). */
static int build_var(struct dw_reader *rd, Dwarf_Die die, int tag, struct dw_var *out,
                     uint64_t *origin)
{
    struct val v;
    const char *name = ld_name(rd, die);
    uint64_t type_off = ld_ref(rd, die, DW_AT_type);
    int line = 0, artificial = ld_flag(rd, die, DW_AT_artificial);
    int have_loc = ld_get(rd, die, DW_AT_location, &v) && v.kind == V_EXPR;
    struct val loc = v;
    if (ld_get(rd, die, DW_AT_decl_line, &v) && v.kind == V_CONST && v.u <= INT32_MAX)
        line = (int)v.u;
    *origin = ld_ref(rd, die, DW_AT_abstract_origin);
    uint64_t next = *origin;
    for (int hop = 0; next && hop < MAX_CHAIN; hop++) {
        Dwarf_Die o = ld_offdie(rd, next);
        if (!o)
            break;
        if (!name)
            name = ld_name(rd, o);
        if (!type_off)
            type_off = ld_ref(rd, o, DW_AT_type);
        if (!line && ld_get(rd, o, DW_AT_decl_line, &v) && v.kind == V_CONST && v.u <= INT32_MAX)
            line = (int)v.u;
        if (ld_flag(rd, o, DW_AT_artificial))
            artificial = 1;
        if (!have_loc && ld_get(rd, o, DW_AT_location, &loc) && loc.kind == V_EXPR)
            have_loc = 1;
        uint64_t n2 = ld_ref(rd, o, DW_AT_abstract_origin);
        dwarf_dealloc_die(o);
        next = n2 != next ? n2 : 0;
    }
    if (!name)
        return 0;
    memset(out, 0, sizeof *out);
    out->name = arena_str(rd, name);
    out->type = type_off ? type_at(rd, type_off) : NULL;
    out->decl_line = line;
    out->is_param = tag == DW_TAG_formal_parameter;
    out->is_artificial = (unsigned)artificial;
    if (have_loc)
        dw_expr_location(loc.expr, loc.exprlen, &out->loc);
    else
        const_value(rd, die, out);
    out->is_static = out->loc.kind == DWX_LOC_ADDR;
    return 1;
}

static int seen_origin(const struct dw_vec *seen, uint64_t off)
{
    const uint64_t *s = seen->p;
    for (size_t i = 0; i < seen->n; i++)
        if (s[i] == off)
            return 1;
    return 0;
}

/* Static locals that live only in the abstract instance a concrete function
   or block refers to (gcc puts them there for constructors). */
static void origin_statics(struct dw_reader *rd, uint64_t origin, const struct dw_vec *seen,
                           struct dw_vec *vars)
{
    Dwarf_Die o = ld_offdie(rd, origin);
    struct kids k;
    if (!o)
        return;
    for (int ok = kids_first(&k, rd, o); ok; ok = kids_next(&k)) {
        struct val v;
        if (ld_tag(rd, k.cur) == DW_TAG_variable && !seen_origin(seen, k.off) &&
            ld_get(rd, k.cur, DW_AT_location, &v) && v.kind == V_EXPR) {
            struct dw_var tmp;
            uint64_t unused;
            if (build_var(rd, k.cur, DW_TAG_variable, &tmp, &unused) &&
                tmp.loc.kind == DWX_LOC_ADDR) {
                struct dw_var *slot = dw_vec_push(vars);
                if (slot)
                    *slot = tmp;
                else
                    rd->nomem = 1;
            }
        }
    }
    kids_end(&k);
    dwarf_dealloc_die(o);
}

/* Variables and nested blocks of a function or lexical block. */
static void build_scope(struct dw_reader *rd, Dwarf_Die die, uint64_t origin, struct dw_scope *s,
                        int depth)
{
    struct dw_vec vars, blocks, seen;
    dw_vec_init(&vars, sizeof(struct dw_var));
    dw_vec_init(&blocks, sizeof(struct dw_scope));
    dw_vec_init(&seen, sizeof(uint64_t));
    struct kids k;
    for (int ok = kids_first(&k, rd, die); ok; ok = kids_next(&k)) {
        Dwarf_Die cur = k.cur;
        int tag = ld_tag(rd, cur);
        if (tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) {
            struct dw_var v;
            uint64_t o = 0;
            if (build_var(rd, cur, tag, &v, &o)) {
                struct dw_var *slot = dw_vec_push(&vars);
                if (slot)
                    *slot = v;
                else
                    rd->nomem = 1;
            }
            uint64_t *so = o ? dw_vec_push(&seen) : NULL;
            if (so)
                *so = o;
        } else if (tag == DW_TAG_lexical_block && depth < MAX_BLOCK_DEPTH) {
            struct dw_scope child;
            memset(&child, 0, sizeof child);
            if (block_ranges(rd, cur, &child.ranges, &child.nranges) != 0)
                rd->nomem = 1;
            if (child.nranges) {
                uint64_t o = ld_ref(rd, cur, DW_AT_abstract_origin);
                build_scope(rd, cur, o, &child, depth + 1);
                if (child.nvars || child.nchildren) {
                    struct dw_scope *slot = dw_vec_push(&blocks);
                    if (slot)
                        *slot = child;
                    else
                        rd->nomem = 1;
                }
            }
        }
    }
    kids_end(&k);
    if (origin)
        origin_statics(rd, origin, &seen, &vars);
    s->vars = freeze(rd, &vars, &s->nvars);
    s->children = freeze(rd, &blocks, &s->nchildren);
    dw_vec_free(&seen);
}

/* ---- functions and globals -------------------------------------------- */

/* Qualified name of the function whose concrete DIE starts chain c. */
static const char *func_name(struct dw_reader *rd, const struct chain *c)
{
    const char *n = dw_names_qualify(&rd->names, c->name_off, c->name, 1);
    if (!n)
        rd->nomem = 1;
    return n;
}

/* A lambda's call operator: artificial, yet the user's code. Generic
   lambdas name their instances "operator()<int>". */
static int is_lambda_call(struct dw_reader *rd, const struct chain *c)
{
    if (!c->name || strncmp(c->name, "operator()", 10) != 0)
        return 0;
    uint32_t r = dw_names_enclosing(&rd->names, c->name_off);
    return r != DWX_REC_NONE && rd->names.recs[r].is_lambda;
}

/* decl_line of a record's DIE (a lambda's closure type), 0 if none. */
static int rec_decl_line(struct dw_reader *rd, uint32_t rec)
{
    struct val v;
    int line = 0;
    Dwarf_Die die = rec != DWX_REC_NONE ? ld_offdie(rd, rd->names.recs[rec].off) : NULL;
    if (die && ld_get(rd, die, DW_AT_decl_line, &v) && v.kind == V_CONST && v.u <= INT32_MAX)
        line = (int)v.u;
    if (die)
        dwarf_dealloc_die(die);
    return line;
}

static void build_func(struct dw_reader *rd, const struct cand *cd, struct dw_vec *funcs)
{
    Dwarf_Die die = ld_offdie(rd, cd->off);
    if (!die)
        return;
    struct chain c;
    read_chain(rd, die, cd->off, &c);
    struct dw_rec *rec = &rd->names.recs[cd->rec];
    if (c.name)
        rec->func_name = func_name(rd, &c);
    dw_addr lo, hi;
    if (!c.name || (c.artificial && !is_lambda_call(rd, &c)) || !rec->func_name ||
        !ld_pc_range(rd, die, &lo, &hi))
        goto out;
    struct dw_func *f = dw_vec_push(funcs);
    struct dw_range *r = dw_arena_alloc(rd->arena, sizeof *r);
    if (!f || !r) {
        rd->nomem = 1;
        goto out;
    }
    f->name = rec->func_name;
    f->linkage_name = arena_str(rd, c.linkage);
    f->low_pc = lo;
    f->high_pc = hi;
    f->body_pc = lo;
    f->decl_line = c.decl_line;
    if (!f->decl_line && is_lambda_call(rd, &c))
        f->decl_line = rec_decl_line(rd, dw_names_enclosing(&rd->names, c.name_off));
    f->ret_type = c.type_off ? type_at(rd, c.type_off) : NULL;
    r->lo = lo;
    r->hi = hi;
    f->scope.ranges = r;
    f->scope.nranges = 1;
    build_scope(rd, die, c.origin, &f->scope, 0);
out:
    dwarf_dealloc_die(die);
}

/* FUNC records of abstract instances get their names too: a lambda in a
   constructor is qualified through it. */
static void name_abstract_records(struct dw_reader *rd)
{
    for (size_t i = 0; i < rd->names.n && !rd->nomem; i++) {
        struct dw_rec *r = &rd->names.recs[i];
        if (r->kind != DWX_REC_FUNC || r->func_name)
            continue;
        Dwarf_Die die = ld_offdie(rd, r->off);
        if (!die)
            continue;
        struct chain c;
        read_chain(rd, die, r->off, &c);
        if (c.name)
            r->func_name = func_name(rd, &c);
        dwarf_dealloc_die(die);
    }
}

struct global {
    struct dw_var v;
    size_t order;
};

static int cmp_global(const void *a, const void *b)
{
    const struct global *x = a, *y = b;
    if (x->v.decl_line != y->v.decl_line)
        return x->v.decl_line < y->v.decl_line ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* Namespace-level variables: record where each static member's definition
   is (classes read it later), keep the user's ones as globals. */
static void build_globals(struct dw_reader *rd, const struct dw_vec *cands, struct dw_index *ix)
{
    struct dw_vec out;
    dw_vec_init(&out, sizeof(struct global));
    const uint64_t *offs = cands->p;
    for (size_t i = 0; i < cands->n && !rd->nomem; i++) {
        Dwarf_Die die = ld_offdie(rd, offs[i]);
        if (!die)
            continue;
        struct val v;
        struct dw_loc loc;
        memset(&loc, 0, sizeof loc);
        if (ld_get(rd, die, DW_AT_location, &v) && v.kind == V_EXPR)
            dw_expr_location(v.expr, v.exprlen, &loc);
        uint64_t spec = ld_ref(rd, die, DW_AT_specification);
        if (loc.kind != DWX_LOC_ADDR || loc.deref) {
            dwarf_dealloc_die(die);
            continue;
        }
        if (spec && loc.addr && dw_u64map_put(&rd->static_addr, spec, (void *)(uintptr_t)loc.addr))
            rd->nomem = 1;
        struct chain c;
        read_chain(rd, die, offs[i], &c);
        dwarf_dealloc_die(die);
        if (!c.name || c.artificial || !is_user_file(rd, c.decl_file))
            continue;
        struct global *g = dw_vec_push(&out);
        if (!g) {
            rd->nomem = 1;
            break;
        }
        g->order = i;
        g->v.name = dw_names_qualify(&rd->names, c.name_off, c.name, 0);
        g->v.type = c.type_off ? type_at(rd, c.type_off) : NULL;
        g->v.loc = loc;
        g->v.decl_line = c.decl_line;
        g->v.is_static = 1;
        if (!g->v.name)
            rd->nomem = 1;
    }
    if (!rd->nomem && out.n) {
        qsort(out.p, out.n, sizeof(struct global), cmp_global);
        struct dw_var *vars = dw_arena_array(rd->arena, out.n, sizeof *vars);
        if (!vars)
            rd->nomem = 1;
        else {
            for (size_t i = 0; i < out.n; i++)
                vars[i] = ((struct global *)out.p)[i].v;
            ix->globals = vars;
            ix->nglobals = out.n;
        }
    }
    dw_vec_free(&out);
}

/* ---- the CU, its files and its line table ----------------------------- */

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Finds the CU named src_name; *cu is its DIE. */
static enum dw_err find_cu(struct dw_reader *rd, const char *src_name, Dwarf_Die *cu)
{
    const char *want = basename_of(src_name);
    int saw_cu = 0;
    for (int guard = 0; guard < 100000; guard++) {
        Dwarf_Half version = 0;
        Dwarf_Unsigned next = 0;
        int res = ld_next_cu(rd, &version, &next);
        if (res != DW_DLV_OK)
            break;
        Dwarf_Die die = NULL;
        if (!ld_sibling(rd, NULL, &die))
            continue;
        saw_cu = 1;
        const char *name = ld_name(rd, die);
        if (name && strcmp(basename_of(name), want) == 0) {
            rd->version = version;
            *cu = die;
            return DWX_OK;
        }
        dwarf_dealloc_die(die);
    }
    return saw_cu || !rd->err[0] ? DWX_ERR_NO_CU : DWX_ERR_FORMAT;
}

/* Marks the line-table files that are the user's source file and copies
   every row. */
static enum dw_err read_lines(struct dw_reader *rd, Dwarf_Die cu, const char *src_name,
                              struct dw_row **rows_out, size_t *nrows_out)
{
    Dwarf_Unsigned version = 0;
    Dwarf_Small table_count = 0;
    Dwarf_Line_Context ctx = NULL;
    Dwarf_Error e = NULL;
    enum dw_err err = DWX_OK;
    struct dw_row *rows = NULL;
    const char *want = basename_of(src_name);
    *rows_out = NULL;
    *nrows_out = 0;
    int res = dwarf_srclines_b(cu, &version, &table_count, &ctx, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK)
        return DWX_ERR_FORMAT;

    Dwarf_Signed base = 0, count = 0, end = 0;
    e = NULL;
    if (dwarf_srclines_files_indexes(ctx, &base, &count, &end, &e) != DW_DLV_OK) {
        ld_error(rd, e);
        err = DWX_ERR_FORMAT;
        goto out;
    }
    if (end < 0 || end > MAX_FILES)
        end = end < 0 ? 0 : MAX_FILES;
    rd->nfiles = (size_t)end;
    rd->user_file = calloc(rd->nfiles ? rd->nfiles : 1, 1);
    if (!rd->user_file) {
        err = DWX_ERR_NOMEM;
        goto out;
    }
    for (Dwarf_Signed i = base < 0 ? 0 : base; i < end; i++) {
        const char *name = NULL;
        Dwarf_Unsigned dir = 0, mtime = 0, len = 0;
        Dwarf_Form_Data16 *md5 = NULL;
        e = NULL;
        res = dwarf_srclines_files_data_b(ctx, i, &name, &dir, &mtime, &len, &md5, &e);
        if (res == DW_DLV_ERROR)
            ld_error(rd, e);
        if (res == DW_DLV_OK && name && strcmp(basename_of(name), want) == 0)
            rd->user_file[i] = 1;
    }

    Dwarf_Line *lines = NULL;
    Dwarf_Signed n = 0;
    e = NULL;
    res = dwarf_srclines_from_linecontext(ctx, &lines, &n, &e);
    if (res == DW_DLV_ERROR)
        ld_error(rd, e);
    if (res != DW_DLV_OK || n <= 0)
        goto out; /* a CU without code */
    if ((size_t)n > DWX_VEC_MAX) {
        err = DWX_ERR_FORMAT;
        goto out;
    }
    rows = calloc((size_t)n, sizeof *rows);
    if (!rows) {
        err = DWX_ERR_NOMEM;
        goto out;
    }
    size_t k = 0;
    for (Dwarf_Signed i = 0; i < n; i++) {
        Dwarf_Addr addr = 0;
        Dwarf_Unsigned lineno = 0, file = 0;
        Dwarf_Bool stmt = 0, endseq = 0;
        e = NULL;
        if (dwarf_lineaddr(lines[i], &addr, &e) != DW_DLV_OK ||
            dwarf_lineno(lines[i], &lineno, &e) != DW_DLV_OK ||
            dwarf_line_srcfileno(lines[i], &file, &e) != DW_DLV_OK ||
            dwarf_linebeginstatement(lines[i], &stmt, &e) != DW_DLV_OK ||
            dwarf_lineendsequence(lines[i], &endseq, &e) != DW_DLV_OK) {
            ld_error(rd, e);
            continue;
        }
        rows[k].addr = addr;
        rows[k].line = lineno > INT32_MAX ? 0 : (int)lineno;
        rows[k].user = file < rd->nfiles && rd->user_file[file];
        rows[k].is_stmt = stmt != 0;
        rows[k].end_seq = endseq != 0;
        k++;
    }
    *rows_out = rows;
    *nrows_out = k;
    rows = NULL;
out:
    free(rows);
    dwarf_srclines_dealloc_b(ctx);
    return err;
}

/* ---- entry points ------------------------------------------------------ */

static void reader_free(struct dw_reader *rd)
{
    ld_finish(rd);
    dw_names_free(&rd->names);
    dw_u64map_free(&rd->types);
    dw_u64map_free(&rd->static_addr);
    dw_vec_free(&rd->pending);
    dw_vec_free(&rd->fresh);
    free(rd->user_file);
    free(rd);
}

void dw_reader_close(struct dw_reader *rd)
{
    if (rd)
        reader_free(rd);
}

enum dw_err dw_reader_open(struct dw_index *ix, int fd, const char *src_name,
                           struct dw_reader **out, struct dw_row **rows, size_t *nrows,
                           char *errbuf, size_t errlen)
{
    struct dw_reader *rd = calloc(1, sizeof *rd);
    Dwarf_Die cu = NULL;
    struct walk w;
    enum dw_err err = DWX_OK;
    dw_vec_init(&w.funcs, sizeof(struct cand));
    dw_vec_init(&w.vars, sizeof(uint64_t));
    struct dw_vec funcs;
    dw_vec_init(&funcs, sizeof(struct dw_func));
    *rows = NULL;
    *nrows = 0;
    if (!rd)
        return DWX_ERR_NOMEM;
    rd->arena = &ix->arena;
    dw_names_init(&rd->names, &ix->arena);
    dw_vec_init(&rd->pending, sizeof(struct pending));
    dw_vec_init(&rd->fresh, sizeof(struct dw_type *));
    w.rd = rd;

    int res = ld_init(rd, fd);
    if (res != DW_DLV_OK) {
        dw_errf(errbuf, errlen, "no DWARF debug information%s%s", rd->err[0] ? ": " : "",
                rd->err);
        err = DWX_ERR_FORMAT;
        goto out;
    }
    err = find_cu(rd, src_name, &cu);
    if (err != DWX_OK) {
        dw_errf(errbuf, errlen, "no compile unit named %s%s%s", src_name,
                rd->err[0] ? ": " : "", rd->err);
        goto out;
    }
    dw_addr hi;
    if (!ld_pc_range(rd, cu, &rd->cu_base, &hi)) {
        Dwarf_Addr lo = 0;
        Dwarf_Error e = NULL;
        if (dwarf_lowpc(cu, &lo, &e) == DW_DLV_ERROR)
            ld_error(rd, e);
        rd->cu_base = lo;
    }
    err = read_lines(rd, cu, src_name, rows, nrows);
    if (err != DWX_OK) {
        dw_errf(errbuf, errlen, "unreadable line table%s%s", rd->err[0] ? ": " : "", rd->err);
        goto out;
    }
    walk_children(&w, cu, DWX_REC_NONE, UINT64_MAX, CTX_TOP, 0, 0);
    build_globals(rd, &w.vars, ix);
    const struct cand *cands = w.funcs.p;
    for (size_t i = 0; i < w.funcs.n && !rd->nomem; i++)
        build_func(rd, &cands[i], &funcs);
    name_abstract_records(rd);
    drain(rd);
    if (rd->nomem) {
        err = DWX_ERR_NOMEM;
        goto out;
    }
    void *p;
    if (dw_vec_to_arena(&funcs, rd->arena, &p) != 0) {
        err = DWX_ERR_NOMEM;
        goto out;
    }
    ix->funcs = p;
    ix->nfuncs = funcs.n;
out:
    if (cu)
        dwarf_dealloc_die(cu);
    dw_vec_free(&w.funcs);
    dw_vec_free(&w.vars);
    dw_vec_free(&funcs);
    if (err != DWX_OK) {
        free(*rows);
        *rows = NULL;
        *nrows = 0;
        reader_free(rd);
        return err;
    }
    *out = rd;
    return DWX_OK;
}

const struct dw_type *dw_reader_type_named(struct dw_reader *rd, const char *name)
{
    int is_typedef = 0;
    if (rd->nomem)
        return NULL;
    uint64_t off = dw_names_lookup(&rd->names, name, &is_typedef);
    if (!off)
        return NULL;
    const struct dw_type *t = type_at(rd, off);
    drain(rd);
    if (rd->nomem) {
        /* a partly filled batch must not be handed out later */
        return NULL;
    }
    t = dw_type_strip(t);
    if (!t || t->is_declaration ||
        (t->kind != DWX_T_STRUCT && t->kind != DWX_T_CLASS && t->kind != DWX_T_UNION))
        return NULL;
    return t;
}
