/*
 * dw_typename.c - how C/C++ spells a type: "const char*", "int[3]",
 * "int (*)(int)", "int Counter::*".
 *
 * C declarators read inside out, so the spelling is built from two ends: a
 * declarator grows in the middle of a work buffer ("*" prepended, "[3]"
 * appended, parentheses around a pointer to array or function) while the
 * walk goes from the outer type to the base type, whose name goes in front
 * last. Qualifiers of a pointer follow its star ("char* const"); qualifiers of
 * anything else go before the base name ("const char").
 *
 * A spelling that does not fit ends in "..." rather than being cut silently.
 */
#include "dwarf/dw_index.h"

#include <stdio.h>
#include <string.h>

#define WORK 512   /* declarator work buffer (each side) */
#define MAX_LINKS 32 /* type links followed in one declarator */
#define MAX_NEST 6   /* parameter lists / member-pointer classes inside each other */

struct decl {
    char buf[2 * WORK];
    size_t lo, hi; /* the declarator is buf[lo, hi) */
    int overflow;
};

static void prepend(struct decl *d, const char *s)
{
    size_t n = strlen(s);
    if (n > d->lo) {
        d->overflow = 1;
        return;
    }
    d->lo -= n;
    memcpy(d->buf + d->lo, s, n);
}

static void append(struct decl *d, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof d->buf - d->hi) {
        d->overflow = 1;
        return;
    }
    memcpy(d->buf + d->hi, s, n);
    d->hi += n;
}

static int is_declarator_kind(const struct dw_type *t)
{
    return t && (t->kind == DWX_T_POINTER || t->kind == DWX_T_REF ||
                 t->kind == DWX_T_RVREF || t->kind == DWX_T_PTRMEM);
}

/* What an unnamed type of each kind is called. */
static const char *const unnamed[] = {
    [DWX_T_VOID] = "void",
    [DWX_T_STRUCT] = "(anonymous struct)",
    [DWX_T_CLASS] = "(anonymous class)",
    [DWX_T_UNION] = "(anonymous union)",
    [DWX_T_ENUM] = "(anonymous enum)",
    [DWX_T_NULLPTR] = "decltype(nullptr)",
    [DWX_T_OTHER] = "?",
};

/* gcc names some base types in an order nobody writes them; show the
   spelling a student knows (and trace-format.md uses: "unsigned long"). */
static const char *const base_spelling[][2] = {
    {"long int", "long"},
    {"long unsigned int", "unsigned long"},
    {"long long int", "long long"},
    {"long long unsigned int", "unsigned long long"},
    {"short int", "short"},
    {"short unsigned int", "unsigned short"},
    {"__int128 unsigned", "unsigned __int128"},
};

static const char *base_name(const struct dw_type *t)
{
    if (!t)
        return "void";
    if (t->name && t->kind == DWX_T_BASE) {
        for (size_t i = 0; i < sizeof base_spelling / sizeof base_spelling[0]; i++)
            if (strcmp(t->name, base_spelling[i][0]) == 0)
                return base_spelling[i][1];
    }
    if (t->name)
        return t->name;
    if ((size_t)t->kind < sizeof unnamed / sizeof unnamed[0] && unnamed[t->kind])
        return unnamed[t->kind];
    return "?";
}

static void spell(const struct dw_type *t, char *out, size_t len, int depth);

/* "(int, char)" for a function type's parameters. */
static void append_params(struct decl *d, const struct dw_type *f, int depth)
{
    char one[WORK];
    append(d, "(");
    for (size_t i = 0; i < f->nparams; i++) {
        if (i)
            append(d, ", ");
        spell(f->params[i], one, sizeof one, depth + 1);
        append(d, one);
    }
    append(d, ")");
}

static void spell(const struct dw_type *t, char *out, size_t len, int depth)
{
    struct decl d;
    int is_const = 0, is_volatile = 0;
    d.lo = d.hi = WORK;
    d.overflow = 0;
    int steps = 0;
    for (; t && steps < MAX_LINKS && depth < MAX_NEST; steps++) {
        const struct dw_type *next = t->target;
        int wrap = next && (next->kind == DWX_T_ARRAY || next->kind == DWX_T_FUNC);
        if (t->kind == DWX_T_POINTER || t->kind == DWX_T_REF || t->kind == DWX_T_RVREF) {
            prepend(&d, t->kind == DWX_T_POINTER ? "*" : t->kind == DWX_T_REF ? "&" : "&&");
        } else if (t->kind == DWX_T_PTRMEM) {
            char cls[WORK];
            spell(t->ptrmem_class, cls, sizeof cls, depth + 1);
            prepend(&d, "::*");
            prepend(&d, cls);
            if (!wrap)
                prepend(&d, " ");
        } else if ((t->kind == DWX_T_CONST || t->kind == DWX_T_VOLATILE) &&
                   is_declarator_kind(next)) {
            prepend(&d, t->kind == DWX_T_CONST ? " const" : " volatile");
            t = next;
            continue;
        } else if (t->kind == DWX_T_CONST || t->kind == DWX_T_VOLATILE) {
            if (t->kind == DWX_T_CONST)
                is_const = 1;
            else
                is_volatile = 1;
            t = next;
            continue;
        } else if (t->kind == DWX_T_ARRAY) {
            for (size_t i = 0; i < t->ndims; i++) {
                char dim[32];
                if (t->dims[i].count >= 0)
                    snprintf(dim, sizeof dim, "[%lld]", (long long)t->dims[i].count);
                else
                    snprintf(dim, sizeof dim, "[]");
                append(&d, dim);
            }
            t = next;
            continue;
        } else if (t->kind == DWX_T_FUNC) {
            append_params(&d, t, depth);
            t = next;
            continue;
        } else {
            break; /* a named type ends the declarator */
        }
        if (wrap) {
            prepend(&d, "(");
            append(&d, ")");
        }
        t = next;
    }
    const char *base = steps >= MAX_LINKS || depth >= MAX_NEST ? "?" : base_name(t);
    const char *decl = d.buf + d.lo;
    size_t dlen = d.hi - d.lo;
    const char *sep = dlen && decl[0] == '(' ? " " : "";
    int n = snprintf(out, len, "%s%s%s%s%.*s", is_const ? "const " : "",
                     is_volatile ? "volatile " : "", base, sep, (int)dlen, decl);
    if (len >= 4 && (d.overflow || n < 0 || (size_t)n >= len))
        memcpy(out + len - 4, "...", 4);
}

const char *dw_type_name(const struct dw_type *t, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    spell(t, buf, len, 0);
    return buf;
}
