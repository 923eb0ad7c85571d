/*
 * dw_int.h - what the files of dwarf/ share and nobody else sees.
 *
 * The index is one struct dw_index holding an arena: every object the public
 * API hands out (functions, scopes, variables, types, strings) is carved from
 * it and dies with dw_index_close(). Building the index is split by concern:
 *
 *   dw_libdwarf.c  the only file that calls libdwarf: walks the compile unit,
 *                  materialises functions, variables and types
 *   dw_names.c     scope records (which DIE encloses which), qualified names,
 *                  the name -> DIE-offset map, an offset -> pointer map
 *   dw_expr.c      decoding of the few DWARF expressions gcc -O0 emits
 *   dw_elf.c       the ELF symbol table (libelf) and demangling
 *   dw_index.c     arena, growable vectors, line tables and every lookup
 *   dw_typename.c  C/C++ spelling of a type
 *
 * The target file is hostile input: every count is capped, every recursion
 * has a depth limit, and nothing here aborts on odd data.
 */
#ifndef SPP_DWARF_DW_INT_H
#define SPP_DWARF_DW_INT_H

#include "dwarf/dw_index.h"

/* ---- arena (dw_index.c) ---------------------------------------------- */

/* All memory of one index. Allocations are zeroed and 16-byte aligned; the
   total is capped (DWX_ARENA_CAP) so a hostile file cannot exhaust memory. */
struct dw_arena_chunk;
struct dw_arena {
    struct dw_arena_chunk *head;
    size_t total; /* bytes obtained from malloc so far */
    size_t cap;
};

#define DWX_ARENA_CAP ((size_t)256 << 20)

void dw_arena_init(struct dw_arena *a, size_t cap);
void *dw_arena_alloc(struct dw_arena *a, size_t size);          /* NULL: cap/ENOMEM */
void *dw_arena_array(struct dw_arena *a, size_t n, size_t elsz); /* checks n * elsz */
char *dw_arena_strdup(struct dw_arena *a, const char *s);        /* NULL s -> NULL */
void dw_arena_free(struct dw_arena *a);                          /* accepts a zeroed arena */

/* ---- growable vector of fixed-size elements (dw_index.c) -------------- */

/* malloc-backed; dw_vec_push returns a zeroed slot or NULL when the element
   cap is reached or memory runs out. Free with dw_vec_free. */
struct dw_vec {
    void *p;
    size_t n, cap;
    size_t elsz;
};

#define DWX_VEC_MAX ((size_t)1 << 24) /* elements */

void dw_vec_init(struct dw_vec *v, size_t elsz);
void *dw_vec_push(struct dw_vec *v);
/* Copies the elements into the arena; *out is NULL when the vector is empty.
   Returns 0, or -1 when the arena is exhausted. */
int dw_vec_to_arena(const struct dw_vec *v, struct dw_arena *a, void **out);
void dw_vec_free(struct dw_vec *v);

/* ---- what the reader hands to dw_index.c ------------------------------ */

/* One row of the CU's line table, in table order. */
struct dw_row {
    dw_addr addr;
    int line;
    unsigned user : 1;    /* the row's file is the user's source file */
    unsigned is_stmt : 1;
    unsigned end_seq : 1; /* end_sequence: addr is one past the sequence */
};

/* A stretch [lo, hi) of code and the user-file line covering it (0 when the
   covering row is from another file). */
struct dw_span {
    dw_addr lo, hi;
    int line;
};

struct dw_sym {
    dw_addr addr;
    uint64_t size;
    const char *name;
};

struct dw_reader; /* dw_libdwarf.c */

struct dw_index {
    struct dw_arena arena;
    struct dw_func *funcs; /* sorted by low_pc */
    size_t nfuncs;
    struct dw_line *lines;
    size_t nlines;
    struct dw_span *spans; /* every row of the CU, sorted by lo */
    size_t nspans;
    struct dw_var *globals;
    size_t nglobals;
    struct dw_sym *syms; /* sorted by address */
    size_t nsyms;
    const struct dw_sym **syms_by_name; /* sorted by name */
    struct dw_range *rodata; /* the executable's .rodata* sections */
    size_t nrodata;
    struct dw_reader *rd; /* kept open for dw_index_type_named */
};

/* ---- dw_libdwarf.c ----------------------------------------------------- */

/* Reads the DWARF of exe: fills ix->funcs (unsorted, body_pc/open_line not
   yet set), ix->globals, and hands every line-table row of the CU in *rows
   (malloc'd, the caller frees). On success *out is the reader, closed with
   dw_reader_close. Message for a failure in errbuf. */
enum dw_err dw_reader_open(struct dw_index *ix, int fd, const char *src_name,
                           struct dw_reader **out, struct dw_row **rows, size_t *nrows,
                           char *errbuf, size_t errlen) __attribute__((warn_unused_result));
/* Materialises (once) the complete struct/class/union called name. */
const struct dw_type *dw_reader_type_named(struct dw_reader *rd, const char *name);
void dw_reader_close(struct dw_reader *rd); /* accepts NULL */

/* ---- dw_elf.c ---------------------------------------------------------- */

/* Loads .symtab function and object symbols into ix->syms/syms_by_name (a
   file without .symtab has no symbols, not an error) and checks the DWARF
   sections libdwarf trusts too much (DWX_ERR_FORMAT when one is corrupt). */
enum dw_err dw_elf_load(struct dw_index *ix, int fd, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* ---- dw_index.c -------------------------------------------------------- */

/* Builds spans, the user line list, and each function's body_pc/open_line
   from the raw rows; sorts ix->funcs. */
enum dw_err dw_index_build_lines(struct dw_index *ix, const struct dw_row *rows, size_t nrows)
    __attribute__((warn_unused_result));

/* printf into errbuf (may be NULL/0); never overflows. */
void dw_errf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- dw_expr.c --------------------------------------------------------- */

/* A variable's DW_AT_location expression as gcc -O0 writes it. kind NONE for
   anything else (TLS, location lists, computed locations). */
void dw_expr_location(const uint8_t *buf, size_t len, struct dw_loc *out);
/* A bound (DW_AT_upper_bound / DW_AT_count) given as an expression that
   loads a value ("fbreg N; deref"): where the value lives. kind NONE if the
   expression has another shape. */
void dw_expr_value_location(const uint8_t *buf, size_t len, struct dw_loc *out);
/* DW_AT_data_member_location as an expression. Sets *offset for the DWARF 2
   "plus_uconst N" form and returns 0; for a virtual base ("dup; deref;
   const N; minus; deref; plus") sets *vtable_offset (-N) and returns 1;
   returns -1 for anything else. */
int dw_expr_member_location(const uint8_t *buf, size_t len, uint64_t *offset,
                            int64_t *vtable_offset);

/* 0 when a unit header of .debug_rnglists is malformed (the file is then
   refused before libdwarf 20210528 reads it: it would free memory twice). */
int dw_rnglists_headers_ok(const uint8_t *buf, size_t len);

/* ---- dw_names.c -------------------------------------------------------- */

/* offset -> pointer map (open addressing, grows; malloc-backed). */
struct dw_u64map {
    uint64_t *keys; /* key 0 is never stored: DIE offset 0 is a CU header */
    void **vals;
    size_t n, cap;
};

void *dw_u64map_get(const struct dw_u64map *m, uint64_t key);
int dw_u64map_put(struct dw_u64map *m, uint64_t key, void *val); /* -1 no memory */
void dw_u64map_free(struct dw_u64map *m);

/* Scope records: the DIEs that give names their scope (namespaces, classes,
   enums, user functions) and typedefs, in DIE order, each with the range of
   offsets its children occupy. Used to qualify a name given any DIE offset
   without asking libdwarf for parents. */
enum dw_rec_kind {
    DWX_REC_NS,
    DWX_REC_CLASS, /* struct, class, union */
    DWX_REC_ENUM,
    DWX_REC_TYPEDEF,
    DWX_REC_FUNC /* a user function's concrete DIE */
};

#define DWX_REC_NONE UINT32_MAX

struct dw_rec {
    uint64_t off, end;  /* the DIE and its subtree: [off, end) */
    uint64_t spec;      /* DW_AT_specification of a class defined outside
                           its scope, 0 if none */
    uint32_t parent;    /* nearest enclosing record, DWX_REC_NONE at CU level */
    uint8_t kind;       /* enum dw_rec_kind */
    uint8_t is_decl;    /* DW_AT_declaration */
    uint8_t is_inline;  /* inline namespace (DW_AT_export_symbols) */
    uint8_t is_lambda;  /* anonymous class with a "<lambda>" member */
    const char *name;   /* reader-owned, NULL when anonymous */
    const char *qname_type; /* memo: qualified as a type spells it */
    const char *qname_func; /* memo: qualified as a function name spells it */
    const char *func_name;  /* FUNC: the function's qualified name, once known */
};

struct dw_names {
    struct dw_rec *recs;
    size_t n, cap;
    struct dw_arena *arena; /* where qualified names go */
    /* name -> offset map for dw_reader_type_named, built on first use */
    const char **map_keys;
    uint64_t *map_offs;
    size_t map_cap;
    int map_built;
};

void dw_names_init(struct dw_names *nm, struct dw_arena *arena);
void dw_names_free(struct dw_names *nm);
/* Appends a record (offsets must come in increasing order); returns its
   index or DWX_REC_NONE when out of memory. */
uint32_t dw_names_add(struct dw_names *nm, const struct dw_rec *r);
/* The record for exactly this DIE offset, or DWX_REC_NONE. */
uint32_t dw_names_find(const struct dw_names *nm, uint64_t off);
/* The innermost record strictly enclosing the DIE at off, or DWX_REC_NONE. */
uint32_t dw_names_enclosing(const struct dw_names *nm, uint64_t off);
/* Qualified name of a record. Types stop at an enclosing function (local
   types are spelled unqualified); function names continue through it
   ("main::<lambda>::operator()"). NULL when out of memory. */
const char *dw_names_qualified(struct dw_names *nm, uint32_t rec, int for_func);
/* Qualified name of a DIE that is not itself a record (a function or
   variable declaration at offset off) with the given simple name. */
const char *dw_names_qualify(struct dw_names *nm, uint64_t off, const char *name, int for_func);
/* Offset of the complete class (or typedef) with this qualified name, 0 if
   none. Inline namespaces may be left out: "std::basic_string<char, ...>"
   finds "std::__cxx11::basic_string<char, ...>". */
uint64_t dw_names_lookup(struct dw_names *nm, const char *qname, int *is_typedef);

#endif
