/*
 * xol.h - leaving a breakpoint without a single-step: the instruction under
 * the int3 runs from a copy out of line (XOL, as Linux uprobes do), or, for
 * a relative jmp, is emulated. Used by the agent (agent.c) in the traced
 * program; pure, so a unit test drives it directly.
 *
 * Why: on the machines this runs on (KVM guests) a TF single-step trap costs
 * several times an int3 trap, and the step-off it needs (put the byte back,
 * step, write the int3 again) costs two more signals' worth of mprotect. A
 * copy that ends in a jump back leaves the int3 in place: one trap per stop.
 *
 * Only instructions whose length and meaning this decoder is sure of are
 * planned; everything else (calls, conditional jumps, syscalls, traps, VEX,
 * 32-bit addressing, an instruction that reaches past the bytes given) is
 * SPP_XOL_STEP: the caller steps it with TF as before. An instruction that
 * addresses memory relative to rip gets its displacement moved to the copy's
 * address, or SPP_XOL_STEP when the copy is out of reach (+-2 GiB).
 */
#ifndef SPP_TRACER_RT_XOL_H
#define SPP_TRACER_RT_XOL_H

#include <stddef.h>
#include <stdint.h>

#define SPP_XOL_SLOT 64u  /* bytes per slot: code, then the owner (below) */
#define SPP_XOL_CODE 29u  /* 15-byte instruction + 14-byte absolute jmp back */
#define SPP_XOL_OWNER 48u /* offset of the original address (8 bytes) and length (1) */

enum spp_xol_how {
    SPP_XOL_STEP = 0, /* not planned: single-step it */
    SPP_XOL_COPY = 1, /* run the slot: the copy, then a jump to addr + len */
    SPP_XOL_JUMP = 2, /* an unconditional relative jmp: rip = *target */
};

/* Plan leaving the instruction at addr whose original bytes are code[0..avail)
   (avail <= 15; bytes past avail are unknown). On COPY, slot (SPP_XOL_SLOT
   bytes, to live at slot_addr) is filled; on JUMP, *target is where it goes.
   Returns the plan; the slot is untouched for STEP. */
enum spp_xol_how spp_xol_plan(const uint8_t *code, size_t avail, uint64_t addr, uint8_t *slot,
                              uint64_t slot_addr, uint64_t *target);

/* Length of the instruction at code[0..avail) if the decoder knows it, else 0. */
size_t spp_xol_length(const uint8_t *code, size_t avail);

#endif
