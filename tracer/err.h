/*
 * err.h - the tracer layer's error codes.
 *
 * One enum for tracer/, the targets and run/ (each target implements
 * target.h, so it speaks tr_err). 0 is success; codes are appended, never
 * renumbered.
 * "Not found" is a result, not an error. Lower layers' codes (dw_err, errno,
 * GDB remote replies) are translated at the boundary and never leak upward.
 */
#ifndef SPP_TRACER_ERR_H
#define SPP_TRACER_ERR_H

#include <stddef.h>

#define TR_ERRBUF_LEN 256 /* size of every caller-supplied error buffer */

enum tr_err {
    TR_OK = 0,
    TR_ERR_NOMEM,       /* allocation failed or a buffer cap was reached */
    TR_ERR_SYS,         /* a system call failed (details in errbuf) */
    TR_ERR_MEM,         /* target memory could not be read or written */
    TR_ERR_PROTOCOL,    /* the target answered something unexpected */
    TR_ERR_GONE,        /* the target process no longer exists */
    TR_ERR_TIMEOUT,     /* a time limit expired */
    TR_ERR_DWARF,       /* the debug information could not be used */
    TR_ERR_COMPILE,     /* the compiler could not be run (not a user error) */
    TR_ERR_BADREQ,      /* the request is malformed (details in errbuf) */
    TR_ERR_UNSUPPORTED, /* the target cannot do this */
    TR_ERR_LIMIT        /* a resource limit of ours was reached */
};

#define TR_WUR __attribute__((warn_unused_result))

/* Static text for a code; never NULL. */
const char *tr_strerror(enum tr_err e);

#endif
