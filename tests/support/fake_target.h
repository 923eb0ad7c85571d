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

#endif
