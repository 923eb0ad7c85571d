/*
 * monitor_int.h - folder-private: decoders of memcheck monitor command
 * output, which comes back as console text (qRcmd 'O' packets), not XML.
 */
#ifndef SPP_TARGETS_VALGRIND_MONITOR_INT_H
#define SPP_TARGETS_VALGRIND_MONITOR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tracer/err.h"
#include "tracer/target.h"
#include "targets/valgrind/errs_int.h"

/* `get_vbits addr n` output ("ffffffff 00ffffff ...") into out[0..n); an
   unaddressable byte ("__") reads as 0 (target.h's read_vbits) and is
   counted in *unaddressable. TR_ERR_PROTOCOL when the text is not that. */
enum tr_err vg_mon_vbits(const char *text, size_t len, uint8_t *out, size_t n,
                         size_t *unaddressable, char *errbuf) TR_WUR;

/* `check_memory defined addr n` output: *bad = addr+n when all is
   defined, else the first byte that is not (*unaddr: it is unaddressable
   rather than undefined). TR_ERR_PROTOCOL for any other text. */
enum tr_err vg_mon_check(const char *text, size_t len, tr_addr addr, size_t n, tr_addr *bad,
                         int *unaddr, char *errbuf) TR_WUR;

/* `leak_check full ... any` output: one record per loss record, kind
   "Leak_DefinitelyLost" etc. as in the XML, size = bytes, blocks, stack =
   the allocation stack. */
enum tr_err vg_mon_leaks(const char *text, size_t len, struct vg_errs *out) TR_WUR;

#endif
