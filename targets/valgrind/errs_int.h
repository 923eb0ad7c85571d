/*
 * errs_int.h - folder-private: the memcheck error model. A store of
 * struct tr_tool_error records that both decoders fill (xml_errors.c from
 * memcheck's --xml stream, monitor.c from `monitor leak_check` text).
 *
 * Strings and frames live in an arena of chunks that never move, so the
 * pointers handed out in a stop stay valid until the store is freed; the
 * record vector itself may move when it grows, so callers take &v[i] only
 * after they stop adding. A record is built between vg_errs_begin() and
 * vg_errs_end(); stacks are assigned by memcheck's layout: the first is
 * where it happened, the first after an auxwhat is the block's stack, the
 * one after "Block was alloc'd at" is the allocation site.
 */
#ifndef SPP_TARGETS_VALGRIND_ERRS_INT_H
#define SPP_TARGETS_VALGRIND_ERRS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/target.h"

#define VGM_ERRS_BYTES   (32u << 20) /* arena cap per store */
#define VGM_ERRS_RECORDS 100000u     /* records per store */
#define VGM_STACK_FRAMES 512u        /* frames per stack (memcheck's --num-callers max is 500) */

struct vg_chunk;

enum vg_field { VGM_F_KIND, VGM_F_WHAT, VGM_F_AUXWHAT };

struct vg_errs {
    struct vg_chunk *chunks;
    size_t bytes;
    struct tr_tool_error *v; /* completed records */
    size_t n, cap;
    /* the record being built */
    int building;
    struct tr_tool_error cur;
    struct tr_tool_frame *fr; /* frames of the stack being built (heap) */
    size_t nfr, capfr;
    int nstacks, alloc_next;
    char *errbuf; /* TR_ERRBUF_LEN, caller's */
};

void vg_errs_init(struct vg_errs *e, char *errbuf);
/* Frees every record and string; the store can be used again after. */
void vg_errs_free(struct vg_errs *e);

/* A copy of s[0..n) with a NUL, owned by the store. */
enum tr_err vg_errs_strdup(struct vg_errs *e, const char *s, size_t n, const char **out) TR_WUR;

enum tr_err vg_errs_begin(struct vg_errs *e) TR_WUR;
enum tr_err vg_errs_text(struct vg_errs *e, enum vg_field f, const char *s, size_t n) TR_WUR;
void vg_errs_leak(struct vg_errs *e, uint64_t bytes, uint64_t blocks);
/* f's strings must come from vg_errs_strdup (or be NULL). More than
   VGM_STACK_FRAMES in one stack is TR_ERR_LIMIT (we run memcheck with far
   fewer). */
enum tr_err vg_errs_frame(struct vg_errs *e, const struct tr_tool_frame *f) TR_WUR;
enum tr_err vg_errs_stack_end(struct vg_errs *e) TR_WUR;
enum tr_err vg_errs_end(struct vg_errs *e) TR_WUR;
/* Drops a half-built record (after a decoder failed). */
void vg_errs_abort(struct vg_errs *e);

#endif
