/*
 * describe.c - memcheck's findings as a student reads them: what went
 * wrong, on which block, where that block was allocated or freed - in the
 * user's lines, not addresses inside valgrind's preload.
 *
 * Input is memcheck's own record (kind, what, the first auxwhat, the stack
 * where it happened, the block's stacks); output is the trace model's
 * struct tr_mc_error. The auxwhat shapes parsed are memcheck's (mc_errors.c
 * of valgrind 3.19): "Address 0x.. is N bytes after|inside|before a block
 * of size S alloc'd|free'd", "is on thread 1's stack", "is not stack'd,
 * malloc'd or (recently) free'd", "is N bytes inside data symbol "g"";
 * anything else is kept verbatim. Stacks map to user frames through the
 * program's index: a frame below the innermost holds a return address, so
 * its line is the line of pc - 1 (the call).
 */
#include "run/vg_engine_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf/dw_index.h"

/* ---- stacks ---------------------------------------------------------------- */

static struct tr_mc_frame *user_frames(struct tr_arena *a, const struct dw_index *ix,
                                       const struct tr_tool_frame *fr, size_t n, uint32_t *count)
{
    *count = 0;
    struct tr_mc_frame *out = tr_arena_alloc(a, (n ? n : 1) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        tr_addr pc = i > 0 && fr[i].pc ? fr[i].pc - 1 : fr[i].pc;
        const struct dw_func *f = dw_index_func_at(ix, pc);
        if (!f)
            continue;
        out[*count].func = f->name;
        out[*count].line = dw_index_line_at(ix, pc);
        (*count)++;
    }
    return out;
}

/* "at line 6 in main", or "" when the stack has no user frame. */
static const char *site(struct tr_arena *a, const char *verb, const struct tr_mc_frame *f,
                        uint32_t n)
{
    if (!f || n == 0)
        return tr_arena_printf(a, "%s outside the program's own code", verb);
    if (f[0].line)
        return tr_arena_printf(a, "%s at line %d in %s", verb, f[0].line, f[0].func);
    return tr_arena_printf(a, "%s in %s", verb, f[0].func);
}

/* A library function's name as a user knows it: "strlen" for
   "__strlen_avx2", "memcpy" for "memcpy@@GLIBC_2.14". */
static const char *plain_fn(struct tr_arena *a, const char *fn)
{
    if (!fn)
        return NULL;
    const char *s = fn;
    while (*s == '_')
        s++;
    size_t n = strcspn(s, "@(");
    const char *avx = NULL;
    static const char *const tails[] = {"_avx2", "_avx",  "_sse2",      "_sse4",
                                        "_evex", "_erms", "_unaligned", "_internal"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        const char *t = strstr(s, tails[i]);
        if (t && (size_t)(t - s) < n && (!avx || t < avx))
            avx = t;
    }
    if (avx)
        n = (size_t)(avx - s);
    return n ? tr_arena_strndup(a, s, n) : NULL;
}

/* ---- memcheck's auxwhat ------------------------------------------------------ */

struct aux {
    enum { AUX_NONE, AUX_BLOCK, AUX_STACK, AUX_WILD, AUX_UNALLOC, AUX_GLOBAL, AUX_OTHER } shape;
    uint64_t off, size; /* AUX_BLOCK */
    const char *rel;    /* "after", "inside", "before" */
    int freed;          /* the block was freed */
    const char *sym;    /* AUX_GLOBAL: the variable */
};

static struct aux parse_aux(struct tr_arena *a, const char *s)
{
    struct aux x = {.shape = AUX_NONE};
    if (!s)
        return x;
    x.shape = AUX_OTHER;
    const char *is = strstr(s, " is ");
    if (strncmp(s, "Address 0x", 10) != 0 || !is)
        return x;
    is += 4;
    if (strstr(is, "thread") && strstr(is, "stack")) {
        x.shape = AUX_STACK;
        return x;
    }
    if (strncmp(is, "not stack'd", 11) == 0) {
        x.shape = AUX_WILD;
        return x;
    }
    char *end;
    uint64_t off = strtoull(is, &end, 10);
    if (end == is || strncmp(end, " bytes ", 7) != 0)
        return x;
    const char *p = end + 7;
    const char *q;
    if ((q = strstr(p, "data symbol \"")) && strncmp(p, "inside ", 7) == 0) {
        q += 13;
        const char *e = strchr(q, '"');
        x.shape = AUX_GLOBAL;
        x.off = off;
        x.sym = e ? tr_arena_strndup(a, q, (size_t)(e - q)) : NULL;
        if (!x.sym)
            x.shape = AUX_OTHER;
        return x;
    }
    if (strncmp(p, "inside an unallocated block of size ", 36) == 0) {
        x.shape = AUX_UNALLOC; /* free space of malloc's arena: no block of the program's */
        return x;
    }
    static const char *const rels[] = {"after", "inside", "before"};
    for (size_t i = 0; i < 3; i++) {
        size_t k = strlen(rels[i]);
        if (strncmp(p, rels[i], k) == 0 && strncmp(p + k, " a block of size ", 17) == 0) {
            x.rel = rels[i];
            x.size = strtoull(p + k + 17, &end, 10);
            x.off = off;
            x.freed = strstr(end, "free'd") != NULL;
            x.shape = AUX_BLOCK;
            return x;
        }
    }
    return x;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* What the block part of a message says, NULL when nothing. */
static const char *block_text(struct tr_arena *a, const struct aux *x, const struct tr_mc_error *m,
                              tr_addr addr)
{
    switch (x->shape) {
    case AUX_NONE:
        return NULL;
    case AUX_BLOCK: {
        const char *alloc = site(a, "allocated", m->alloc, m->nalloc);
        if (x->freed)
            return tr_arena_printf(a, "%" PRIu64 " %s %s a block of %" PRIu64 " %s %s (%s)", x->off,
                                   plural(x->off, "byte", "bytes"), x->rel, x->size,
                                   plural(x->size, "byte", "bytes"),
                                   site(a, "freed", m->freed, m->nfreed), alloc);
        return tr_arena_printf(a, "%" PRIu64 " %s %s a block of %" PRIu64 " %s %s", x->off,
                               plural(x->off, "byte", "bytes"), x->rel, x->size,
                               plural(x->size, "byte", "bytes"), alloc);
    }
    case AUX_STACK:
        return tr_arena_printf(a,
                               "address 0x%" PRIX64 " is on the stack but in no live "
                               "variable (a local of a function that has returned?)",
                               (uint64_t)addr);
    case AUX_WILD:
    case AUX_UNALLOC:
        if (addr < 4096)
            return tr_arena_printf(a, "address 0x%" PRIX64 " (a null pointer)", (uint64_t)addr);
        return tr_arena_printf(a,
                               "address 0x%" PRIX64 " is in no variable and no allocated "
                               "block",
                               (uint64_t)addr);
    case AUX_GLOBAL:
        return tr_arena_printf(a, "%" PRIu64 " %s inside the global %s", x->off,
                               plural(x->off, "byte", "bytes"), x->sym);
    case AUX_OTHER:
        break;
    }
    return NULL;
}

/* "new[]" for "operator new[](unsigned long)", "free" for "free". */
static const char *allocator(const struct tr_tool_frame *f, size_t n)
{
    if (!f || n == 0 || !f[0].fn)
        return NULL;
    const char *fn = f[0].fn;
    if (strncmp(fn, "operator new[]", 14) == 0)
        return "new[]";
    if (strncmp(fn, "operator new", 12) == 0)
        return "new";
    if (strncmp(fn, "operator delete[]", 17) == 0)
        return "delete[]";
    if (strncmp(fn, "operator delete", 15) == 0)
        return "delete";
    static const char *const c[] = {"malloc",       "calloc",   "realloc",       "free",
                                    "reallocarray", "memalign", "aligned_alloc", "posix_memalign"};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (strcmp(fn, c[i]) == 0)
            return c[i];
    return NULL;
}

/* ---- leaks -------------------------------------------------------------------- */

static const char *leak_kind(const char *kind)
{
    if (strcmp(kind, "Leak_DefinitelyLost") == 0)
        return "definitely lost";
    if (strcmp(kind, "Leak_IndirectlyLost") == 0)
        return "indirectly lost";
    if (strcmp(kind, "Leak_PossiblyLost") == 0)
        return "possibly lost";
    if (strcmp(kind, "Leak_StillReachable") == 0)
        return "still reachable";
    return "lost";
}

/* memcheck's "32 (16 direct, 16 indirect) bytes ...": the direct part. */
static uint64_t direct_bytes(const char *what, uint64_t total)
{
    const char *p = what ? strstr(what, " direct, ") : NULL;
    if (!p)
        return total;
    const char *open = p;
    while (open > what && open[-1] != '(')
        open--;
    char *end;
    uint64_t d = strtoull(open, &end, 10);
    return end == p && d <= total ? d : total;
}

static void describe_leak(struct tr_arena *a, const struct tr_tool_error *e, struct tr_mc_error *m)
{
    uint64_t direct = direct_bytes(e->what, e->size);
    m->size = direct;
    m->blocks = e->blocks;
    m->alloc = m->stack;
    m->nalloc = m->nstack;
    const char *also =
        direct < e->size
            ? tr_arena_printf(a,
                              " (and %" PRIu64 " more %s reachable only "
                              "through it)",
                              e->size - direct, plural(e->size - direct, "byte", "bytes"))
            : "";
    m->block = site(a, "allocated", m->alloc, m->nalloc);
    m->message =
        tr_arena_printf(a, "Memory leak: %" PRIu64 " %s in %" PRIu64 " %s %s%s, %s", direct,
                        plural(direct, "byte", "bytes"), e->blocks,
                        plural(e->blocks, "block", "blocks"), leak_kind(e->kind), also, m->block);
}

/* memcheck's "Source and destination overlap in strncpy(0x1fff000b56,
   0x1fff000b55, 5)" names addresses of the Valgrind run, which a merged
   trace does not show: "... in strncpy (5 bytes)". NULL: not that shape. */
static const char *overlap_text(struct tr_arena *a, const char *what)
{
    const char *open = strchr(what, '(');
    const char *comma = open ? strrchr(open, ',') : NULL;
    const char *close = comma ? strchr(comma, ')') : NULL;
    if (!close)
        return NULL;
    const char *n = comma + 1;
    while (*n == ' ')
        n++;
    char *end;
    unsigned long long len = strtoull(n, &end, 10);
    if (end == n || end != close)
        return NULL;
    return tr_arena_printf(a, "%.*s (%llu %s)", (int)(open - what), what, len,
                           len == 1 ? "byte" : "bytes");
}

/* ---- one finding ------------------------------------------------------------- */

static int is_kind(const char *k, const char *prefix)
{
    return strncmp(k, prefix, strlen(prefix)) == 0;
}

/* memcheck's what without a trailing newline. */
static const char *trimmed(struct tr_arena *a, const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;
    return tr_arena_strndup(a, s, n);
}

static void describe_one(struct tr_arena *a, const struct dw_index *ix,
                         const struct tr_tool_error *e, struct tr_mc_error *m)
{
    const char *kind = e->kind ? e->kind : "Error";
    m->kind = tr_arena_strdup(a, kind);
    m->addr = e->addr;
    m->size = e->size;
    m->stack = user_frames(a, ix, e->stack, e->nstack, &m->nstack);
    if (is_kind(kind, "Leak_")) {
        describe_leak(a, e, m);
        return;
    }
    struct aux x = parse_aux(a, e->auxwhat);
    if (x.shape == AUX_BLOCK && x.freed) {
        m->freed = user_frames(a, ix, e->aux_stack, e->naux_stack, &m->nfreed);
        m->alloc = user_frames(a, ix, e->alloc_stack, e->nalloc_stack, &m->nalloc);
    } else if (x.shape == AUX_BLOCK) {
        m->alloc = user_frames(a, ix, e->aux_stack, e->naux_stack, &m->nalloc);
    }
    const char *what = trimmed(a, e->what ? e->what : kind);
    if (!what || !m->kind)
        return;
    /* in which library function, when memcheck caught it inside one */
    const char *in = "";
    if ((is_kind(kind, "Invalid") && strcmp(kind, "InvalidFree") != 0) || is_kind(kind, "Uninit")) {
        const struct dw_func *f = e->nstack ? dw_index_func_at(ix, e->stack[0].pc) : NULL;
        const char *fn = !f && e->nstack ? plain_fn(a, e->stack[0].fn) : NULL;
        if (fn)
            in = tr_arena_printf(a, " in %s", fn);
    }
    m->block = block_text(a, &x, m, e->addr);
    if (!m->block && x.shape == AUX_OTHER && e->auxwhat)
        m->block = trimmed(a, e->auxwhat);

    if (strcmp(kind, "InvalidFree") == 0 && x.shape == AUX_BLOCK && x.freed && x.off == 0) {
        m->message = tr_arena_printf(
            a, "Invalid free (double free): this block of %" PRIu64 " %s was already %s (%s)",
            x.size, plural(x.size, "byte", "bytes"), site(a, "freed", m->freed, m->nfreed),
            site(a, "allocated", m->alloc, m->nalloc));
    } else if (strcmp(kind, "InvalidFree") == 0 && x.shape == AUX_BLOCK && !x.freed) {
        m->message = tr_arena_printf(a,
                                     "Invalid free: the pointer is %" PRIu64
                                     " %s %s a block of %" PRIu64 " %s %s, not at its start",
                                     x.off, plural(x.off, "byte", "bytes"), x.rel, x.size,
                                     plural(x.size, "byte", "bytes"),
                                     site(a, "allocated", m->alloc, m->nalloc));
    } else if (strcmp(kind, "MismatchedFree") == 0) {
        const char *by = allocator(e->aux_stack, e->naux_stack);
        const char *rel = allocator(e->stack, e->nstack);
        const char *how = by ? tr_arena_printf(a, "allocated with %s", by) : NULL;
        m->message = how && rel ? tr_arena_printf(a,
                                                  "Mismatched free: a block of %" PRIu64
                                                  " %s %s is released with %s",
                                                  x.size, plural(x.size, "byte", "bytes"),
                                                  site(a, how, m->alloc, m->nalloc), rel)
                                : NULL;
    }
    if (!m->message && strcmp(kind, "Overlap") == 0)
        m->message = overlap_text(a, what);
    if (!m->message && strcmp(kind, "InvalidJump") == 0) {
        /* memcheck: "Jump to the invalid address stated on the next line" */
        m->block = NULL;
        m->message = tr_arena_printf(a, "Jump to address 0x%" PRIX64 ", where there is no code: %s",
                                     (uint64_t)e->addr, TR_JUMP_WHY);
    }
    if (!m->message)
        m->message = m->block ? tr_arena_printf(a, "%s%s: %s", what, in, m->block)
                              : tr_arena_printf(a, "%s%s", what, in);
}

struct tr_mc_error *vg_describe(void *ctx, struct tr_arena *a, const struct dw_index *ix,
                                const struct tr_tool_error *e, size_t n)
{
    (void)ctx;
    struct tr_mc_error *out = tr_arena_alloc(a, (n ? n : 1) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        describe_one(a, ix, &e[i], &out[i]);
        if (!out[i].kind || !out[i].message)
            return NULL; /* out of memory */
    }
    return out;
}

/* ---- the trace as a whole -------------------------------------------------------- */

void vg_leak_totals(const struct tr_trace *t, struct vg_leak_totals *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < t->nend_errors; i++) {
        const struct tr_mc_error *m = &t->end_errors[i];
        if (!m->kind)
            continue;
        if (strcmp(m->kind, "Leak_DefinitelyLost") == 0) {
            out->definite_bytes += m->size;
            out->definite_blocks += m->blocks;
        } else if (strcmp(m->kind, "Leak_IndirectlyLost") == 0) {
            out->indirect_bytes += m->size;
            out->indirect_blocks += m->blocks;
        } else if (strcmp(m->kind, "Leak_PossiblyLost") == 0) {
            out->possible_bytes += m->size;
            out->possible_blocks += m->blocks;
        } else {
            continue;
        }
        out->records++;
    }
}

/* Does v hold an uninitialised scalar anywhere? */
static int holds_uninit(const struct tr_value *v, int depth)
{
    if (!v || depth > 32)
        return 0;
    if (v->uninit)
        return 1;
    for (uint32_t i = 0; i < v->nkids; i++)
        if (holds_uninit(v->kids[i], depth + 1))
            return 1;
    return 0;
}

/* m's message becomes its message + tail, in the step's text too. */
static int extend_message(struct tr_arena *a, struct tr_step *s, struct tr_mc_error *m,
                          const char *tail)
{
    const char *old = m->message;
    m->message = tr_arena_printf(a, "%s%s", old, tail);
    if (!m->message)
        return -1;
    /* the step's text holds the old message: splice the new one in */
    const char *at = s->exception_msg ? strstr(s->exception_msg, old) : NULL;
    if (at) {
        size_t k = (size_t)(at - s->exception_msg);
        s->exception_msg =
            tr_arena_printf(a, "%.*s%s%s", (int)k, s->exception_msg, m->message, at + strlen(old));
        if (!s->exception_msg)
            return -1;
    }
    return 0;
}

/* Up to four names, then "..."; joined as "a", "a and b", "a, b and c". */
struct names {
    const char *v[4];
    int n;
};

static void add_name(struct names *ns, const char *name)
{
    if (ns->n < 4)
        ns->v[ns->n] = name;
    ns->n++;
}

static const char *joined(struct tr_arena *a, const struct names *ns)
{
    int k = ns->n < 4 ? ns->n : 4;
    const char *out = k ? ns->v[0] : NULL;
    for (int i = 1; out && i < k; i++)
        out =
            tr_arena_printf(a, "%s%s%s", out, i + 1 == k && ns->n <= 4 ? " and " : ", ", ns->v[i]);
    if (out && ns->n > 4)
        out = tr_arena_printf(a, "%s, ...", out);
    return out;
}

/* memcheck (without --track-origins, which doubles its cost) cannot say
   which variable an uninitialised value came from; the step's V-bits can
   say which of the function's variables are uninitialised right then. */
static int name_uninit(struct tr_arena *a, struct tr_step *s, struct tr_mc_error *m)
{
    const struct tr_frame *f = &s->frames[s->nframes - 1];
    struct names ns = {.n = 0};
    for (uint32_t i = 0; i < f->nvars; i++)
        if (holds_uninit(f->vars[i].value, 0) && strcmp(f->vars[i].name, "__return__") != 0)
            add_name(&ns, f->vars[i].name);
    if (!ns.n)
        return 0;
    const char *names = joined(a, &ns);
    if (!names)
        return -1;
    const char *tail =
        tr_arena_printf(a, " (uninitialised in %s at this step: %s)", f->func_name, names);
    return tail ? extend_message(a, s, m, tail) : -1;
}

int vg_block_of(const struct tr_mc_error *m, tr_addr *base, uint64_t *size)
{
    unsigned long long off, sz;
    char rel[8];
    if (!m->block || !m->addr ||
        sscanf(m->block, "%llu %*s %7s a block of %llu", &off, rel, &sz) != 3)
        return 0;
    if (strcmp(rel, "after") == 0)
        *base = m->addr - off - sz;
    else if (strcmp(rel, "inside") == 0)
        *base = m->addr - off;
    else if (strcmp(rel, "before") == 0)
        *base = m->addr + off;
    else
        return 0;
    *size = sz;
    return 1;
}

#define NEAR_BLOCK 4096 /* bytes past a block an access is still "after" it */

/* Replace m's block text, in its message and the step's text too. */
static int replace_block(struct tr_arena *a, struct tr_step *s, struct tr_mc_error *m,
                         const char *block)
{
    const char *at = m->block ? strstr(m->message, m->block) : NULL;
    const char *old = m->message;
    m->message = at ? tr_arena_printf(a, "%.*s%s%s", (int)(at - old), old, block,
                                      at + strlen(m->block))
                    : tr_arena_printf(a, "%s: %s", old, block);
    if (!m->message)
        return -1;
    const char *in = s->exception_msg ? strstr(s->exception_msg, old) : NULL;
    if (in) {
        s->exception_msg = tr_arena_printf(a, "%.*s%s%s", (int)(in - s->exception_msg),
                                           s->exception_msg, m->message, in + strlen(old));
        if (!s->exception_msg)
            return -1;
    }
    m->block = block;
    return 0;
}

/* Where the block with allocation number seq was allocated: the line of
   the step before the first step that shows it. */
static int alloc_site(const struct tr_trace *t, size_t upto, uint64_t seq, struct tr_mc_frame *f)
{
    for (size_t i = 1; i <= upto && i < t->nsteps; i++) {
        const struct tr_step *s = &t->steps[i];
        for (uint32_t k = 0; k < s->nheap; k++)
            if (s->heap[k].seq == seq) {
                const struct tr_step *p = &t->steps[i - 1];
                if (!p->func_name || p->line <= 0)
                    return 0;
                *f = (struct tr_mc_frame){p->func_name, p->line};
                return 1;
            }
    }
    return 0;
}

/* A read or write memcheck places against no block of the program's (free
   space in malloc's arena) or against a block the C library allocated for
   itself, when the program's own block right below is what the student
   overran: "24 bytes after a block of 8 bytes allocated at line 4". */
static int user_block(const struct tr_trace *t, size_t si, struct tr_mc_error *m)
{
    struct tr_step *s = &t->steps[si];
    if (!m->kind || (strcmp(m->kind, "InvalidRead") != 0 && strcmp(m->kind, "InvalidWrite") != 0))
        return 0;
    int foreign = m->block && m->nalloc == 0 && strstr(m->block, " a block of ") &&
                  !strstr(m->block, "freed");
    int nowhere = m->block && strstr(m->block, "is in no variable and no allocated block");
    if (!foreign && !nowhere)
        return 0;
    const struct tr_heap_block *best = NULL;
    for (uint32_t k = 0; k < s->nheap; k++) {
        const struct tr_heap_block *b = &s->heap[k];
        if (b->seq && b->addr <= m->addr && (!best || b->addr > best->addr))
            best = b;
    }
    if (!best || m->addr - best->addr >= best->size + NEAR_BLOCK)
        return 0;
    struct tr_mc_frame f;
    struct tr_mc_frame *af = NULL;
    if (alloc_site(t, si, best->seq, &f) && (af = tr_arena_alloc(t->arena, sizeof *af)) != NULL)
        *af = f;
    uint64_t off = m->addr - best->addr;
    int inside = off < best->size;
    if (!inside)
        off -= best->size;
    const char *block = tr_arena_printf(
        t->arena, "%" PRIu64 " %s %s a block of %" PRIu64 " %s%s%s", off,
        plural(off, "byte", "bytes"), inside ? "inside" : "after", best->size,
        plural(best->size, "byte", "bytes"), af ? " " : "",
        af ? site(t->arena, "allocated", af, 1) : "");
    if (!block || replace_block(t->arena, s, m, block) != 0)
        return -1;
    m->alloc = af;
    m->nalloc = af ? 1 : 0;
    return 0;
}

/* Which variables point into the block a finding is about: the student's
   name for it. The step's own frames (innermost first) and globals, each
   variable or a member of it one level down. */
static int name_block(struct tr_arena *a, struct tr_step *s, struct tr_mc_error *m)
{
    tr_addr base;
    uint64_t size;
    if (!vg_block_of(m, &base, &size))
        return 0;
    struct names ns = {.n = 0};
    /* innermost frame first, then its callers, then the globals */
    for (uint32_t step = 0; step <= s->nframes; step++) {
        uint32_t j = s->nframes - step; /* frame j - 1; 0: the globals */
        const struct tr_var *v = j ? s->frames[j - 1].vars : s->globals;
        uint32_t nv = j ? s->frames[j - 1].nvars : s->nglobals;
        for (uint32_t i = 0; i < nv; i++) {
            const struct tr_value *x = v[i].value;
            for (uint32_t k = 0; x && k <= (x->kind == TR_V_STRUCT ? x->nkids : 0); k++) {
                const struct tr_value *y = k == 0 ? x : x->kids[k - 1];
                if (y->kind != TR_V_POINTER || y->uninit || y->target < base ||
                    y->target >= base + size)
                    continue;
                const char *name =
                    k == 0 ? v[i].name : tr_arena_printf(a, "%s.%s", v[i].name, y->name);
                if (!name)
                    return -1;
                add_name(&ns, name);
            }
        }
        if (step == 0 && ns.n)
            break; /* the innermost frame's names are the ones on the line */
    }
    const char *names = ns.n ? joined(a, &ns) : NULL;
    if (!ns.n)
        return 0;
    const char *tail =
        names ? tr_arena_printf(a, ", the block %s point%s to", names, ns.n == 1 ? "s" : "") : NULL;
    return tail ? extend_message(a, s, m, tail) : -1;
}

int vg_name_uninit(struct tr_trace *t)
{
    for (size_t i = 0; i < t->nsteps; i++) {
        struct tr_step *s = &t->steps[i];
        for (uint32_t k = 0; s->nframes && k < s->nmc; k++) {
            struct tr_mc_error *m = &s->mc[k];
            int rc = m->kind && strncmp(m->kind, "Uninit", 6) == 0
                         ? name_uninit(t->arena, s, m)
                         : (user_block(t, i, m) != 0 ? -1 : name_block(t->arena, s, m));
            if (rc != 0)
                return -1;
        }
    }
    return 0;
}

int vg_finish_trace(struct tr_trace *t)
{
    /* A finding on a step See++ would drop (the caller's step right after
       a return, when the error happened on that line after the call) keeps
       the step visible: the error must be seen on its line. */
    for (size_t i = 0; i < t->nsteps; i++)
        if (t->steps[i].nmc && t->steps[i].hidden)
            t->steps[i].hidden = 0;
    if (t->nsteps == 0 || t->nend_errors == 0)
        return 0;
    struct vg_leak_totals lk;
    vg_leak_totals(t, &lk);
    if (lk.records == 0)
        return 0;
    const char *msg = "Memory leaks at exit:";
    for (uint32_t i = 0; i < t->nend_errors; i++) {
        const struct tr_mc_error *m = &t->end_errors[i];
        if (m->kind && is_kind(m->kind, "Leak_"))
            msg = tr_arena_printf(t->arena, "%s\n%s", msg, m->message);
        if (!msg)
            return -1;
    }
    struct tr_step *last = &t->steps[t->nsteps - 1];
    msg = last->exception_msg ? tr_arena_printf(t->arena, "%s\n%s", last->exception_msg, msg) : msg;
    if (!msg)
        return -1;
    last->exception_msg = msg;
    return 0;
}
