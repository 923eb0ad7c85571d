/*
 * ptrace_target.h - the native target: the program runs under ptrace
 * (ptrace_target.c says how it stays fast). Needs ptrace and
 * process_vm_readv, which AWS Lambda denies: run/ picks another engine
 * there.
 */
#ifndef SPP_TARGETS_PTRACE_PTRACE_TARGET_H
#define SPP_TARGETS_PTRACE_PTRACE_TARGET_H

#include "tracer/target.h"

/* Spawns the program stopped before its first instruction of user-visible
   code. On failure *out is untouched and errbuf (TR_ERRBUF_LEN) says why. */
enum tr_err tr_ptrace_open(const struct tr_launch *l, struct tr_target **out,
                           char *errbuf) TR_WUR;

#endif
