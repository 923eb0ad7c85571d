/*
 * val_int.h - what the value reader's files share (value.c: scalars,
 * structs, arrays, pointers; val_stl.c: libstdc++ containers; val_heap.c:
 * typing and encoding heap blocks; val_tname.c: short type names).
 *
 * Not a public header: only tracer/val*.c include it.
 */
#ifndef SPP_TRACER_VAL_INT_H
#define SPP_TRACER_VAL_INT_H

#include "tracer/value.h"

#define TR_VAL_PAGE 4096u
#define TR_VAL_NPAGES 128u       /* direct-mapped cache entries */
#define TR_VAL_NNAMES 1024u      /* type-name cache slots */
#define TR_VAL_MAX_PTRS 65536u   /* remembered pointers per snapshot */
#define TR_VAL_MAX_HIDDEN 65536u /* hidden blocks per snapshot */
#define TR_VAL_MAX_LITS 1024u    /* string literals pointed to per snapshot */

struct tr_val_page {
    tr_addr base;
    int state; /* 0 empty, 1 valid, 2 unreadable */
    uint8_t data[TR_VAL_PAGE];
};

/* How sure a remembered pointer is about the block it points into. */
enum tr_val_prio {
    TR_PRIO_INTERIOR, /* points inside a block at a whole-element offset */
    TR_PRIO_BASE,     /* points at the block's first element */
    TR_PRIO_DYNAMIC,  /* its object's dynamic type was read from the vtable */
    TR_PRIO_OWNER     /* a container that knows its element count */
};

/* A pointer seen in this snapshot. `first` is where the elements start
   (normally the target), count 0 means "as many as fit in the block". */
struct tr_val_ptr {
    tr_addr target;
    tr_addr first;
    const struct dw_type *elem; /* stripped, complete */
    const struct dw_type *named;/* the typedef naming elem when elem is anonymous
                                   (typedef struct {...} Account), else NULL */
    uint64_t count;
    int owner; /* set by a container decoder */
};

/* The elements a new[] block with an array cookie was last shown with
   (val_heap.c): while its constructors run, nothing else may point to it. */
#define TR_VAL_NEWARR_MEMO 64u
struct tr_val_newarr {
    uint64_t seq; /* the block's allocation number; 0 = empty slot */
    const struct dw_type *elem, *named;
};

/* What a heap block's decoding read, while val_reuse.c watches it: the
   bytes it read inside [lo, hi) (min..max), whether it read anything else
   (or found a string literal), and where its pointers and hidden blocks
   start in ptrs and hidden. */
struct tr_val_track {
    int on, out;
    tr_addr lo, hi, min, max;
    size_t ptrs0, hidden0;
};

/* A block decoded: the block and the view it was decoded with (elem NULL:
   as bytes), and whether fill marks were on. */
struct tr_val_key {
    uint64_t seq;
    tr_addr addr;
    uint64_t size;
    tr_addr first;
    const struct dw_type *elem, *named;
    uint64_t count;
    int fill;
};

struct tr_val_name {
    const struct dw_type *ty;
    const char *name;
};

struct tr_valctx {
    struct tr_target *t;
    const struct dw_index *ix;
    struct tr_arena *a;
    struct tr_val_page *pages; /* TR_VAL_NPAGES */
    struct tr_val_ptr *ptrs;
    size_t nptrs, capptrs;
    tr_addr *hidden; /* blocks a container owns: not shown alone */
    size_t nhidden, caphidden;
    tr_addr *lits; /* char pointers into read-only data (val_literal.c) */
    size_t nlits, caplits;
    struct tr_val_name names[TR_VAL_NNAMES];
    struct tr_val_newarr newarr[TR_VAL_NEWARR_MEMO]; /* kept across snapshots */
    size_t newarr_next;                             /* ring: the slot to reuse */
    int depth;
    int carry;         /* tr_val_carry: the next tr_val_begin keeps ptrs/hidden/lits */
    tr_addr frame_cfa; /* frame being read (VLA bounds), 0 = none */
    int no_vbits;      /* tr_val_no_vbits */
    int fill;          /* tr_val_fill: what is read now was filled (val_fill.c) */
    /* bytes standing in for memory at [0, ovr_len): a value held in
       registers (a returned struct) decoded by the ordinary readers */
    const uint8_t *ovr;
    size_t ovr_len;
    struct tr_val_vbits *vb; /* memcheck V-bits (val_vbits.c); NULL: target has none */
    struct tr_val_reuse *reuse; /* val_reuse.c; NULL: every block decoded anew */
    struct tr_val_track track;
};

/* ---- value.c ---------------------------------------------------------- */
struct tr_value *tr_val_node(struct tr_valctx *c, enum tr_vkind k, tr_addr addr, uint64_t size);
struct tr_value *tr_val_scalar(struct tr_valctx *c, tr_addr addr, uint64_t size, const char *type,
                               enum tr_stext st, const char *text);
struct tr_value *tr_val_unallocated(struct tr_valctx *c, tr_addr addr, uint64_t size,
                                    const char *type);
/* Room for n kids; 0 on success. */
int tr_val_kids(struct tr_valctx *c, struct tr_value *v, size_t n);
/* The display name of a type (short std:: names), cached per snapshot. */
const char *tr_val_type_name(struct tr_valctx *c, const struct dw_type *ty);
/* The generic reader (dispatches to the STL decoders too). */
struct tr_value *tr_val_read_any(struct tr_valctx *c, const struct dw_type *declared, tr_addr addr);
/* A character (TR_ST_CHAR): value as C has it (sign-extended for a signed
   char); wide for wchar_t, char16_t, char32_t. */
struct tr_value *tr_val_char(struct tr_valctx *c, tr_addr addr, uint64_t size, const char *type,
                             int64_t value, int wide);
uint64_t tr_val_load(const uint8_t *b, size_t n);
/* 8 bytes at addr as an address; 0 on success. */
int tr_val_word(struct tr_valctx *c, tr_addr addr, uint64_t *out);
/* Append p to the pointers of the snapshot (dropped past TR_VAL_MAX_PTRS). */
void tr_val_push_ptr(struct tr_valctx *c, struct tr_val_ptr p);
/* Remember a pointer for heap typing (pointee stripped inside). */
void tr_val_remember(struct tr_valctx *c, tr_addr target, const struct dw_type *pointee);
/* A container's buffer: count elements of elem from first. */
void tr_val_remember_owned(struct tr_valctx *c, tr_addr first, const struct dw_type *elem,
                           uint64_t count);
/* The block at base belongs to a value already shown (a string's text, a
   map's nodes): leave it out of the heap. */
void tr_val_hide(struct tr_valctx *c, tr_addr base);
/* Append a to the growable *arr (at most max entries: later ones are
   dropped, the first ones seen are the ones a student looks at). */
void tr_val_push_addr(tr_addr **arr, size_t *n, size_t *cap, size_t max, tr_addr a);
/* Does t (or a base of it) have a vtable pointer? */
int tr_val_is_polymorphic(const struct dw_type *t);
/* Alignment of a type as the x86-64 ABI lays it out. */
uint64_t tr_val_align(const struct dw_type *t);
/* The function a code address starts, for function pointers; NULL if none. */
const char *tr_val_function_at(struct tr_valctx *c, tr_addr target);

/* Is t a struct, class or union (stripped of cv and typedefs already)? */
int tr_val_is_aggregate(const struct dw_type *t);

/* ---- val_scalar.c ----------------------------------------------------- */
/* The value of a non-aggregate of type declared from its bytes b (as many
   as tr_val_simple_size says), at addr; NULL for an aggregate or array. */
struct tr_value *tr_val_simple(struct tr_valctx *c, const struct dw_type *declared, tr_addr addr,
                               const uint8_t *b);
/* Bytes a non-aggregate occupies (at most 16). */
size_t tr_val_simple_size(const struct dw_type *t);
/* Bitfield m (of stripped type mt, named label) from its bits u, the
   nbytes at first it was read from. */
struct tr_value *tr_val_bitfield_value(struct tr_valctx *c, const struct dw_member *m,
                                       const struct dw_type *mt, const char *label, tr_addr first,
                                       size_t nbytes, uint64_t u);

/* ---- val_literal.c --------------------------------------------------- */
/* A char pointer to target was read: when target is in the program's
   read-only data, the string literal there is shown as a block. */
void tr_val_note_literal(struct tr_valctx *c, tr_addr target, const struct dw_type *pointee);

/* ---- val_stl.c -------------------------------------------------------- */
/* A libstdc++ type's value, or NULL when t is not one it knows (or its
   layout is not what it expects): the caller then shows the members. */
struct tr_value *tr_val_stl(struct tr_valctx *c, const struct dw_type *declared,
                            const struct dw_type *t, tr_addr addr);
/* A member by name, searched in t and, depth first, in its non-virtual
   bases and the anonymous members; *off gets its offset from t's start. */
const struct dw_member *tr_val_find_member(const struct dw_type *t, const char *name,
                                           uint64_t *off);
/* Is t a class from the standard library's namespaces? */
int tr_val_is_std(const struct dw_type *t);

/* ---- val_vbits.c ------------------------------------------------------ */
#define TR_VAL_VBITS_BUDGET 4096u /* bytes of exact V-bits fetched per snapshot */
struct tr_val_vbits;
/* NULL when t has no TR_CAP_VBITS (or out of memory: no flags then). */
struct tr_val_vbits *tr_val_vbits_new(struct tr_target *t);
void tr_val_vbits_free(struct tr_val_vbits *vb); /* accepts NULL */
void tr_val_vbits_begin(struct tr_val_vbits *vb); /* accepts NULL */
/* Scalar v was made from [addr, addr+len) of target memory; a bitfield
   from bits [shift, shift+nbits) of those bytes (nbits 0: all of them). */
void tr_val_vbits_note(struct tr_valctx *c, struct tr_value *v, tr_addr addr, size_t len,
                       unsigned shift, unsigned nbits);
/* Ask the target about every noted value and mark the uninitialised ones. */
void tr_val_vbits_settle(struct tr_valctx *c);

/* ---- val_fill.c ------------------------------------------------------- */
#define TR_VAL_FILL_MAX 256u /* bytes of one value checked against the fill */
/* Scalar v was made from [addr, addr+len) (a bitfield: bits [shift,
   shift+nbits)); while tr_val_fill is on, it is marked uninitialised when
   those bytes (bits) all still hold SPP_RT_FILL_BYTE. Also a library
   object shown as one value (a vector as its pointer, a string as its
   text) from all its bytes; aggregates are left alone. */
void tr_val_fill_note(struct tr_valctx *c, struct tr_value *v, tr_addr addr, size_t len,
                      unsigned shift, unsigned nbits);

/* ---- val_reuse.c ------------------------------------------------------ */
struct tr_val_reuse;
/* NULL (no reuse) for a target with V-bits (their marks are written into
   the values after decoding) or when SPP_VAL_REUSE=0. */
struct tr_val_reuse *tr_val_reuse_new(struct tr_target *t);
void tr_val_reuse_free(struct tr_val_reuse *r); /* accepts NULL */
/* Around one tr_val_heap: the blocks decoded in it are the ones the next
   one may reuse. */
void tr_val_reuse_begin(struct tr_valctx *c);
void tr_val_reuse_end(struct tr_valctx *c);
/* The value the last tr_val_heap decoded for k when the bytes its
   decoding read are unchanged, its pointers and hidden blocks added again
   as decoding would add them; NULL otherwise. */
struct tr_value *tr_val_reuse_find(struct tr_valctx *c, const struct tr_val_key *k);
/* Decoding k starts now / ended with v (NULL: failed): watch its reads,
   then keep what the next tr_val_heap needs to reuse it. */
void tr_val_reuse_watch(struct tr_valctx *c, const struct tr_val_key *k);
void tr_val_reuse_keep(struct tr_valctx *c, const struct tr_val_key *k, struct tr_value *v);

/* ---- val_tname.c ------------------------------------------------------ */
/* Type names as a user writes them: "std::vector<int>" for
   "std::vector<int, std::allocator<int> >", "std::string" for
   std::__cxx11::basic_string<char, ...>. Writes into out (cap bytes);
   returns out. Text that does not fit is returned unchanged (cut). */
const char *tr_val_short_name(const char *in, char *out, size_t cap);

#endif
