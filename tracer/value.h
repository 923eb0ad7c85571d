/*
 * value.h - the value reader: turns (DWARF type, address) into trace values.
 *
 * Memory is read through a per-stop page cache, so a frame or a heap block
 * costs one target read however many variables it holds. Every pointer the
 * reader produces is remembered with its pointee type; heap blocks are typed
 * from those pointers afterwards (trace-format.md: "the element type comes
 * from the pointers that point to it"), a polymorphic object by the dynamic
 * type its vtable names.
 *
 * Shapes beyond trace-format.md's table (docs/trace-notes.md has examples):
 *  - std::string, std::wstring, std::u16string, std::u32string: C_DATA with
 *    the text; the buffer of a long string is not a heap block of its own.
 *  - std::vector<T> with a buffer: a pointer tuple ["C_DATA", addr,
 *    "pointer", "0xBUFFER", "std::vector<T>"]; the buffer is a heap block of
 *    exactly size() elements (not capacity()). With no buffer (never grown)
 *    an empty C_ARRAY at the vector's address. std::vector<bool>: a C_ARRAY
 *    of bools. Nested vectors: the outer block's elements are pointer
 *    tuples to the inner buffers.
 *  - std::array<T, N>: C_ARRAY of its N elements.
 *  - std::map, multimap, set, multiset, unordered_*, list, forward_list,
 *    deque: a C_ARRAY at the container's address of its elements in
 *    iteration order (map elements are std::pair C_STRUCTs with "first" and
 *    "second"); their nodes are not heap blocks of their own. stack, queue
 *    and priority_queue show their underlying container.
 *  - std::unique_ptr, std::shared_ptr, std::weak_ptr and iterators of
 *    vectors, strings, maps, sets and lists: pointer tuples to the element
 *    (type slot "pointer", declared type e.g. "std::unique_ptr<Node>").
 *  - Any other library type: its members (libstdc++'s empty bases left out).
 *  - Type names are written as a user would: "std::vector<int>", not
 *    "std::vector<int, std::allocator<int> >".
 */
#ifndef SPP_TRACER_VALUE_H
#define SPP_TRACER_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "dwarf/dw_index.h"
#include "tracer/model.h"
#include "tracer/target.h"

#define TR_VAL_MAX_ELEMS 1000 /* elements shown per array / heap block */
#define TR_VAL_MAX_DEPTH 24   /* nesting of aggregates */
#define TR_VAL_MAX_STRING 4096

struct tr_valctx;

/* A live heap block as the runtime reports it. */
struct tr_block {
    tr_addr addr;
    uint64_t size;
    uint64_t kind; /* enum spp_rt_kind */
    uint64_t seq;  /* allocation number since main started (tr_heap_block.seq) */
    uint64_t site; /* return address of the allocation call, 0 if unknown */
};

/* ctx reads through t, names types with ix, allocates in a. Free with
   tr_val_free. */
struct tr_valctx *tr_val_new(struct tr_target *t, const struct dw_index *ix, struct tr_arena *a);
void tr_val_free(struct tr_valctx *c); /* accepts NULL */

/* Start a new snapshot: forget cached memory and remembered pointers. */
void tr_val_begin(struct tr_valctx *c);

/* The next tr_val_begin keeps the pointers (and literals, hidden blocks)
   seen so far: a return value read apart from the step that shows it
   still types the heap block it points to (a `return new Node{...}`). */
void tr_val_carry(struct tr_valctx *c);

/* End the snapshot while the program is still stopped where it was read:
   with a memcheck target (TR_CAP_VBITS), every scalar some bit of which is
   undefined becomes "<UNINITIALIZED>" (tr_value.uninit; partially defined
   scalars included; a bitfield by its own bits; elements and members each
   on their own). Without V-bits it does nothing. */
void tr_val_end(struct tr_valctx *c);

/* The frame whose variables are read next (its CFA), for variable-length
   arrays whose bound is a local of that frame; 0 when reading globals or
   the heap. tr_val_begin resets it to 0. */
void tr_val_frame(struct tr_valctx *c, tr_addr cfa);

/* While set, values read are not checked against V-bits: after `ret`,
   memcheck marks the red zone below the stack pointer undefined whatever
   the returned frame had stored there, so its V-bits describe the ABI,
   not the program. The caller carries the frame's marks over instead.
   tr_val_begin clears it. */
void tr_val_no_vbits(struct tr_valctx *c, int on);

/* While set, a scalar read whose bytes all still hold the fill byte
   (SPP_RT_FILL_BYTE) shows "<UNINITIALIZED>": set it only around memory
   that was filled - the locals of frames the stepper filled, heap blocks
   when the runtime filled them (val_fill.c). tr_val_begin clears it. */
void tr_val_fill(struct tr_valctx *c, int on);

/* Read the object of type ty at addr. Never NULL unless out of memory:
   unreadable memory gives "<UNALLOCATED>" scalars. name may be NULL. */
struct tr_value *tr_val_read(struct tr_valctx *c, const struct dw_type *ty, tr_addr addr);

/* Encode a value held in bytes (a function's return value in registers). */
struct tr_value *tr_val_from_bytes(struct tr_valctx *c, const struct dw_type *ty,
                                   const uint8_t *bytes, size_t len);

/* Decode bytes that are the value itself, not memory: a constant gcc kept
   instead of storage (DW_AT_const_value). Shown at address 0x0. */
struct tr_value *tr_val_constant(struct tr_valctx *c, const struct dw_type *ty,
                                 const uint8_t *bytes, size_t len);

/* Type and encode the live heap blocks from the pointers seen since
   tr_val_begin (following pointers inside blocks too). out has room for n.
   Returns how many blocks were written, sorted by address: every block but
   those a value already shows (a string's buffer, a map's nodes). */
size_t tr_val_heap(struct tr_valctx *c, const struct tr_block *blocks, size_t n,
                   struct tr_heap_block *out);

/* Add to st->heap (allocated in the arena) a read-only block for each
   string literal a char pointer read since tr_val_begin points into:
   keyed by the literal's first character, its characters up to and with
   the terminating NUL as "const char" elements, seq 0. Keeps st->heap
   sorted by address. -1 when out of memory. */
int tr_val_literals(struct tr_valctx *c, struct tr_step *st);

/* Raw bytes through the cache; TR_ERR_MEM when unreadable. */
enum tr_err tr_val_mem(struct tr_valctx *c, tr_addr addr, void *buf, size_t len);

/* The address formatter used everywhere: "0x" + uppercase hex, no padding. */
const char *tr_val_addr_text(struct tr_arena *a, tr_addr addr);

/* Shortest decimal text that reads back as the same float/double/long
   double; "nan", "inf", "-inf" for the special values. Returns buf. */
const char *tr_fmt_float(float v, char *buf, size_t len);
const char *tr_fmt_double(double v, char *buf, size_t len);
const char *tr_fmt_long_double(long double v, char *buf, size_t len);

#endif
