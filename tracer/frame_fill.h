/*
 * frame_fill.h - fill a new activation's locals with the fill byte, so the
 * value reader can show those never written as "<UNINITIALIZED>" without
 * Valgrind (tracer/val_fill.c, docs/memcheck.md "Uninitialised values").
 */
#ifndef SPP_TRACER_FRAME_FILL_H
#define SPP_TRACER_FRAME_FILL_H

#include "dwarf/dw_index.h"
#include "tracer/target.h"

/* Does filling make sense on t? It must write memory, and must not be a
   memcheck target: a write would make the bytes defined, and its V-bits
   already tell the truth. */
int tr_fill_wanted(const struct tr_target *t);

/* Write SPP_RT_FILL_BYTE over the slots of f's locals (every lexical block;
   not parameters, statics, compiler-made variables, variable-length arrays
   or register variables) in the activation with this CFA, whose stack
   pointer is sp. Call it at the activation's first statement: its frame is
   allocated and only the prologue (parameters, the stack protector's
   canary, none of them locals) has run. A slot outside [sp - 128, CFA -
   16) (the red zone of a leaf function included) is left alone. */
enum tr_err tr_fill_frame(struct tr_target *t, const struct dw_func *f, tr_addr cfa,
                          tr_addr sp) TR_WUR;

#endif
