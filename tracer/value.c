/*
 * value.c - the value reader (see value.h): structs and classes, arrays,
 * and the walk down to their scalars (whose bytes val_scalar.c turns into
 * text); the shared helpers the other val_*.c files build on.
 *
 * One decoder per kind of type on a few shared helpers: read bytes through
 * the page cache, name a type once, make a node. Values are built in the
 * trace's arena; nothing here frees a value.
 *
 * Classes: each base subobject is a member named after the base; a virtual
 * base is shown once, as a member of the complete object (before the other
 * bases: it is constructed first), never inside the bases that share it;
 * the vtable pointer and static members are never members (statics are
 * globals named "Class::member"). Empty bases from the standard library
 * (std::pair's __pair_base, allocators) are left out; a user's empty base
 * stays, it says what the class is.
 *
 * The decoders with a seam of their own are apart (val_scalar.c,
 * val_heap.c, val_stl.c, val_literal.c, val_tname.c, val_vbits.c); what
 * stays here recurses into itself (a struct holds arrays of structs).
 */
#include "tracer/val_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_VBASES 32      /* distinct virtual bases of one object */
#define MAX_VLA_ELEMS (1u << 24)
#define MAX_VBASE_OFFSET (1 << 24)

struct tr_valctx *tr_val_new(struct tr_target *t, const struct dw_index *ix, struct tr_arena *a)
{
    struct tr_valctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pages = calloc(TR_VAL_NPAGES, sizeof *c->pages);
    if (!c->pages) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->ix = ix;
    c->a = a;
    c->vb = tr_val_vbits_new(t);
    c->reuse = tr_val_reuse_new(t);
    return c;
}

void tr_val_free(struct tr_valctx *c)
{
    if (!c)
        return;
    tr_val_vbits_free(c->vb);
    tr_val_reuse_free(c->reuse);
    free(c->pages);
    free(c->ptrs);
    free(c->hidden);
    free(c->lits);
    free(c);
}

void tr_val_begin(struct tr_valctx *c)
{
    for (size_t i = 0; i < TR_VAL_NPAGES; i++)
        c->pages[i].state = 0;
    if (!c->carry) {
        c->nptrs = 0;
        c->nhidden = 0;
        c->nlits = 0;
    }
    c->carry = 0;
    c->depth = 0;
    c->frame_cfa = 0;
    c->no_vbits = 0;
    c->fill = 0;
    tr_val_vbits_begin(c->vb);
}

void tr_val_carry(struct tr_valctx *c)
{
    c->carry = 1;
}

void tr_val_end(struct tr_valctx *c)
{
    tr_val_vbits_settle(c);
}

void tr_val_frame(struct tr_valctx *c, tr_addr cfa)
{
    c->frame_cfa = cfa;
}

void tr_val_no_vbits(struct tr_valctx *c, int on)
{
    c->no_vbits = on;
}

/* ---- memory ----------------------------------------------------------- */

static struct tr_val_page *page_for(struct tr_valctx *c, tr_addr base)
{
    struct tr_val_page *p = &c->pages[(base / TR_VAL_PAGE) % TR_VAL_NPAGES];
    if (p->state && p->base == base)
        return p;
    p->base = base;
    p->state = tr_target_read(c->t, base, p->data, TR_VAL_PAGE) == TR_OK ? 1 : 2;
    return p;
}

/* A read while a block's decoding is watched (val_reuse.c). */
static void track(struct tr_val_track *k, tr_addr addr, size_t len)
{
    if (addr < k->lo || len > k->hi - addr) {
        k->out = 1;
        return;
    }
    if (addr < k->min)
        k->min = addr;
    if (addr + len > k->max)
        k->max = addr + len;
}

enum tr_err tr_val_mem(struct tr_valctx *c, tr_addr addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    if (c->track.on)
        track(&c->track, addr, len);
    if (c->ovr && addr < c->ovr_len) {
        if (addr + len > c->ovr_len)
            return TR_ERR_MEM;
        memcpy(buf, c->ovr + addr, len);
        return TR_OK;
    }
    if (addr + len < addr)
        return TR_ERR_MEM;
    while (len) {
        tr_addr base = addr & ~(tr_addr)(TR_VAL_PAGE - 1);
        struct tr_val_page *p = page_for(c, base);
        if (p->state != 1)
            return TR_ERR_MEM;
        size_t off = (size_t)(addr - base);
        size_t n = TR_VAL_PAGE - off < len ? TR_VAL_PAGE - off : len;
        memcpy(out, p->data + off, n);
        out += n;
        addr += n;
        len -= n;
    }
    return TR_OK;
}

uint64_t tr_val_load(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

int tr_val_word(struct tr_valctx *c, tr_addr addr, uint64_t *out)
{
    uint8_t b[8];
    if (tr_val_mem(c, addr, b, 8) != TR_OK)
        return -1;
    *out = tr_val_load(b, 8);
    return 0;
}

/* ---- shared helpers --------------------------------------------------- */

const char *tr_val_addr_text(struct tr_arena *a, tr_addr addr)
{
    return tr_arena_printf(a, "0x%llX", (unsigned long long)addr);
}

static const char *make_name(struct tr_valctx *c, const struct dw_type *ty)
{
    char raw[512], out[512];
    dw_type_name(ty, raw, sizeof raw);
    return tr_arena_strdup(c->a, tr_val_short_name(raw, out, sizeof out));
}

const char *tr_val_type_name(struct tr_valctx *c, const struct dw_type *ty)
{
    size_t h = ((uintptr_t)ty >> 4) % TR_VAL_NNAMES;
    for (size_t i = 0; i < 8; i++) {
        struct tr_val_name *s = &c->names[(h + i) % TR_VAL_NNAMES];
        if (s->ty == ty && s->name)
            return s->name;
        if (!s->ty) {
            s->name = make_name(c, ty);
            if (s->name)
                s->ty = ty;
            return s->name;
        }
    }
    return make_name(c, ty);
}

struct tr_value *tr_val_node(struct tr_valctx *c, enum tr_vkind k, tr_addr addr, uint64_t size)
{
    struct tr_value *v = tr_arena_alloc(c->a, sizeof *v);
    if (v) {
        v->kind = k;
        v->addr = addr;
        v->size = size;
    }
    return v;
}

struct tr_value *tr_val_scalar(struct tr_valctx *c, tr_addr addr, uint64_t size,
                               const char *type, enum tr_stext st, const char *text)
{
    struct tr_value *v = tr_val_node(c, TR_V_SCALAR, addr, size);
    if (v) {
        v->type = type;
        v->stext = st;
        v->text = text;
    }
    return v;
}

struct tr_value *tr_val_unallocated(struct tr_valctx *c, tr_addr addr, uint64_t size,
                                    const char *type)
{
    return tr_val_scalar(c, addr, size, type, TR_ST_STRING, TR_UNALLOC_TEXT);
}

int tr_val_kids(struct tr_valctx *c, struct tr_value *v, size_t n)
{
    if (n == 0)
        return 0;
    v->kids = tr_arena_alloc(c->a, n * sizeof *v->kids);
    return v->kids ? 0 : -1;
}

void tr_val_push_ptr(struct tr_valctx *c, struct tr_val_ptr p)
{
    if (c->nptrs == c->capptrs) {
        if (c->capptrs >= TR_VAL_MAX_PTRS)
            return; /* the heap is typed from the pointers seen first */
        size_t cap = c->capptrs ? c->capptrs * 2 : 64;
        struct tr_val_ptr *n = realloc(c->ptrs, cap * sizeof *n);
        if (!n)
            return;
        c->ptrs = n;
        c->capptrs = cap;
    }
    c->ptrs[c->nptrs++] = p;
}

/* The typedef that names t's anonymous struct, union or enum
   (`typedef struct {...} Account`), so a heap block of it is labelled
   Account as the variable is; NULL when t has a name of its own. */
static const struct dw_type *naming_typedef(const struct dw_type *t)
{
    const struct dw_type *name = NULL;
    for (int i = 0; t && i < 16; i++, t = t->target) {
        if (t->kind == DWX_T_TYPEDEF)
            name = t;
        else if (t->kind != DWX_T_CONST && t->kind != DWX_T_VOLATILE)
            return t->name ? NULL : name;
    }
    return NULL;
}

void tr_val_remember(struct tr_valctx *c, tr_addr target, const struct dw_type *pointee)
{
    const struct dw_type *named = naming_typedef(pointee);
    pointee = dw_type_strip(pointee);
    if (!target || !pointee || pointee->size == 0 || pointee->kind == DWX_T_FUNC)
        return;
    tr_val_push_ptr(c, (struct tr_val_ptr){target, target, pointee, named, 0, 0});
}

void tr_val_remember_owned(struct tr_valctx *c, tr_addr first, const struct dw_type *elem,
                           uint64_t count)
{
    elem = dw_type_strip(elem);
    if (!first || !elem || elem->size == 0)
        return;
    tr_val_push_ptr(c, (struct tr_val_ptr){first, first, elem, NULL, count, 1});
}

void tr_val_hide(struct tr_valctx *c, tr_addr base)
{
    if (base)
        tr_val_push_addr(&c->hidden, &c->nhidden, &c->caphidden, TR_VAL_MAX_HIDDEN, base);
}

void tr_val_push_addr(tr_addr **arr, size_t *n, size_t *cap, size_t max, tr_addr a)
{
    if (*n == *cap) {
        if (*cap >= max)
            return; /* the first ones seen are kept */
        size_t ncap = *cap ? *cap * 2 : 64;
        tr_addr *p = realloc(*arr, ncap * sizeof *p);
        if (!p)
            return;
        *arr = p;
        *cap = ncap;
    }
    (*arr)[(*n)++] = a;
}

int tr_val_is_aggregate(const struct dw_type *t)
{
    return t && (t->kind == DWX_T_STRUCT || t->kind == DWX_T_CLASS || t->kind == DWX_T_UNION);
}

static int is_vptr(const struct dw_member *m)
{
    return m->is_artificial && m->name && strncmp(m->name, "_vptr", 5) == 0;
}

static int polymorphic(const struct dw_type *t, int depth)
{
    if (!tr_val_is_aggregate(t) || depth > 16)
        return 0;
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (is_vptr(m) || m->is_virtual_base)
            return 1;
        if (m->is_base && polymorphic(dw_type_strip(m->type), depth + 1))
            return 1;
    }
    return 0;
}

int tr_val_is_polymorphic(const struct dw_type *t)
{
    return polymorphic(dw_type_strip(t), 0);
}

static uint64_t align_of(const struct dw_type *t, int depth)
{
    t = dw_type_strip(t);
    if (!t || depth > 16)
        return 1;
    switch (t->kind) {
    case DWX_T_ARRAY:
        return align_of(t->target, depth + 1);
    case DWX_T_STRUCT:
    case DWX_T_CLASS:
    case DWX_T_UNION: {
        uint64_t a = 1;
        for (size_t i = 0; i < t->nmembers; i++) {
            const struct dw_member *m = &t->members[i];
            if (m->is_static)
                continue;
            uint64_t ma = m->is_virtual_base || is_vptr(m) ? 8 : align_of(m->type, depth + 1);
            if (ma > a)
                a = ma;
        }
        return a;
    }
    case DWX_T_VOID:
    case DWX_T_BASE:
    case DWX_T_ENUM:
    case DWX_T_POINTER:
    case DWX_T_REF:
    case DWX_T_RVREF:
    case DWX_T_PTRMEM:
    case DWX_T_CONST:
    case DWX_T_VOLATILE:
    case DWX_T_TYPEDEF:
    case DWX_T_FUNC:
    case DWX_T_NULLPTR:
    case DWX_T_OTHER:
        break;
    }
    uint64_t s = t->size ? t->size : 8;
    return s >= 16 ? 16 : s >= 8 ? 8 : s >= 4 ? 4 : s >= 2 ? 2 : 1;
}

uint64_t tr_val_align(const struct dw_type *t)
{
    return align_of(t, 0);
}

/* ---- classes, structs, unions ------------------------------------------ */

static struct tr_value *read_value(struct tr_valctx *c, const struct dw_type *declared,
                                   tr_addr addr);

/* Anything to show in t: a data member, in it or in a base? */
static int has_data(const struct dw_type *t, int depth)
{
    if (!tr_val_is_aggregate(t) || depth > 16)
        return 1;
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (m->is_static || m->is_artificial)
            continue;
        if (!m->is_base || has_data(dw_type_strip(m->type), depth + 1))
            return 1;
    }
    return 0;
}

enum show { SHOW_NOT, SHOW_ONE, SHOW_FLAT };

/* How a member appears in its object's value. */
static enum show shown(const struct dw_member *m, int depth)
{
    if (m->is_static || m->is_artificial || m->is_virtual_base)
        return SHOW_NOT;
    const struct dw_type *mt = dw_type_strip(m->type);
    if (m->is_base && tr_val_is_std(mt) && !has_data(mt, 0))
        return SHOW_NOT;
    if (!m->name && !m->is_base && tr_val_is_aggregate(mt) && depth < TR_VAL_MAX_DEPTH)
        return SHOW_FLAT; /* anonymous struct/union: its members are ours */
    return SHOW_ONE;
}

static size_t kid_count(const struct dw_type *t, int depth)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nmembers; i++) {
        switch (shown(&t->members[i], depth)) {
        case SHOW_NOT: break;
        case SHOW_ONE: n++; break;
        case SHOW_FLAT: n += kid_count(dw_type_strip(t->members[i].type), depth + 1); break;
        }
    }
    return n;
}

static struct tr_value *bitfield(struct tr_valctx *c, const struct dw_member *m, tr_addr obj)
{
    const struct dw_type *mt = dw_type_strip(m->type);
    const char *label = tr_val_type_name(c, m->type);
    tr_addr first = obj + m->bit_pos / 8;
    unsigned shift = (unsigned)(m->bit_pos % 8);
    size_t nbytes = (shift + m->bit_size + 7) / 8;
    uint8_t b[9] = {0};
    if (m->bit_size == 0 || m->bit_size > 64 || nbytes > 9 ||
        tr_val_mem(c, first, b, nbytes) != TR_OK)
        return tr_val_unallocated(c, first, nbytes, label);
    unsigned __int128 raw = 0;
    for (size_t i = 0; i < nbytes; i++)
        raw |= (unsigned __int128)b[i] << (8 * i);
    uint64_t u = (uint64_t)(raw >> shift);
    if (m->bit_size < 64)
        u &= (1ull << m->bit_size) - 1;
    struct tr_value *v = tr_val_bitfield_value(c, m, mt, label, first, nbytes, u);
    tr_val_vbits_note(c, v, first, nbytes, shift, (unsigned)m->bit_size);
    tr_val_fill_note(c, v, first, nbytes, shift, (unsigned)m->bit_size);
    return v;
}

/* Address of virtual base m of the object of type t at obj: the offset is
   stored in obj's vtable (Itanium ABI). 0 when the vtable is unreadable
   (not constructed yet). */
static tr_addr vbase_addr(struct tr_valctx *c, tr_addr obj, const struct dw_member *m)
{
    uint64_t vptr, off;
    if (tr_val_word(c, obj, &vptr) != 0 ||
        tr_val_word(c, vptr + (uint64_t)m->vbase_vtable_offset, &off) != 0)
        return 0;
    int64_t d = (int64_t)off;
    if (d < -MAX_VBASE_OFFSET || d > MAX_VBASE_OFFSET)
        return 0;
    return obj + (uint64_t)d;
}

struct vbases {
    const struct dw_type *t[MAX_VBASES];
    tr_addr addr[MAX_VBASES];
    size_t n;
};

/* Every virtual base of the object of type t at addr, each once, in the
   order the walk meets them (depth first, declaration order). */
static void collect_vbases(struct tr_valctx *c, const struct dw_type *t, tr_addr addr,
                           struct vbases *vb, int depth)
{
    if (!tr_val_is_aggregate(t) || depth > 16)
        return;
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (!m->is_base)
            continue;
        const struct dw_type *mt = dw_type_strip(m->type);
        if (!m->is_virtual_base) {
            collect_vbases(c, mt, addr + m->offset, vb, depth + 1);
            continue;
        }
        size_t k = 0;
        while (k < vb->n && vb->t[k] != mt)
            k++;
        if (k < vb->n || vb->n == MAX_VBASES)
            continue;
        tr_addr a = vbase_addr(c, addr, m);
        vb->t[vb->n] = mt;
        vb->addr[vb->n++] = a;
        if (a)
            collect_vbases(c, mt, a, vb, depth + 1);
    }
}

static struct tr_value *struct_value(struct tr_valctx *c, const struct dw_type *declared,
                                     const struct dw_type *t, tr_addr addr, int subobject);

/* Members of t at addr appended to v->kids (room reserved by kid_count). */
static int struct_members(struct tr_valctx *c, struct tr_value *v, const struct dw_type *t,
                          tr_addr addr, int depth)
{
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        enum show how = shown(m, depth);
        if (how == SHOW_NOT)
            continue;
        const struct dw_type *mt = dw_type_strip(m->type);
        tr_addr maddr = addr + m->offset;
        if (how == SHOW_FLAT) {
            if (struct_members(c, v, mt, maddr, depth + 1) != 0)
                return -1;
            continue;
        }
        struct tr_value *k;
        if (m->bit_size)
            k = bitfield(c, m, addr);
        else if (m->is_base && tr_val_is_aggregate(mt) && c->depth < TR_VAL_MAX_DEPTH) {
            c->depth++;
            k = struct_value(c, m->type, mt, maddr, 1);
            c->depth--;
        } else
            k = read_value(c, m->type, maddr);
        if (!k)
            return -1;
        k->name = m->is_base ? tr_val_type_name(c, m->type) : (m->name ? m->name : "?");
        v->kids[v->nkids++] = k;
    }
    return 0;
}

/* subobject: a base-class part of a bigger object, whose virtual bases
   belong to the complete object and are shown there. */
static struct tr_value *struct_value(struct tr_valctx *c, const struct dw_type *declared,
                                     const struct dw_type *t, tr_addr addr, int subobject)
{
    struct tr_value *v = tr_val_stl(c, declared, t, addr);
    if (v) {
        /* a library object not constructed yet (its declaration's step):
           all of it still the fill, not the garbage its fields decode to */
        tr_val_fill_note(c, v, addr, (size_t)t->size, 0, 0);
        return v;
    }
    v = tr_val_node(c, TR_V_STRUCT, addr, t->size);
    if (!v)
        return NULL;
    v->type = tr_val_type_name(c, subobject ? t : declared);
    struct vbases vb = {.n = 0};
    if (!subobject && tr_val_is_polymorphic(t))
        collect_vbases(c, t, addr, &vb, 0);
    if (tr_val_kids(c, v, vb.n + kid_count(t, 0)) != 0)
        return NULL;
    for (size_t i = 0; i < vb.n; i++) {
        struct tr_value *k;
        if (!vb.addr[i]) {
            k = tr_val_unallocated(c, 0, vb.t[i]->size, tr_val_type_name(c, vb.t[i]));
        } else {
            c->depth++;
            k = struct_value(c, vb.t[i], vb.t[i], vb.addr[i], 1);
            c->depth--;
        }
        if (!k)
            return NULL;
        k->name = tr_val_type_name(c, vb.t[i]);
        v->kids[v->nkids++] = k;
    }
    if (struct_members(c, v, t, addr, 0) != 0)
        return NULL;
    return v;
}

/* ---- arrays ------------------------------------------------------------- */

/* Elements in dimension d; -1 when unknown. A VLA's bound lives in the
   frame being read (gcc keeps it in an artificial local). */
static int64_t dim_count(struct tr_valctx *c, const struct dw_array_dim *d)
{
    if (d->count >= 0)
        return d->count;
    const struct dw_loc *l = &d->vla_count;
    tr_addr at;
    switch (l->kind) {
    case DWX_LOC_ADDR:
        at = l->addr;
        break;
    case DWX_LOC_FBREG:
        if (!c->frame_cfa)
            return -1;
        at = c->frame_cfa + (uint64_t)l->offset;
        break;
    case DWX_LOC_BREG:
        if (!c->frame_cfa || l->reg != 6) /* rbp: CFA - 16 at -O0 */
            return -1;
        at = c->frame_cfa - 16 + (uint64_t)l->offset;
        break;
    case DWX_LOC_REG:
    case DWX_LOC_NONE:
    default:
        return -1;
    }
    uint64_t w;
    if (tr_val_word(c, at, &w) != 0 || (l->deref && tr_val_word(c, w, &w) != 0))
        return -1;
    int64_t n = (int64_t)w + (d->vla_holds_count ? 0 : 1);
    return n >= 0 && n <= (int64_t)MAX_VLA_ELEMS ? n : -1;
}

static struct tr_value *array_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    const struct dw_type *elem = t->target;
    const struct dw_type *se = dw_type_strip(elem);
    uint64_t esize = se ? se->size : 0;
    uint64_t total = 1;
    int known = t->ndims > 0;
    uint32_t dims[16];
    for (size_t i = 0; i < t->ndims && i < 16; i++) {
        int64_t n = dim_count(c, &t->dims[i]);
        if (n < 0 || total * (uint64_t)(n ? n : 1) > MAX_VLA_ELEMS) {
            known = 0;
            break;
        }
        dims[i] = (uint32_t)n;
        total *= (uint64_t)n;
    }
    struct tr_value *v = tr_val_node(c, t->ndims > 1 ? TR_V_MDARRAY : TR_V_ARRAY, addr,
                                     t->size ? t->size : (known ? total * esize : 0));
    if (!v)
        return NULL;
    if (!known || esize == 0 || t->ndims > 16) {
        if (v->kind == TR_V_MDARRAY) /* its tuple needs dims: say "unknown" as 0s */
            v->kind = TR_V_ARRAY;
        return v; /* flexible array member / VLA bound unknown: no elements */
    }
    if (t->ndims > 1) {
        uint32_t *d = tr_arena_alloc(c->a, t->ndims * sizeof *d);
        if (!d)
            return NULL;
        memcpy(d, dims, t->ndims * sizeof *d);
        v->dims = d;
        v->ndims = (uint32_t)t->ndims;
    }
    size_t n = total > TR_VAL_MAX_ELEMS ? TR_VAL_MAX_ELEMS : (size_t)total;
    if (tr_val_kids(c, v, n) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct tr_value *k = read_value(c, elem, addr + i * esize);
        if (!k)
            return NULL;
        v->kids[v->nkids++] = k;
    }
    return v;
}

/* ---- dispatch ------------------------------------------------------------ */

static struct tr_value *read_value(struct tr_valctx *c, const struct dw_type *declared,
                                   tr_addr addr)
{
    const struct dw_type *t = dw_type_strip(declared);
    if (c->depth >= TR_VAL_MAX_DEPTH)
        return tr_val_unallocated(c, addr, t ? t->size : 0, "...");
    if (t && (tr_val_is_aggregate(t) || t->kind == DWX_T_ARRAY)) {
        c->depth++;
        struct tr_value *v = t->kind == DWX_T_ARRAY ? array_value(c, t, addr)
                                                    : struct_value(c, declared, t, addr, 0);
        c->depth--;
        return v;
    }
    uint8_t b[16] = {0};
    size_t n = tr_val_simple_size(t);
    if (tr_val_mem(c, addr, b, n) != TR_OK)
        return tr_val_unallocated(c, addr, n, tr_val_type_name(c, declared));
    struct tr_value *v = tr_val_simple(c, declared, addr, b);
    /* an x87 long double has 10 significant bytes, the rest is padding */
    int x87 = t && t->kind == DWX_T_BASE && t->encoding == DWX_ENC_FLOAT && n > 8;
    tr_val_vbits_note(c, v, addr, x87 ? 10 : n, 0, 0);
    tr_val_fill_note(c, v, addr, x87 ? 10 : n, 0, 0);
    return v;
}

struct tr_value *tr_val_read_any(struct tr_valctx *c, const struct dw_type *declared,
                                 tr_addr addr)
{
    return read_value(c, declared, addr);
}

struct tr_value *tr_val_read(struct tr_valctx *c, const struct dw_type *ty, tr_addr addr)
{
    return read_value(c, ty, addr);
}

/* Does the x86-64 ABI return t through a hidden pointer whatever its size?
   A class with a non-trivial destructor, its own or a member's or a base's
   (std::unique_ptr, std::string...), or with virtual bases or functions. */
static int returned_in_memory(const struct dw_type *t, int depth)
{
    t = dw_type_strip(t);
    if (t && t->kind == DWX_T_ARRAY)
        return returned_in_memory(t->target, depth + 1);
    if (!tr_val_is_aggregate(t) || depth > 16)
        return 0;
    if (t->has_destructor || tr_val_is_polymorphic(t))
        return 1;
    for (size_t i = 0; i < t->nmembers; i++)
        if (!t->members[i].is_static && returned_in_memory(t->members[i].type, depth + 1))
            return 1;
    return 0;
}

/* bytes: the return registers as the stepper read them (rax:rdx or
   xmm0:xmm1 by eightbyte class). A class returned in memory is not in
   them: rax holds the address of the caller's object, read from there. */
struct tr_value *tr_val_from_bytes(struct tr_valctx *c, const struct dw_type *ty,
                                   const uint8_t *bytes, size_t len)
{
    if (!bytes || len == 0)
        return tr_val_unallocated(c, 0, 0, tr_val_type_name(c, ty));
    struct tr_regs regs;
    if (returned_in_memory(ty, 0) && tr_target_regs(c->t, &regs) == TR_OK)
        return read_value(c, ty, regs.rax);
    return tr_val_constant(c, ty, bytes, len);
}

/* Scalars from the first bytes; an aggregate through the memory readers,
   which see the bytes at address 0 (so its members' addresses are
   offsets). */
struct tr_value *tr_val_constant(struct tr_valctx *c, const struct dw_type *ty,
                                 const uint8_t *bytes, size_t len)
{
    if (!bytes || len == 0)
        return tr_val_unallocated(c, 0, 0, tr_val_type_name(c, ty));
    uint8_t b[16] = {0};
    memcpy(b, bytes, len < sizeof b ? len : sizeof b);
    struct tr_value *v = tr_val_simple(c, ty, 0, b);
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
