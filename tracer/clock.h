/*
 * clock.h - the one monotonic clock: every deadline and every measured
 * duration (trace, compile, request, start-up) reads CLOCK_MONOTONIC here,
 * so wall-clock jumps never end a run early or skew a timing.
 */
#ifndef SPP_TRACER_CLOCK_H
#define SPP_TRACER_CLOCK_H

#include <stdint.h>

/* Whole milliseconds: the unit of every deadline. */
int64_t tr_now_ms(void);
/* Milliseconds with sub-millisecond precision, for durations that are
   reported (a start-up of a few ms must not round to 0 or 1). */
double tr_mono_ms(void);

#endif
