/*
 * val_stl.c - libstdc++ types as a user thinks of them: a string is its
 * text, a vector points to its elements, a map is its pairs in order.
 *
 * Every layout is found through DWARF member names (_M_impl, _M_start,
 * _M_dataplus, _M_header, _M_node_count...) and template parameters, never
 * fixed offsets, so gcc 11's and gcc 12's libstdc++ both read right. Where a
 * node's value lives is asked of DWARF too (the node type's _M_storage), with
 * the ABI's rule (node header rounded up to the value's alignment) when the
 * node type is not in the program's debug info.
 *
 * A decoder that does not find the members it expects returns NULL and the
 * caller shows the type's members instead, so an unknown or changed library
 * type is never worse than "its members". Walks over nodes read memory the
 * program may have corrupted: each is bounded by the container's own count
 * and by TR_VAL_MAX_ELEMS / NODE_WALK_CAP, and stops at an unreadable node.
 */
#include "tracer/val_int.h"

#include <stdio.h>
#include <string.h>

#include "tracer/text.h"

#define FIND_DEPTH 10        /* bases and members searched for a name */
#define NODE_WALK_CAP 16384u /* nodes visited (to hide them) per container */
#define TREE_HEIGHT_CAP 128  /* steps up or down in one tree increment */

static int starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

int tr_val_is_std(const struct dw_type *t)
{
    return t && (starts(t->name, "std::") || starts(t->name, "__gnu_cxx::"));
}

static int is_aggregate(const struct dw_type *t)
{
    return t && (t->kind == DWX_T_STRUCT || t->kind == DWX_T_CLASS || t->kind == DWX_T_UNION);
}

enum find_flags {
    FIND_PTR = 1, /* only a member whose type is a pointer */
    FIND_DEEP = 2 /* also inside named members (std::tuple's pointer sits
                     in _M_t._M_t's bases, each named) */
};

/* Depth-first search for a member by name: t's own members first, then
   its bases and anonymous members (and with FIND_DEEP its named ones). */
static const struct dw_member *find(const struct dw_type *t, const char *name, int flags,
                                    uint64_t *off, int depth)
{
    if (!is_aggregate(t) || depth > FIND_DEPTH)
        return NULL;
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (m->is_static || !m->name || m->is_base)
            continue;
        const struct dw_type *mt = dw_type_strip(m->type);
        if (strcmp(m->name, name) == 0 &&
            (!(flags & FIND_PTR) || (mt && mt->kind == DWX_T_POINTER))) {
            *off = m->offset;
            return m;
        }
    }
    for (size_t i = 0; i < t->nmembers; i++) {
        const struct dw_member *m = &t->members[i];
        if (m->is_static || m->is_virtual_base || m->bit_size ||
            (m->name && !m->is_base && !(flags & FIND_DEEP)))
            continue;
        uint64_t sub;
        const struct dw_member *r = find(dw_type_strip(m->type), name, flags, &sub, depth + 1);
        if (r) {
            *off = m->offset + sub;
            return r;
        }
    }
    return NULL;
}

const struct dw_member *tr_val_find_member(const struct dw_type *t, const char *name, uint64_t *off)
{
    return find(t, name, 0, off, 0);
}

/* Member `name` of t (searched as above), its offset and stripped type. */
static int member(const struct dw_type *t, const char *name, uint64_t *off,
                  const struct dw_type **mt)
{
    const struct dw_member *m = find(t, name, 0, off, 0);
    if (!m)
        return -1;
    if (mt)
        *mt = dw_type_strip(m->type);
    return 0;
}

/* The pointee of a pointer-typed member type, stripped; NULL otherwise. */
static const struct dw_type *pointee(const struct dw_type *ptr)
{
    return ptr && ptr->kind == DWX_T_POINTER ? dw_type_strip(ptr->target) : NULL;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
    return a ? (v + a - 1) / a * a : v;
}

/* Where a node's value starts: the node type's _M_storage when the
   program's DWARF has "tmpl<value>", else the base node rounded up to the
   value's alignment (how the ABI lays the node out). */
static uint64_t value_offset(struct tr_valctx *c, const char *tmpl, const char *suffix,
                             const struct dw_type *value, uint64_t base_size)
{
    if (value->name) {
        char name[600];
        size_t n = strlen(value->name);
        int close_up = n && value->name[n - 1] == '>';
        int k = snprintf(name, sizeof name, "%s<%s%s%s>", tmpl, value->name, suffix,
                         close_up && !*suffix ? " " : "");
        const struct dw_type *nt =
            k > 0 && (size_t)k < sizeof name ? dw_index_type_named(c->ix, name) : NULL;
        uint64_t off;
        if (nt && member(nt, "_M_storage", &off, NULL) == 0)
            return off;
    }
    return round_up(base_size, tr_val_align(value));
}

/* A C_ARRAY at the container's address to be filled with elements. */
static struct tr_value *elements(struct tr_valctx *c, const struct dw_type *t, tr_addr addr,
                                 uint64_t n)
{
    struct tr_value *v = tr_val_node(c, TR_V_ARRAY, addr, t->size);
    if (!v || tr_val_kids(c, v, n > TR_VAL_MAX_ELEMS ? TR_VAL_MAX_ELEMS : (size_t)n) != 0)
        return NULL;
    return v;
}

/* Append the element of type ty at a (when there is room); -1 when out
   of memory. */
static int add_elem(struct tr_valctx *c, struct tr_value *v, uint64_t cap, const struct dw_type *ty,
                    tr_addr a)
{
    if (v->nkids >= cap || v->nkids >= TR_VAL_MAX_ELEMS)
        return 0;
    struct tr_value *k = tr_val_read_any(c, ty, a);
    if (!k)
        return -1;
    v->kids[v->nkids++] = k;
    return 0;
}

/* A pointer tuple standing for a library object (a vector, a smart
   pointer, an iterator). */
static struct tr_value *pointer_to(struct tr_valctx *c, const struct dw_type *declared,
                                   tr_addr addr, uint64_t size, tr_addr target)
{
    struct tr_value *v = tr_val_node(c, TR_V_POINTER, addr, size);
    if (!v)
        return NULL;
    v->type = tr_val_type_name(c, declared);
    v->target = target;
    v->text = tr_val_addr_text(c->a, target);
    return v;
}

/* ---- strings ------------------------------------------------------------ */

static void put_utf8(char *out, size_t *n, uint32_t ch)
{
    if (ch > 0x10ffff || (ch >= 0xd800 && ch < 0xe000))
        ch = 0xfffd;
    if (ch < 0x80) {
        out[(*n)++] = (char)ch;
    } else if (ch < 0x800) {
        out[(*n)++] = (char)(0xc0 | (ch >> 6));
        out[(*n)++] = (char)(0x80 | (ch & 0x3f));
    } else if (ch < 0x10000) {
        out[(*n)++] = (char)(0xe0 | (ch >> 12));
        out[(*n)++] = (char)(0x80 | ((ch >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (ch & 0x3f));
    } else {
        out[(*n)++] = (char)(0xf0 | (ch >> 18));
        out[(*n)++] = (char)(0x80 | ((ch >> 12) & 0x3f));
        out[(*n)++] = (char)(0x80 | ((ch >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (ch & 0x3f));
    }
}

/* basic_string<C>: _M_dataplus._M_p points at the characters (the object's
   own buffer when short, a heap block when long), _M_string_length counts
   them. Wide strings are converted to UTF-8 (UTF-16 surrogates joined). */
static struct tr_value *string_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t dp_off, p_off, len_off;
    const struct dw_type *dpt, *pt;
    if (member(t, "_M_dataplus", &dp_off, &dpt) != 0 || member(dpt, "_M_p", &p_off, &pt) != 0 ||
        member(t, "_M_string_length", &len_off, NULL) != 0)
        return NULL;
    const struct dw_type *ct = pointee(pt);
    uint64_t csize = ct ? ct->size : 0;
    uint64_t p, n, local_off, cap;
    if ((csize != 1 && csize != 2 && csize != 4) ||
        tr_val_word(c, addr + dp_off + p_off, &p) != 0 || tr_val_word(c, addr + len_off, &n) != 0)
        return NULL;
    /* A long string's buffer is shown as its text, not as a block; the
       capacity (sharing the short buffer's bytes) must hold the length, or
       this is a string not constructed yet, holding stack garbage. */
    if (member(t, "_M_local_buf", &local_off, NULL) != 0 || p != addr + local_off) {
        if (member(t, "_M_allocated_capacity", &local_off, NULL) != 0 ||
            (tr_val_word(c, addr + local_off, &cap) == 0 && n <= cap))
            tr_val_hide(c, p);
    }
    if (n > TR_VAL_MAX_STRING)
        n = TR_VAL_MAX_STRING;
    static const size_t raw_cap = TR_VAL_MAX_STRING * 4;
    uint8_t raw[TR_VAL_MAX_STRING * 4];
    char utf8[TR_VAL_MAX_STRING * 4 + 4];
    const char *label = tr_val_type_name(c, t);
    if (n * csize > raw_cap || tr_val_mem(c, p, raw, n * csize) != TR_OK)
        return tr_val_unallocated(c, addr, t->size, label);
    const char *bytes = (const char *)raw;
    size_t len = n;
    if (csize > 1) {
        len = 0;
        for (uint64_t i = 0; i < n && len + 4 <= sizeof utf8 - 4; i++) {
            uint32_t ch = (uint32_t)tr_val_load(raw + i * csize, csize);
            if (csize == 2 && ch >= 0xd800 && ch < 0xdc00 && i + 1 < n) {
                uint32_t lo = (uint32_t)tr_val_load(raw + (i + 1) * 2, 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    ch = 0x10000 + ((ch - 0xd800) << 10) + (lo - 0xdc00);
                    i++;
                }
            }
            put_utf8(utf8, &len, ch);
        }
        bytes = utf8;
    }
    char *s = tr_arena_alloc(c->a, tr_text_clean_len(bytes, len) + 1);
    if (!s)
        return NULL;
    tr_text_clean_into(bytes, len, s);
    return tr_val_scalar(c, addr, t->size, label, TR_ST_STRING, s);
}

/* ---- sequences ---------------------------------------------------------- */

/* vector<bool>: bits packed in words from _M_start._M_p/_M_offset to
   _M_finish's; shown as a C_ARRAY of bools, each at its word's address. */
static struct tr_value *bitvector_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr,
                                        uint64_t s_off, uint64_t f_off, const struct dw_type *it)
{
    uint64_t p_off, o_off;
    const struct dw_type *pt;
    if (member(it, "_M_p", &p_off, &pt) != 0 || member(it, "_M_offset", &o_off, NULL) != 0)
        return NULL;
    const struct dw_type *wt = pointee(pt);
    uint64_t wbits = wt ? wt->size * 8 : 0;
    uint64_t ps, pf;
    uint8_t ob[4];
    if (!wbits || tr_val_word(c, addr + s_off + p_off, &ps) != 0 ||
        tr_val_word(c, addr + f_off + p_off, &pf) != 0 || pf < ps ||
        tr_val_mem(c, addr + f_off + o_off, ob, 4) != TR_OK)
        return NULL;
    uint64_t n = (pf - ps) / wt->size * wbits + tr_val_load(ob, 4);
    tr_val_hide(c, ps);
    struct tr_value *v = elements(c, t, addr, n);
    if (!v)
        return NULL;
    for (uint64_t i = 0; i < n && v->nkids < TR_VAL_MAX_ELEMS; i++) {
        tr_addr w = ps + i / wbits * wt->size;
        uint64_t word;
        struct tr_value *k;
        if (tr_val_word(c, w, &word) != 0)
            k = tr_val_unallocated(c, w, 1, "bool");
        else
            k = tr_val_scalar(c, w, 1, "bool", TR_ST_BOOL,
                              (word >> (i % wbits)) & 1 ? "true" : "false");
        if (!k)
            return NULL;
        v->kids[v->nkids++] = k;
    }
    return v;
}

/* vector<T>: a pointer to its buffer, which the heap shows with size()
   elements; no buffer yet: an empty array. */
static struct tr_value *vector_value(struct tr_valctx *c, const struct dw_type *declared,
                                     const struct dw_type *t, tr_addr addr)
{
    uint64_t impl, s_off, f_off, e_off;
    const struct dw_type *it, *st;
    if (member(t, "_M_impl", &impl, &it) != 0 || member(it, "_M_start", &s_off, &st) != 0 ||
        member(it, "_M_finish", &f_off, NULL) != 0 ||
        member(it, "_M_end_of_storage", &e_off, NULL) != 0)
        return NULL;
    if (is_aggregate(st))
        return bitvector_value(c, t, addr, impl + s_off, impl + f_off, st);
    const struct dw_type *elem = pointee(st);
    uint64_t start, finish, end;
    if (!elem || !elem->size || tr_val_word(c, addr + impl + s_off, &start) != 0 ||
        tr_val_word(c, addr + impl + f_off, &finish) != 0 ||
        tr_val_word(c, addr + impl + e_off, &end) != 0)
        return NULL;
    if (!start)
        return elements(c, t, addr, 0);
    /* Only a vector in a consistent state types its buffer: one not yet
       constructed (its declaration line) holds stack garbage, perhaps a
       stale pointer to a block that now belongs to someone else. */
    if (start <= finish && finish <= end && (finish - start) % elem->size == 0 &&
        (end - start) % elem->size == 0)
        tr_val_remember_owned(c, start, elem, (finish - start) / elem->size);
    return pointer_to(c, declared, addr, t->size, start);
}

static struct tr_value *array_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t off;
    const struct dw_type *et;
    if (member(t, "_M_elems", &off, &et) != 0)
        return NULL;
    if (!et || et->kind != DWX_T_ARRAY)
        return elements(c, t, addr, 0); /* std::array<T, 0> */
    const struct dw_member *m = tr_val_find_member(t, "_M_elems", &off);
    struct tr_value *v = tr_val_read_any(c, m->type, addr + off);
    if (v)
        v->size = t->size;
    return v;
}

/* The size of a node's link part: the base class of a list's header. */
static uint64_t link_size(const struct dw_type *hdr)
{
    for (size_t i = 0; hdr && i < hdr->nmembers; i++)
        if (hdr->members[i].is_base) {
            const struct dw_type *b = dw_type_strip(hdr->members[i].type);
            return b ? b->size : 0;
        }
    return hdr ? hdr->size : 0;
}

/* The elements of a chain of nodes: from node, following the word at
   next_off, until null, `end` or n nodes; each node is hidden and its value
   of type vt read at voff. */
static struct tr_value *chain(struct tr_valctx *c, const struct dw_type *t, tr_addr addr,
                              uint64_t n, uint64_t node, uint64_t next_off, tr_addr end,
                              const struct dw_type *vt, uint64_t voff)
{
    if (n > NODE_WALK_CAP)
        n = NODE_WALK_CAP;
    struct tr_value *v = elements(c, t, addr, n);
    if (!v)
        return NULL;
    for (uint64_t i = 0; i < n && node && node != end; i++) {
        tr_val_hide(c, node);
        if (add_elem(c, v, n, vt, node + voff) != 0)
            return NULL;
        if (tr_val_word(c, node + next_off, &node) != 0)
            break;
    }
    return v;
}

/* list<T>: a ring of nodes through the header's _M_next; the value sits
   after each node's links. */
static struct tr_value *list_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t impl, node_off, next_off, size_off;
    const struct dw_type *it, *ht;
    if (t->ntparams < 1 || member(t, "_M_impl", &impl, &it) != 0 ||
        member(it, "_M_node", &node_off, &ht) != 0 || member(ht, "_M_next", &next_off, NULL) != 0)
        return NULL;
    const struct dw_type *vt = dw_type_strip(t->tparams[0]);
    if (!vt || !vt->size)
        return NULL;
    tr_addr head = addr + impl + node_off;
    uint64_t n = NODE_WALK_CAP;
    if (member(ht, "_M_size", &size_off, NULL) == 0 && tr_val_word(c, head + size_off, &n) != 0)
        return NULL;
    uint64_t voff = value_offset(c, "std::_List_node", "", vt, link_size(ht));
    uint64_t node;
    if (tr_val_word(c, head + next_off, &node) != 0)
        return NULL;
    return chain(c, t, addr, n, node, next_off, head, t->tparams[0], voff);
}

/* forward_list<T>: a chain from _M_head._M_next to null. */
static struct tr_value *flist_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t impl, head_off, next_off;
    const struct dw_type *it, *ht;
    if (t->ntparams < 1 || member(t, "_M_impl", &impl, &it) != 0 ||
        member(it, "_M_head", &head_off, &ht) != 0 || member(ht, "_M_next", &next_off, NULL) != 0)
        return NULL;
    const struct dw_type *vt = dw_type_strip(t->tparams[0]);
    if (!vt || !vt->size)
        return NULL;
    uint64_t voff = value_offset(c, "std::_Fwd_list_node", "", vt, ht->size);
    uint64_t node, n = 0;
    /* count first: the array is sized once */
    if (tr_val_word(c, addr + impl + head_off + next_off, &node) != 0)
        return NULL;
    for (uint64_t p = node; p && n < NODE_WALK_CAP; n++)
        if (tr_val_word(c, p + next_off, &p) != 0)
            break;
    return chain(c, t, addr, n, node, next_off, 0, t->tparams[0], voff);
}

/* deque<T>: fixed-size node buffers listed in _M_map; elements run from
   _M_start._M_cur to _M_finish._M_cur, hopping to the next node at each
   buffer's end (the buffer's size is the start iterator's _M_last -
   _M_first, so no libstdc++ constant is assumed). */
static struct tr_value *deque_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t impl, map_off, s_off, f_off, cur_off, first_off, last_off, node_off;
    const struct dw_type *it, *iter, *curt;
    if (member(t, "_M_impl", &impl, &it) != 0 || member(it, "_M_map", &map_off, NULL) != 0 ||
        member(it, "_M_start", &s_off, &iter) != 0 || member(it, "_M_finish", &f_off, NULL) != 0 ||
        member(iter, "_M_cur", &cur_off, &curt) != 0 ||
        member(iter, "_M_first", &first_off, NULL) != 0 ||
        member(iter, "_M_last", &last_off, NULL) != 0 ||
        member(iter, "_M_node", &node_off, NULL) != 0)
        return NULL;
    const struct dw_type *elem = pointee(curt);
    tr_addr s = addr + impl + s_off, f = addr + impl + f_off;
    uint64_t map, cur, first, last, node, fcur, fnode;
    if (!elem || !elem->size || tr_val_word(c, addr + impl + map_off, &map) != 0 ||
        tr_val_word(c, s + cur_off, &cur) != 0 || tr_val_word(c, s + first_off, &first) != 0 ||
        tr_val_word(c, s + last_off, &last) != 0 || tr_val_word(c, s + node_off, &node) != 0 ||
        tr_val_word(c, f + cur_off, &fcur) != 0 || tr_val_word(c, f + node_off, &fnode) != 0)
        return NULL;
    if (!map)
        return elements(c, t, addr, 0);
    uint64_t bufbytes = last - first;
    if (last < first || bufbytes == 0 || bufbytes % elem->size || fnode < node ||
        (fnode - node) / 8 > NODE_WALK_CAP)
        return NULL;
    uint64_t n = (fnode - node) / 8 * (bufbytes / elem->size);
    uint64_t fhead, fbase;
    if (tr_val_word(c, f + first_off, &fhead) != 0)
        return NULL;
    fbase = fhead;
    n = n + (fcur - fbase) / elem->size - (cur - first) / elem->size;
    tr_val_hide(c, map);
    for (uint64_t p = node; p <= fnode; p += 8) {
        uint64_t buf;
        if (tr_val_word(c, p, &buf) == 0)
            tr_val_hide(c, buf);
    }
    struct tr_value *v = elements(c, t, addr, n);
    if (!v)
        return NULL;
    for (uint64_t i = 0; i < n && cur != fcur && v->nkids < TR_VAL_MAX_ELEMS; i++) {
        if (add_elem(c, v, n, elem, cur) != 0)
            return NULL;
        cur += elem->size;
        if (cur == last) {
            node += 8;
            if (tr_val_word(c, node, &first) != 0)
                break;
            cur = first;
            last = first + bufbytes;
        }
    }
    return v;
}

/* ---- trees and hash tables ------------------------------------------------ */

struct rb {
    uint64_t left, right, parent;
};

/* In-order successor (libstdc++'s _Rb_tree_increment); 0 when memory is
   unreadable or the tree is deeper than any real one. */
static tr_addr rb_next(struct tr_valctx *c, const struct rb *o, tr_addr x)
{
    uint64_t y;
    if (tr_val_word(c, x + o->right, &y) != 0)
        return 0;
    if (y) {
        x = y;
        for (int i = 0; i < TREE_HEIGHT_CAP; i++) {
            if (tr_val_word(c, x + o->left, &y) != 0)
                return 0;
            if (!y)
                return x;
            x = y;
        }
        return 0;
    }
    if (tr_val_word(c, x + o->parent, &y) != 0)
        return 0;
    for (int i = 0; i < TREE_HEIGHT_CAP; i++) {
        uint64_t yr;
        if (tr_val_word(c, y + o->right, &yr) != 0)
            return 0;
        if (x != yr)
            break;
        x = y;
        if (tr_val_word(c, y + o->parent, &y) != 0)
            return 0;
    }
    uint64_t xr;
    if (tr_val_word(c, x + o->right, &xr) != 0)
        return 0;
    return xr != y ? y : x;
}

/* map, multimap, set, multiset: _M_t is an _Rb_tree<Key, Value, ...>;
   its header's _M_left is the leftmost node, the header itself is end(). */
static struct tr_value *tree_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t t_off, impl, hdr_off, cnt_off;
    const struct dw_type *tt, *it, *ht;
    struct rb o;
    if (member(t, "_M_t", &t_off, &tt) != 0 || !tt || tt->ntparams < 2 ||
        member(tt, "_M_impl", &impl, &it) != 0 || member(it, "_M_header", &hdr_off, &ht) != 0 ||
        member(it, "_M_node_count", &cnt_off, NULL) != 0 ||
        member(ht, "_M_left", &o.left, NULL) != 0 || member(ht, "_M_right", &o.right, NULL) != 0 ||
        member(ht, "_M_parent", &o.parent, NULL) != 0)
        return NULL;
    const struct dw_type *vt = dw_type_strip(tt->tparams[1]);
    if (!vt || !vt->size)
        return NULL;
    uint64_t voff = value_offset(c, "std::_Rb_tree_node", "", vt, ht->size);
    tr_addr head = addr + t_off + impl + hdr_off;
    uint64_t n, node;
    if (tr_val_word(c, addr + t_off + impl + cnt_off, &n) != 0 ||
        tr_val_word(c, head + o.left, &node) != 0)
        return NULL;
    if (n > NODE_WALK_CAP)
        n = NODE_WALK_CAP;
    struct tr_value *v = elements(c, t, addr, n);
    if (!v)
        return NULL;
    for (uint64_t i = 0; i < n && node && node != head; i++) {
        tr_val_hide(c, node);
        if (add_elem(c, v, n, tt->tparams[1], node + voff) != 0)
            return NULL;
        node = rb_next(c, &o, node);
    }
    return v;
}

/* unordered_*: _M_h is a _Hashtable<Key, Value, ...> whose nodes form one
   chain from _M_before_begin._M_nxt, in iteration order; the bucket array
   is a block of its own unless it is the built-in single bucket. */
static struct tr_value *hash_value(struct tr_valctx *c, const struct dw_type *t, tr_addr addr)
{
    uint64_t h_off, bb_off, nxt_off, cnt_off, bk_off, single_off;
    const struct dw_type *ht, *bt;
    if (member(t, "_M_h", &h_off, &ht) != 0 || !ht || ht->ntparams < 2 ||
        member(ht, "_M_before_begin", &bb_off, &bt) != 0 ||
        member(bt, "_M_nxt", &nxt_off, NULL) != 0 ||
        member(ht, "_M_element_count", &cnt_off, NULL) != 0)
        return NULL;
    const struct dw_type *vt = dw_type_strip(ht->tparams[1]);
    if (!vt || !vt->size)
        return NULL;
    tr_addr h = addr + h_off;
    uint64_t n, node, buckets;
    if (tr_val_word(c, h + cnt_off, &n) != 0 || tr_val_word(c, h + bb_off + nxt_off, &node) != 0)
        return NULL;
    if (member(ht, "_M_buckets", &bk_off, NULL) == 0 && tr_val_word(c, h + bk_off, &buckets) == 0 &&
        !(member(ht, "_M_single_bucket", &single_off, NULL) == 0 && buckets == h + single_off))
        tr_val_hide(c, buckets);
    /* _Hash_node<Value, cache_hash>: try both spellings of the flag */
    uint64_t voff = value_offset(c, "std::__detail::_Hash_node", ", false", vt, bt->size);
    if (voff == round_up(bt->size, tr_val_align(vt)))
        voff = value_offset(c, "std::__detail::_Hash_node", ", true", vt, bt->size);
    return chain(c, t, addr, n, node, nxt_off, 0, ht->tparams[1], voff);
}

/* ---- adaptors, smart pointers, iterators ---------------------------------- */

/* stack, queue, priority_queue: the container `c` they wrap, under the
   adaptor's name where the shape has one. */
static struct tr_value *adaptor_value(struct tr_valctx *c, const struct dw_type *declared,
                                      const struct dw_type *t, tr_addr addr)
{
    uint64_t off;
    const struct dw_member *m = tr_val_find_member(t, "c", &off);
    if (!m)
        return NULL;
    struct tr_value *v = tr_val_read_any(c, m->type, addr + off);
    if (v && (v->kind == TR_V_POINTER || v->kind == TR_V_STRUCT))
        v->type = tr_val_type_name(c, declared);
    return v;
}

/* unique_ptr<T> (and T[]): the pointer in its tuple. */
static struct tr_value *unique_value(struct tr_valctx *c, const struct dw_type *declared,
                                     const struct dw_type *t, tr_addr addr)
{
    uint64_t off, p;
    const struct dw_member *m = find(t, "_M_head_impl", FIND_PTR | FIND_DEEP, &off, 0);
    if (!m || tr_val_word(c, addr + off, &p) != 0)
        return NULL;
    tr_val_remember(c, p, pointee(dw_type_strip(m->type)));
    return pointer_to(c, declared, addr, t->size, p);
}

/* shared_ptr, weak_ptr: _M_ptr, the object. make_shared puts the object
   inside the control block's allocation (just after its counters): that
   block then shows the object; a separate control block is left out. */
static struct tr_value *shared_value(struct tr_valctx *c, const struct dw_type *declared,
                                     const struct dw_type *t, tr_addr addr)
{
    uint64_t p_off, rc_off, pi_off, p, pi = 0;
    const struct dw_type *pt, *rct;
    if (member(t, "_M_ptr", &p_off, &pt) != 0 || tr_val_word(c, addr + p_off, &p) != 0)
        return NULL;
    const struct dw_type *obj = pointee(pt);
    if (member(t, "_M_refcount", &rc_off, &rct) == 0 && member(rct, "_M_pi", &pi_off, NULL) == 0)
        (void)tr_val_word(c, addr + rc_off + pi_off, &pi);
    if (pi && p > pi && p - pi <= 64)
        tr_val_remember_owned(c, p, obj, 1);
    else {
        tr_val_hide(c, pi);
        tr_val_remember(c, p, obj);
    }
    return pointer_to(c, declared, addr, t->size, p);
}

/* __normal_iterator (vector, string): the element pointer it wraps. */
static struct tr_value *iter_value(struct tr_valctx *c, const struct dw_type *declared,
                                   const struct dw_type *t, tr_addr addr)
{
    uint64_t off, p;
    const struct dw_type *pt;
    if (member(t, "_M_current", &off, &pt) != 0 || !pointee(pt) ||
        tr_val_word(c, addr + off, &p) != 0)
        return NULL;
    return pointer_to(c, declared, addr, t->size, p);
}

/* Tree and list iterators: _M_node, shown as a pointer to its node's
   value (the element inside the container's array has that address). */
static struct tr_value *node_iter_value(struct tr_valctx *c, const struct dw_type *declared,
                                        const struct dw_type *t, tr_addr addr,
                                        const char *node_tmpl)
{
    uint64_t off, node;
    const struct dw_type *nt;
    if (t->ntparams < 1 || member(t, "_M_node", &off, &nt) != 0 || !pointee(nt) ||
        tr_val_word(c, addr + off, &node) != 0)
        return NULL;
    const struct dw_type *vt = dw_type_strip(t->tparams[0]);
    if (!vt || !vt->size)
        return NULL;
    uint64_t voff = value_offset(c, node_tmpl, "", vt, pointee(nt)->size);
    return pointer_to(c, declared, addr, t->size, node ? node + voff : 0);
}

/* ---- dispatch -------------------------------------------------------------- */

struct tr_value *tr_val_stl(struct tr_valctx *c, const struct dw_type *declared,
                            const struct dw_type *t, tr_addr addr)
{
    const char *n = t->name;
    if (!tr_val_is_std(t) || t->is_declaration)
        return NULL;
    if (starts(n, "std::__cxx11::basic_string<") || starts(n, "std::basic_string<"))
        return string_value(c, t, addr);
    if (starts(n, "std::vector<"))
        return vector_value(c, declared, t, addr);
    if (starts(n, "std::array<"))
        return array_value(c, t, addr);
    if (starts(n, "std::__cxx11::list<") || starts(n, "std::list<"))
        return list_value(c, t, addr);
    if (starts(n, "std::forward_list<"))
        return flist_value(c, t, addr);
    if (starts(n, "std::deque<"))
        return deque_value(c, t, addr);
    if (starts(n, "std::map<") || starts(n, "std::multimap<") || starts(n, "std::set<") ||
        starts(n, "std::multiset<"))
        return tree_value(c, t, addr);
    if (starts(n, "std::unordered_map<") || starts(n, "std::unordered_multimap<") ||
        starts(n, "std::unordered_set<") || starts(n, "std::unordered_multiset<"))
        return hash_value(c, t, addr);
    if (starts(n, "std::stack<") || starts(n, "std::queue<") || starts(n, "std::priority_queue<"))
        return adaptor_value(c, declared, t, addr);
    if (starts(n, "std::unique_ptr<"))
        return unique_value(c, declared, t, addr);
    if (starts(n, "std::shared_ptr<") || starts(n, "std::weak_ptr<"))
        return shared_value(c, declared, t, addr);
    if (starts(n, "__gnu_cxx::__normal_iterator<"))
        return iter_value(c, declared, t, addr);
    if (starts(n, "std::_Rb_tree_iterator<") || starts(n, "std::_Rb_tree_const_iterator<"))
        return node_iter_value(c, declared, t, addr, "std::_Rb_tree_node");
    if (starts(n, "std::_List_iterator<") || starts(n, "std::_List_const_iterator<"))
        return node_iter_value(c, declared, t, addr, "std::_List_node");
    return NULL;
}
