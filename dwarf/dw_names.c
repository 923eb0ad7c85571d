/*
 * dw_names.c - scope records and qualified names, without libdwarf.
 *
 * libdwarf cannot tell a DIE's parent, and a C++ name's qualification lives
 * in its parents ("Box<int>" inside namespace "ns"). While walking the CU,
 * the reader records every namespace, class, enum, typedef and user
 * function with the offsets its subtree spans. Because DIEs are laid out in
 * preorder, the innermost record around any offset is found with a binary
 * search and a walk up the parent links; that qualifies a member function's
 * declaration, a static member or a nested type in O(log n).
 *
 * Qualified names are memoised per record in the index's arena. The map from
 * qualified name to DIE offset (for dw_index_type_named) is built on first
 * use, so opening the index does not pay for it.
 */
#include "dwarf/dw_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NAME_DEPTH 64 /* parent/specification hops while qualifying */

/* ---- offset -> pointer map ------------------------------------------- */

static size_t hash_u64(uint64_t k, size_t cap)
{
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

void *dw_u64map_get(const struct dw_u64map *m, uint64_t key)
{
    if (!m->cap || key == 0)
        return NULL;
    for (size_t i = hash_u64(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return m->vals[i];
        if (m->keys[i] == 0)
            return NULL;
    }
}

static int u64map_grow(struct dw_u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 256;
    if (ncap > DWX_VEC_MAX)
        return -1;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    void **vals = calloc(ncap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = hash_u64(m->keys[i], ncap);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
    return 0;
}

int dw_u64map_put(struct dw_u64map *m, uint64_t key, void *val)
{
    if (key == 0)
        return -1;
    if ((m->n + 1) * 2 > m->cap && u64map_grow(m) != 0)
        return -1;
    size_t i = hash_u64(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

void dw_u64map_free(struct dw_u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- records ----------------------------------------------------------- */

void dw_names_init(struct dw_names *nm, struct dw_arena *arena)
{
    memset(nm, 0, sizeof *nm);
    nm->arena = arena;
}

void dw_names_free(struct dw_names *nm)
{
    free(nm->recs);
    free(nm->map_keys);
    free(nm->map_offs);
    memset(nm, 0, sizeof *nm);
}

uint32_t dw_names_add(struct dw_names *nm, const struct dw_rec *r)
{
    if (nm->n && r->off <= nm->recs[nm->n - 1].off)
        return DWX_REC_NONE; /* offsets must increase: preorder */
    if (nm->n == nm->cap) {
        size_t ncap = nm->cap ? nm->cap * 2 : 1024;
        if (ncap > DWX_VEC_MAX)
            return DWX_REC_NONE;
        struct dw_rec *nr = realloc(nm->recs, ncap * sizeof *nr);
        if (!nr)
            return DWX_REC_NONE;
        nm->recs = nr;
        nm->cap = ncap;
    }
    nm->recs[nm->n] = *r;
    return (uint32_t)nm->n++;
}

/* Index of the last record with off <= key, or DWX_REC_NONE. */
static uint32_t last_at_or_before(const struct dw_names *nm, uint64_t key)
{
    size_t lo = 0, hi = nm->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nm->recs[mid].off <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? DWX_REC_NONE : (uint32_t)(lo - 1);
}

uint32_t dw_names_find(const struct dw_names *nm, uint64_t off)
{
    uint32_t i = last_at_or_before(nm, off);
    return i != DWX_REC_NONE && nm->recs[i].off == off ? i : DWX_REC_NONE;
}

uint32_t dw_names_enclosing(const struct dw_names *nm, uint64_t off)
{
    if (off == 0)
        return DWX_REC_NONE;
    uint32_t i = last_at_or_before(nm, off - 1);
    /* Every record enclosing off starts before it and so is an ancestor of
       the last record that does (DIEs nest in preorder). */
    for (int hops = 0; i != DWX_REC_NONE && hops < 4 * MAX_NAME_DEPTH; hops++) {
        if (off < nm->recs[i].end)
            return i;
        i = nm->recs[i].parent;
    }
    return DWX_REC_NONE;
}

/* ---- qualified names -------------------------------------------------- */

static const char *join(struct dw_names *nm, const char *prefix, const char *name)
{
    if (!prefix || !*prefix)
        return dw_arena_strdup(nm->arena, name);
    size_t a = strlen(prefix), b = strlen(name);
    char *s = dw_arena_alloc(nm->arena, a + 2 + b + 1);
    if (!s)
        return NULL;
    memcpy(s, prefix, a);
    memcpy(s + a, "::", 2);
    memcpy(s + a + 2, name, b + 1);
    return s;
}

static const char *component(const struct dw_rec *r)
{
    if (r->name)
        return r->name;
    switch ((enum dw_rec_kind)r->kind) {
    case DWX_REC_NS:
        return NULL; /* anonymous namespace: C++ spells its members bare */
    case DWX_REC_CLASS:
        return r->is_lambda ? "<lambda>" : "(anonymous)";
    case DWX_REC_ENUM:
    case DWX_REC_TYPEDEF:
        return "(anonymous)";
    case DWX_REC_FUNC:
        return r->func_name ? r->func_name : "(function)";
    }
    return NULL;
}

static const char *qualified(struct dw_names *nm, uint32_t i, int for_func, int skip_inline,
                             int depth);

/* What a name declared directly inside record p is prefixed with. */
static const char *prefix_of(struct dw_names *nm, uint32_t p, int for_func, int skip_inline,
                             int depth)
{
    if (p == DWX_REC_NONE || depth > MAX_NAME_DEPTH)
        return "";
    const struct dw_rec *r = &nm->recs[p];
    if (r->kind == DWX_REC_FUNC)
        return for_func && r->func_name ? r->func_name : "";
    return qualified(nm, p, for_func, skip_inline, depth + 1);
}

static const char *qualified(struct dw_names *nm, uint32_t i, int for_func, int skip_inline,
                             int depth)
{
    struct dw_rec *r = &nm->recs[i];
    const char **memo = skip_inline ? NULL : for_func ? &r->qname_func : &r->qname_type;
    if (memo && *memo)
        return *memo;
    if (r->kind == DWX_REC_FUNC)
        return r->func_name ? r->func_name : "";
    const char *q;
    uint32_t s = r->spec ? dw_names_find(nm, r->spec) : DWX_REC_NONE;
    if (s != DWX_REC_NONE && s != i && depth < MAX_NAME_DEPTH) {
        q = qualified(nm, s, for_func, skip_inline, depth + 1);
    } else {
        const char *pre = prefix_of(nm, r->parent, for_func, skip_inline, depth);
        const char *c = component(r);
        if (!pre)
            return NULL;
        if (!c || (skip_inline && r->is_inline))
            q = pre; /* anonymous/inline namespace adds nothing */
        else
            q = join(nm, pre, c);
    }
    if (q && memo)
        *memo = q;
    return q;
}

const char *dw_names_qualified(struct dw_names *nm, uint32_t rec, int for_func)
{
    if (rec >= nm->n)
        return NULL;
    return qualified(nm, rec, for_func, 0, 0);
}

const char *dw_names_qualify(struct dw_names *nm, uint64_t off, const char *name, int for_func)
{
    const char *pre = prefix_of(nm, dw_names_enclosing(nm, off), for_func, 0, 0);
    if (!pre)
        return NULL;
    return join(nm, pre, name ? name : "(anonymous)");
}

/* ---- name -> offset map ----------------------------------------------- */

static size_t hash_str(const char *s, size_t cap)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void map_insert(struct dw_names *nm, const char *key, uint64_t off)
{
    size_t i = hash_str(key, nm->map_cap);
    while (nm->map_keys[i]) {
        if (strcmp(nm->map_keys[i], key) == 0)
            return; /* first definition wins */
        i = (i + 1) & (nm->map_cap - 1);
    }
    nm->map_keys[i] = key;
    nm->map_offs[i] = off;
}

static int has_inline_ancestor(const struct dw_names *nm, uint32_t i)
{
    for (int d = 0; i != DWX_REC_NONE && d < MAX_NAME_DEPTH; d++) {
        if (nm->recs[i].is_inline)
            return 1;
        i = nm->recs[i].parent;
    }
    return 0;
}

static int build_map(struct dw_names *nm)
{
    size_t want = 0;
    for (size_t i = 0; i < nm->n; i++) {
        const struct dw_rec *r = &nm->recs[i];
        if ((r->kind == DWX_REC_CLASS && !r->is_decl) || r->kind == DWX_REC_TYPEDEF)
            want += 2;
    }
    size_t cap = 64;
    while (cap < 2 * want + 1)
        cap *= 2;
    nm->map_keys = calloc(cap, sizeof *nm->map_keys);
    nm->map_offs = calloc(cap, sizeof *nm->map_offs);
    if (!nm->map_keys || !nm->map_offs) {
        free(nm->map_keys);
        free(nm->map_offs);
        nm->map_keys = NULL;
        nm->map_offs = NULL;
        return -1;
    }
    nm->map_cap = cap;
    /* Definitions first, so a typedef never hides a class of the same name. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nm->n; i++) {
            const struct dw_rec *r = &nm->recs[i];
            int want_kind = pass == 0 ? (r->kind == DWX_REC_CLASS && !r->is_decl)
                                      : r->kind == DWX_REC_TYPEDEF;
            if (!want_kind || !r->name)
                continue;
            const char *q = qualified(nm, (uint32_t)i, 0, 0, 0);
            const char *alias = NULL;
            if (q && has_inline_ancestor(nm, (uint32_t)i))
                alias = qualified(nm, (uint32_t)i, 0, 1, 0);
            if (!q || (has_inline_ancestor(nm, (uint32_t)i) && !alias))
                goto fail;
            map_insert(nm, q, r->off);
            if (alias)
                map_insert(nm, alias, r->off);
        }
    }
    nm->map_built = 1;
    return 0;
fail:
    free(nm->map_keys);
    free(nm->map_offs);
    nm->map_keys = NULL;
    nm->map_offs = NULL;
    nm->map_cap = 0;
    return -1;
}

uint64_t dw_names_lookup(struct dw_names *nm, const char *qname, int *is_typedef)
{
    if (!nm->map_built && build_map(nm) != 0)
        return 0;
    size_t i = hash_str(qname, nm->map_cap);
    while (nm->map_keys[i]) {
        if (strcmp(nm->map_keys[i], qname) == 0) {
            uint32_t r = dw_names_find(nm, nm->map_offs[i]);
            *is_typedef = r != DWX_REC_NONE && nm->recs[r].kind == DWX_REC_TYPEDEF;
            return nm->map_offs[i];
        }
        i = (i + 1) & (nm->map_cap - 1);
    }
    return 0;
}
