/*
 * vg_engine_int.h - run/-private: what the Valgrind engine's files share
 * (vg_engine.c runs it, describe.c words its findings, wire.c carries a trace
 * from the memcheck child to the parent, merge.c folds it into the ptrace
 * trace).
 */
#ifndef SPP_RUN_VG_ENGINE_INT_H
#define SPP_RUN_VG_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "run/engine.h"
#include "tracer/model.h"
#include "tracer/target.h"

struct dw_index;
struct tr_result;

/* How a Valgrind run went, beside its trace. */
struct vg_run_info {
    int ok;                    /* a trace was produced */
    int sparse;                /* it is an unstopped run's (tracer/errwatch.h):
                                  one step per error, placed by run/place.c */
    char error[TR_ERRBUF_LEN]; /* why not */
    double ms;                 /* the run, valgrind's start to its end */
};

/* ---- describe.c ---------------------------------------------------------- */

/* The stepper's mc_convert hook (step.h): memcheck records as readable
   findings with user stacks, in a's memory. NULL when out of memory. */
struct tr_mc_error *vg_describe(void *ctx, struct tr_arena *a, const struct dw_index *ix,
                                const struct tr_tool_error *e, size_t n);

struct vg_leak_totals {
    uint64_t definite_bytes, definite_blocks;
    uint64_t indirect_bytes, indirect_blocks;
    uint64_t possible_bytes, possible_blocks;
    uint32_t records;
};

/* Sums of t->end_errors' leak records. */
void vg_leak_totals(const struct tr_trace *t, struct vg_leak_totals *out);

/* After a Valgrind run: each finding about an uninitialised value names
   the variables of its function that are uninitialised at that step (the
   step's V-bits); each finding about a block names the variables that
   point to it. -1 when out of memory. */
int vg_name_uninit(struct tr_trace *t);

/* The block m is about, from the words vg_describe wrote into m->block
   ("N bytes after|inside|before a block of S bytes ..." at m->addr): its
   base and size. 0 when m is about no block. */
int vg_block_of(const struct tr_mc_error *m, tr_addr *base, uint64_t *size);

/* After a Valgrind run (or a merge): steps carrying findings stay visible,
   and the last step's message lists the leaks. -1 when out of memory. */
int vg_finish_trace(struct tr_trace *t);

/* ---- wire.c ---------------------------------------------------------------- */

/* info and the trace (t may be NULL: none) to fd. TR_ERR_SYS when a write
   failed. */
enum tr_err vg_wire_write(int fd, const struct vg_run_info *info, const struct tr_trace *t) TR_WUR;

/* The stream back: *info always, *out a new trace (arena capped at
   arena_cap, output at out_cap bytes) or NULL when the run had none.
   TR_ERR_PROTOCOL for an incomplete or malformed stream. */
enum tr_err vg_wire_read(const uint8_t *buf, size_t len, size_t arena_cap, size_t out_cap,
                         struct vg_run_info *info, struct tr_trace **out, char *errbuf) TR_WUR;

/* ---- merge.c --------------------------------------------------------------- */

/* n findings e copied into a's memory, after `extra` empty slots. NULL
   (or *bad set) when out of memory. */
struct tr_mc_error *vg_dup_errors(struct tr_arena *a, const struct tr_mc_error *e, uint32_t n,
                                  uint32_t extra, int *bad);

/* The findings of vs onto ps (appended after any it has; its text too).
   -1 when out of memory. */
int vg_fold_errors(struct tr_trace *pt, struct tr_step *ps, const struct tr_step *vs);

/* The Valgrind trace vg (owned: consumed) into res: findings and
   "<UNINITIALIZED>" folded into res->trace step by step when the two runs
   took the same steps; res->trace replaced by vg when they did not. Sets
   res->memcheck_ran, memcheck_note, and memcheck_partial when only part of
   the findings made it (Valgrind stopped early). */
void vg_merge(struct tr_result *res, struct tr_trace *vg);

/* ---- place.c --------------------------------------------------------------- */

#define VG_MAX_ERRORS 1000        /* findings an unstopped run records */
#define VG_NOWHERE ((size_t)-1)

/* Which step of the native trace pt the error step e of an unstopped run
   (tracer/errwatch.h) happened on: the last step with clock <= e's at e's
   function, line and depth (the earliest of those sharing its clock);
   *exact = 0 when none is, and it is the last step with clock <= e's (e
   without user frames: the earliest step at that clock, exact).
   VG_NOWHERE when e's clock is past pt's last step. */
size_t vg_place_step(const struct tr_trace *pt, const struct tr_step *e, int *exact);

/* The sparse trace of an unstopped Valgrind run (owned: consumed) into res:
   each finding onto the native step it happened on (by clock, function,
   line and depth; tracer/errwatch.h), its addresses moved to the native
   run's by allocation order, then worded from that step's state. Sets
   res->memcheck_ran and memcheck_note. */
void vg_place(struct tr_result *res, struct tr_trace *vg);

#endif
