/*
 * fake_target.h - a tr_target over scripted memory and registers, for unit
 * tests of everything above the target interface (value reader, encoders).
 * Memory is a list of regions; reads outside them fail like unmapped pages.
 */
#ifndef SPP_TESTS_FAKE_TARGET_H
#define SPP_TESTS_FAKE_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/target.h"

struct tr_target *fake_target_new(void);
/* Map len bytes at addr (copied). Returns 0, -1 when out of regions. */
int fake_target_map(struct tr_target *t, tr_addr addr, const void *bytes, size_t len);
/* Registers returned by tr_target_regs. */
void fake_target_set_regs(struct tr_target *t, const struct tr_regs *r);
/* How many reads reached the target (to check caching). */
size_t fake_target_reads(const struct tr_target *t);

/* A fake memcheck target (TR_CAP_VBITS): mapped bytes are addressable and
   defined until told otherwise. */
struct tr_target *fake_target_new_vbits(void);
/* V-bits of [addr, addr+len) (mapped), one byte of bits per byte. */
int fake_target_set_vbits(struct tr_target *t, tr_addr addr, const uint8_t *bits, size_t len);
/* Make [addr, addr+len) (mapped) unaddressable, as memcheck sees a popped
   frame or a freed block. */
int fake_target_noaccess(struct tr_target *t, tr_addr addr, size_t len);
/* How many check_defined questions and read_vbits bytes reached it. */
size_t fake_target_checks(const struct tr_target *t);
size_t fake_target_vbits_bytes(const struct tr_target *t);

#endif
