/*
 * value.h - the value reader: turns (DWARF type, address) into trace values.
 *
 * Memory is read through a per-stop page cache, so a frame or a heap block
 * costs one target read however many variables it holds. Every pointer the
 * reader produces is remembered with its pointee type; heap blocks are typed
 * from those pointers afterwards (trace-format.md: "the element type comes
 * from the pointers that point to it").
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
};

/* ctx reads through t, names types with ix, allocates in a. Free with
   tr_val_free. */
struct tr_valctx *tr_val_new(struct tr_target *t, const struct dw_index *ix, struct tr_arena *a);
void tr_val_free(struct tr_valctx *c); /* accepts NULL */

/* Start a new snapshot: forget cached memory and remembered pointers. */
void tr_val_begin(struct tr_valctx *c);

/* Read the object of type ty at addr. Never NULL unless out of memory:
   unreadable memory gives "<UNALLOCATED>" scalars. name may be NULL. */
struct tr_value *tr_val_read(struct tr_valctx *c, const struct dw_type *ty, tr_addr addr);

/* Encode a value held in bytes (a function's return value in registers). */
struct tr_value *tr_val_from_bytes(struct tr_valctx *c, const struct dw_type *ty,
                                   const uint8_t *bytes, size_t len);

/* Type and encode the live heap blocks from the pointers seen since
   tr_val_begin (following pointers inside blocks too). out has room for n.
   Returns how many blocks were written (all of them, sorted by address). */
size_t tr_val_heap(struct tr_valctx *c, const struct tr_block *blocks, size_t n,
                   struct tr_heap_block *out);

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
