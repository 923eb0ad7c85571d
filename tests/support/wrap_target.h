/*
 * wrap_target.h - a tr_target in front of another, for unit tests of the
 * loops that drive a target (tracer/step.c, tracer/errwatch.c): it passes
 * every operation on, counting what was asked, and can answer "timed out"
 * at a chosen wait instead of waiting - a deadline that passes without
 * the test depending on the clock. It offers the inner target's operations
 * less V-bits and memory writes (a plain target).
 */
#ifndef SPP_TESTS_WRAP_TARGET_H
#define SPP_TESTS_WRAP_TARGET_H

#include "tracer/target.h"

struct wrap_counts {
    int timeout_at;  /* set by the test: wait number N (from 1) times out; 0: never */
    int bps_planted; /* breakpoints inserted */
    int waits;       /* waits asked for */
    int stops;       /* waits that ended in a stop */
    int kills;
};

/* inner behind a wrapper that updates *counts (zeroed here, timeout_at
   kept). Destroying the wrapper destroys inner. NULL when out of memory
   (inner is destroyed then too). */
struct tr_target *wrap_target(struct tr_target *inner, struct wrap_counts *counts);

#endif
