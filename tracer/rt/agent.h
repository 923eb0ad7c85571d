/*
 * agent.h - the wire between the in-process agent (agent.c, linked into
 * every traced program) and the agent target in the tracer
 * (tracer/agent_target.c). See docs/agent.md.
 *
 * One SOCK_SEQPACKET socketpair: every message is one packet, so neither
 * side ever parses a byte stream. The agent speaks first (HELLO, from its
 * constructor, before main), then every stop is one STOP packet and the
 * agent waits, inside its signal handler, for commands until RESUME.
 * Everything the agent sends is untrusted: the tracer checks magic, kind
 * and the exact size of every packet.
 */
#ifndef SPP_TRACER_RT_AGENT_H
#define SPP_TRACER_RT_AGENT_H

#include <stdint.h>

#define SPP_AGENT_FD      3           /* where the channel sits in the program */
#define SPP_AGENT_ENV     "SPP_AGENT" /* "3" (SPP_AGENT_FD) in agent runs, "-" in others */
#define SPP_AGENT_MAGIC   0x41505053u /* "SPPA" */
#define SPP_AGENT_MAX_READ 65536u     /* bytes per READ reply */
#define SPP_AGENT_MAX_POKES 2048u     /* pokes per command packet */
#define SPP_AGENT_MAX_BPS 32768u      /* breakpoints the agent can hold */
#define SPP_AGENT_MSG_LEN 200u        /* ERROR text, NUL included */
#define SPP_AGENT_MAX_WRITE 4096u     /* bytes per WRITE command */

/* Agent -> tracer. */
enum spp_agent_kind {
    SPP_AGENT_HELLO = 1, /* the constructor ran; the program is stopped before main */
    SPP_AGENT_STOP = 2,  /* a caught signal; the program waits for commands */
    SPP_AGENT_ERROR = 3, /* the agent cannot go on; msg says why (then it exits) */
    SPP_AGENT_REPLY = 4, /* answer to READ / POKE: status, then data */
};

struct spp_agent_stop {
    uint32_t magic, kind;
    int32_t signo, code; /* si_signo, si_code */
    uint64_t addr;       /* si_addr */
    uint32_t stepping;   /* 1: raised by the instruction under a breakpoint
                            being stepped off (so an int3 there is the
                            program's own) */
    uint32_t pad;
    uint64_t rip, rsp, rbp, rax, rdx, rdi, rsi, eflags;
    uint8_t xmm0[16], xmm1[16], st0[16];
};

struct spp_agent_error {
    uint32_t magic, kind;
    char msg[SPP_AGENT_MSG_LEN];
};

/* REPLY header; READ data follows it in the same packet. */
struct spp_agent_reply {
    uint32_t magic, kind;
    int32_t status; /* 0 ok, else an errno value */
    uint32_t len;   /* bytes of data that follow */
};

/* Tracer -> agent. */
enum spp_agent_op {
    SPP_AGENT_READ = 1,   /* addr, len: reply with the bytes or EFAULT */
    SPP_AGENT_POKE = 2,   /* npokes pokes follow: reply with status */
    SPP_AGENT_RESUME = 3, /* pokes, then go on; no reply (a STOP or ERROR comes
                             instead when something fails) */
    SPP_AGENT_WRITE = 4,  /* addr, len: the len bytes that follow the command
                             (npokes 0) go to addr; reply with status. Only
                             into the stopped main thread's live stack,
                             [rsp - 128 (red zone), the stack's start):
                             EFAULT elsewhere, so a bad address never
                             faults the agent. */
};

#define SPP_AGENT_ARM    1 /* put int3 at addr, keeping the byte under it */
#define SPP_AGENT_DISARM 2 /* put the kept byte back */

struct spp_agent_poke {
    uint64_t addr;
    uint32_t op, pad;
};

struct spp_agent_cmd {
    uint32_t magic, op;
    uint64_t addr;     /* READ, WRITE */
    uint64_t len;      /* READ, WRITE */
    uint64_t set_rip;  /* RESUME: 0 = leave rip */
    uint64_t step_off; /* RESUME: run the instruction under this armed
                          breakpoint once (TF), then re-arm it */
    int32_t signo;     /* RESUME: deliver this signal (0: none) */
    uint32_t npokes;   /* pokes that follow */
};

#endif
