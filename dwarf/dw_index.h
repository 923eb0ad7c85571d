/*
 * dw_index.h - what the tracer needs to know from a program's ELF and DWARF.
 *
 * The index is built once per compiled program from the compile unit of the
 * user's source file (the one file the user submitted; everything from
 * headers is "library"). It answers: which functions are the user's, where
 * their prologues end, which addresses start a source line, which variables
 * are visible at a pc and where they live, and what every type looks like.
 *
 * Everything returned is plain read-only data owned by the index and valid
 * until dw_index_close(). No libdwarf or libelf type appears here: every
 * libdwarf call lives in dwarf/dw_libdwarf.c, so moving between the 2021 API
 * (Debian 12) and the 0.x API (Amazon Linux 2023) is one file's work.
 *
 * Assumes gcc/g++ -g -O0 -fno-omit-frame-pointer on x86-64: frame base is the
 * CFA, locals are frame-base relative, nothing lives only in a register.
 */
#ifndef SPP_DWARF_DW_INDEX_H
#define SPP_DWARF_DW_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t dw_addr;

enum dw_err {
    DWX_OK = 0,
    DWX_ERR_OPEN,   /* the file cannot be opened or is not ELF */
    DWX_ERR_FORMAT, /* DWARF missing or unreadable */
    DWX_ERR_NOMEM,
    DWX_ERR_NO_CU   /* no compile unit for the user's source file */
};

#define DWX_ERRBUF_LEN 256

enum dw_type_kind {
    DWX_T_VOID,
    DWX_T_BASE,     /* int, char, double, bool, __int128, wchar_t ... */
    DWX_T_ENUM,
    DWX_T_POINTER,
    DWX_T_REF,      /* T& */
    DWX_T_RVREF,    /* T&& */
    DWX_T_PTRMEM,   /* pointer to member */
    DWX_T_CONST,
    DWX_T_VOLATILE,
    DWX_T_TYPEDEF,
    DWX_T_STRUCT,
    DWX_T_CLASS,
    DWX_T_UNION,
    DWX_T_ARRAY,
    DWX_T_FUNC,     /* subroutine type */
    DWX_T_NULLPTR,  /* DW_TAG_unspecified_type (decltype(nullptr)) */
    DWX_T_OTHER
};

enum dw_encoding {
    DWX_ENC_NONE,
    DWX_ENC_SIGNED,
    DWX_ENC_UNSIGNED,
    DWX_ENC_SIGNED_CHAR,
    DWX_ENC_UNSIGNED_CHAR,
    DWX_ENC_BOOL,
    DWX_ENC_FLOAT,
    DWX_ENC_UTF,    /* char8_t, char16_t, char32_t */
    DWX_ENC_COMPLEX
};

/* Where a variable lives. gcc -O0 needs only these forms. */
enum dw_loc_kind {
    DWX_LOC_NONE,  /* optimised out / no location (extern declaration) */
    DWX_LOC_ADDR,  /* static storage at addr */
    DWX_LOC_FBREG, /* frame base (CFA) + offset */
    DWX_LOC_BREG,  /* register reg (DWARF number) + offset */
    DWX_LOC_REG    /* the value is in register reg */
};

struct dw_loc {
    enum dw_loc_kind kind;
    int reg;        /* DWARF register number for BREG/REG (6 = rbp, 7 = rsp) */
    int64_t offset; /* FBREG, BREG */
    dw_addr addr;   /* ADDR */
    int deref;      /* the location holds the object's address, not the
                       object (VLAs: DW_OP_fbreg N; DW_OP_deref) */
};

struct dw_type;

struct dw_member {
    const char *name;            /* NULL for an anonymous struct/union member */
    const struct dw_type *type;
    uint64_t offset;             /* byte offset in the enclosing object */
    uint32_t bit_size;           /* nonzero for a bitfield */
    uint64_t bit_pos;            /* bitfield: bits from the start of the object */
    unsigned is_base : 1;        /* a base-class subobject (DW_TAG_inheritance) */
    unsigned is_virtual_base : 1;/* virtual base: offset comes from the vtable */
    unsigned is_static : 1;      /* static data member */
    unsigned is_artificial : 1;  /* compiler-made, e.g. _vptr.Animal */
    int64_t vbase_vtable_offset; /* virtual base: the base's offset is the
                                    ptrdiff_t at (vptr + this) */
    dw_addr static_addr;         /* static member's address, 0 if not defined */
};

struct dw_enumerator {
    const char *name;
    int64_t value;
};

struct dw_array_dim {
    int64_t count;          /* -1: unknown (flexible array member, VLA) */
    struct dw_loc vla_count;/* VLA: where the upper bound lives (bound+1 =
                               count); kind NONE otherwise */
    int vla_holds_count;    /* VLA given by DW_AT_count: vla_count holds the
                               count itself, not the upper bound */
};

struct dw_type {
    enum dw_type_kind kind;
    const char *name;        /* as C/C++ spells it, with scopes: "Node",
                                "unsigned int", "std::vector<int, std::allocator<int> >";
                                NULL when anonymous */
    uint64_t size;           /* bytes; 0 when unknown */
    enum dw_encoding encoding; /* BASE; ENUM: of the underlying type */
    /* POINTER/REF/RVREF: pointee. CONST/VOLATILE/TYPEDEF: the qualified type.
       ARRAY: element. ENUM: underlying (may be NULL). FUNC: return type (NULL
       = void). PTRMEM: the member's type. NULL means void. */
    const struct dw_type *target;
    const struct dw_type *ptrmem_class; /* PTRMEM: the class */
    const struct dw_member *members;    /* STRUCT/CLASS/UNION, DIE order */
    size_t nmembers;
    const struct dw_enumerator *enumerators;
    size_t nenumerators;
    const struct dw_array_dim *dims;    /* ARRAY, outermost first */
    size_t ndims;
    const struct dw_type *const *params;/* FUNC: parameter types */
    size_t nparams;
    const struct dw_type *const *tparams; /* template type parameters, in order */
    size_t ntparams;
    unsigned is_declaration : 1; /* incomplete: no definition was found */
    uint64_t id;                 /* unique within the index (DIE offset) */
    unsigned has_destructor : 1; /* STRUCT/CLASS/UNION: declares one (the user's, or
                                    the implicit one gcc emits when it is not trivial
                                    and used); such a class is returned in memory */
};

struct dw_var {
    const char *name;
    const struct dw_type *type;
    struct dw_loc loc;
    int decl_line;               /* 0 when unknown */
    unsigned is_param : 1;
    unsigned is_artificial : 1;  /* e.g. `this` */
    unsigned is_static : 1;      /* static storage duration */
    /* loc NONE, but gcc kept the value as a constant (DW_AT_const_value: an
       unused `static int limit = 456;`): the object's bytes, target order */
    const uint8_t *const_bytes;
    size_t const_len;
};

struct dw_range {
    dw_addr lo, hi; /* [lo, hi) */
};

struct dw_scope {
    const struct dw_range *ranges;
    size_t nranges;
    const struct dw_var *vars;       /* DIE order, i.e. declaration order */
    size_t nvars;
    const struct dw_scope *children; /* nested lexical blocks */
    size_t nchildren;
};

struct dw_func {
    const char *name;          /* qualified, no parameters: "main", "List::push",
                                  "ns::Box<int>::get" */
    const char *linkage_name;  /* mangled, or NULL */
    dw_addr low_pc, high_pc;   /* [low_pc, high_pc) */
    dw_addr body_pc;           /* first address after the prologue: the second
                                  line-table row inside the function (gdb's
                                  skip_prologue_using_sal); low_pc if none */
    int decl_line;
    int open_line;             /* line of the row at low_pc (the prologue's line) */
    const struct dw_type *ret_type; /* NULL = void */
    struct dw_scope scope;     /* parameters + function-level locals; blocks */
};

/* One row of the user's file in the line table. */
struct dw_line {
    dw_addr addr;
    int line;
};

struct dw_index;

/* Build the index of exe for the compile unit whose name ends in src_name
   (e.g. "main.cpp"). Free with dw_index_close. */
enum dw_err dw_index_open(const char *exe, const char *src_name, struct dw_index **out,
                          char *errbuf, size_t errlen) __attribute__((warn_unused_result));
void dw_index_close(struct dw_index *ix); /* accepts NULL */
const char *dw_strerror(enum dw_err e);

/* User functions (defined in the user's file), sorted by low_pc. */
const struct dw_func *dw_index_funcs(const struct dw_index *ix, size_t *n);
/* The user function whose code contains pc, or NULL. */
const struct dw_func *dw_index_func_at(const struct dw_index *ix, dw_addr pc);
const struct dw_func *dw_index_func_named(const struct dw_index *ix, const char *name);

/* Statement starts of the user's file inside user functions: is_stmt rows,
   one per address (the last row at an address wins), sorted by address. */
const struct dw_line *dw_index_lines(const struct dw_index *ix, size_t *n);
/* The user-file line of the row covering pc, 0 when pc's row belongs to
   another file or no row covers it. */
int dw_index_line_at(const struct dw_index *ix, dw_addr pc);

/* Variables with static storage defined in the user's file at namespace
   scope (including class static members defined there), declaration order.
   Names are qualified ("Counter::count"). */
const struct dw_var *dw_index_globals(const struct dw_index *ix, size_t *n);

/* Variables visible at pc in f, outermost scope first, each scope in
   declaration order; when an inner variable has the same name as an outer
   one, only the inner one is listed. Writes at most cap pointers, returns how
   many are visible (may exceed cap). */
size_t dw_func_vars_at(const struct dw_func *f, dw_addr pc, const struct dw_var **out,
                       size_t cap);

/* A complete struct/class/union type by qualified name, or NULL. */
const struct dw_type *dw_index_type_named(const struct dw_index *ix, const char *name);
/* Notes on names (all lookups above): inline namespaces are part of a
   qualified name ("std::__cxx11::basic_string<char, ...>", as gcc spells
   template arguments) but type_named also accepts the name without them, and
   a typedef name ("std::string") gives the class it names. Anonymous
   namespaces add nothing; local types are unqualified ("Local"), while
   functions inside functions are qualified through them
   ("main::<lambda>::operator()", "main::Local::get"). type_named reads the
   file on first use of a name: do not call it on one index from two threads
   at once. */
/* Strip typedefs, const and volatile. NULL stays NULL. */
const struct dw_type *dw_type_strip(const struct dw_type *t);
/* C/C++ spelling of a type as a declaration would show it: "int", "Node*",
   "const char*", "int[3]", "int (*)(int)", "std::string". Returns buf. */
const char *dw_type_name(const struct dw_type *t, char *buf, size_t len);

/* ELF symbol table. */
int dw_index_symbol_addr(const struct dw_index *ix, const char *name, dw_addr *out);
/* The symbol (function or object) containing addr: its (mangled) name and
   addr's offset into it; NULL when none. */
const char *dw_index_symbol_at(const struct dw_index *ix, dw_addr addr, dw_addr *offset);
/* Is addr in the program's read-only data (a .rodata section, where
   string literals live)? *sec gets that section's range. */
int dw_index_rodata_at(const struct dw_index *ix, dw_addr addr, struct dw_range *sec);
/* Demangle a C++ symbol into buf; returns buf, or NULL if not mangled (or
   if the demangled name does not fit in len). */
const char *dw_demangle(const char *mangled, char *buf, size_t len);

#endif
