/*
 * agent_target.h - the in-process target: an agent linked into the program
 * (tracer/rt/agent.c) serves the target operations over a channel, so it
 * needs neither ptrace nor Valgrind (docs/agent.md).
 */
#ifndef SPP_TARGETS_AGENT_AGENT_TARGET_H
#define SPP_TARGETS_AGENT_AGENT_TARGET_H

#include "tracer/target.h"

/* Spawns the program stopped in the agent's constructor, before main. On
   failure *out is untouched and errbuf (TR_ERRBUF_LEN) says why. */
enum tr_err tr_agent_open(const struct tr_launch *l, struct tr_target **out,
                          char *errbuf) TR_WUR;

#endif
