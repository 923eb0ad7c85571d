/*
 * agent_wire.h - the packets the in-process agent sends (tracer/rt/agent.h),
 * decoded and checked. The agent lives in the user's program, so each
 * packet is untrusted input: these are pure functions of its bytes (no
 * process, no socket), every rule about them in one place, fuzzed by
 * tests/fuzz/fuzz_agent.c. agent_target.c does the waiting and the
 * process plumbing around them.
 *
 * Each takes the packet as recv(MSG_TRUNC) gave it: buf of cap bytes and n
 * its result, the packet's real length (more than cap when the packet was
 * cut; negative on error). Nothing past min(n, cap) is read.
 */
#ifndef SPP_TARGETS_AGENT_AGENT_WIRE_H
#define SPP_TARGETS_AGENT_AGENT_WIRE_H

#include <stddef.h>
#include <sys/types.h>

#include "tracer/err.h"
#include "tracer/rt/agent.h"

/* 1 when the packet is exactly a HELLO: the agent is there. */
int ag_wire_hello(const void *buf, size_t cap, ssize_t n);

enum ag_wire_event {
    AG_WIRE_STOP,  /* *stop holds it, its signal in 1..64 */
    AG_WIRE_ERROR, /* the agent gave up: errbuf has its text, printable */
    AG_WIRE_BAD,   /* anything else: errbuf says what */
};

/* A packet that came while the program ran. errbuf: TR_ERRBUF_LEN. */
enum ag_wire_event ag_wire_event(const void *buf, size_t cap, ssize_t n,
                                 struct spp_agent_stop *stop, char *errbuf);

/* A REPLY to READ, WRITE or POKE that asked for want bytes (0 but for
   READ): TR_OK with the agent's *status and, when that is 0, the want
   bytes in data; TR_ERR_PROTOCOL (errbuf says so) when it is anything
   else, too short for a header included. */
enum tr_err ag_wire_reply(const void *buf, size_t cap, ssize_t n, void *data, size_t want,
                          int *status, char *errbuf) TR_WUR;

#endif
