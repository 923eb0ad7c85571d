/*
 * val_fill.c - "<UNINITIALIZED>" without Valgrind: a scalar whose bytes all
 * still hold the fill byte was never written.
 *
 * Key idea: the stepper fills the locals of each new activation with
 * SPP_RT_FILL_BYTE (tracer/frame_fill.c) and the runtime fills every fresh
 * heap block (tracer/rt/sppmon.c), so a value that is still the pattern
 * was never stored to - or was copied from one that never was, which is
 * what memcheck would say of the copy too. The reader checks only where a
 * fill happened (tr_val_fill: a frame's locals, the heap when the runtime
 * filled it); globals and statics are never checked, C zeroes them.
 * Caveats (docs/memcheck.md): arithmetic on a never-written value gives a
 * number, where memcheck would still say uninitialised; a 1-byte value the
 * program itself sets to 0xBE (a char of UTF-8 text, an unsigned char 190)
 * reads as uninitialised - wider scalars almost never hold all-0xBE bytes.
 */
#include "tracer/val_int.h"

#include "tracer/rt/sppmon.h"

void tr_val_fill(struct tr_valctx *c, int on)
{
    c->fill = on;
}

void tr_val_fill_note(struct tr_valctx *c, struct tr_value *v, tr_addr addr, size_t len,
                      unsigned shift, unsigned nbits)
{
    uint8_t b[TR_VAL_FILL_MAX];
    if (!c->fill || !v || v->uninit || c->ovr || len == 0 || len > sizeof b ||
        tr_val_mem(c, addr, b, len) != TR_OK)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned m = 0xffu;
        if (nbits) {
            /* a bitfield: only its own bits of byte i */
            unsigned lo = (unsigned)i * 8u, from = shift, to = shift + nbits;
            if (to <= lo || from >= lo + 8u)
                continue;
            unsigned s = from > lo ? from - lo : 0, e = to < lo + 8u ? to - lo : 8u;
            m = ((1u << e) - 1u) & ~((1u << s) - 1u);
        }
        if ((b[i] & m) != (SPP_RT_FILL_BYTE & m))
            return;
    }
    tr_value_mark_uninit(v);
}
