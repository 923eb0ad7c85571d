/*
 * delta.h - what one step changed relative to the step before it: which
 * variables of which frame, which globals, which heap elements, and which
 * heap blocks appeared or were freed. Computed from two steps of the trace
 * model (no second tracer pass); the JSON encoders write it as the step's
 * "changes" field and the text encoder shows it as old -> new.
 */
#ifndef SPP_TRACER_DELTA_H
#define SPP_TRACER_DELTA_H

#include <stddef.h>

#include "tracer/model.h"

enum tr_chg_scope { TR_CHG_LOCAL, TR_CHG_GLOBAL, TR_CHG_HEAP };

/* More changed leaves than this under one variable or block (an array
   filled, a struct assigned) are reported as the whole variable. */
#define TR_DELTA_COLLAPSE 8

struct tr_change {
    enum tr_chg_scope scope;
    uint32_t frame;             /* LOCAL: index into the step's frames */
    tr_addr block;              /* HEAP: the block's key */
    char *path;                 /* "i", "p.x", "a[2][1]"; HEAP: "[3].value", "" = the whole block */
    const struct tr_value *old; /* NULL: the variable appeared (or the frame is new) */
    const struct tr_value *now;
};

struct tr_delta {
    struct tr_change *ch;
    size_t n, cap;
    tr_addr *born, *freed; /* heap blocks that appeared / were freed */
    size_t nborn, nfreed;
    uint8_t *frame_new; /* per frame of the step: not on the previous step */
    uint32_t nframes;
};

/* The changes of cur relative to prev (NULL: cur is the first step, so
   everything on it is new). Returns 0, or -1 when out of memory (d is then
   empty). Free with tr_delta_free. */
int tr_delta_compute(const struct tr_step *prev, const struct tr_step *cur, struct tr_delta *d);
void tr_delta_free(struct tr_delta *d);

#endif
