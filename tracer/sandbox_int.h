/*
 * sandbox_int.h - what sandbox.c (the child side) and sandbox_seccomp.c
 * (building the filter) share: the compiled filter and its placeholders.
 *
 * The filter is compiled once in the parent with libseccomp; the child only
 * copies it, puts its own pid where the placeholders are, and loads it: no
 * allocation between fork and exec. Rules about "the program itself" (kill
 * only yourself or your process group) need that pid, which only exists
 * after fork - and, in a pid namespace, only as the child sees it.
 */
#ifndef SPP_TRACER_SANDBOX_INT_H
#define SPP_TRACER_SANDBOX_INT_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* Never a pid (pid_max is at most 2^22) and never a constant of ours. */
#define TR_SB_SELF     0x3eadbeefu
#define TR_SB_NEG_SELF ((uint32_t)-(int32_t)TR_SB_SELF)

#define TR_SB_FILTER_MAX 2048 /* instructions per program (the kernel allows 4096) */

/* Two programs, loaded in order; the strictest answer of the two wins.
   deny: default allow, the denied calls and argument values.
   self: default deny, every call allowed but those aimed at a process,
   which are allowed only at the program itself (the complement of a set
   cannot be written as one libseccomp rule, a default can). */
struct tr_sandbox_filter {
    struct sock_filter deny[TR_SB_FILTER_MAX];
    size_t ndeny;
    struct sock_filter self[TR_SB_FILTER_MAX];
    size_t nself;
};

#endif
