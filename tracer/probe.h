/*
 * probe.h - what this machine lets us do, found out once at start-up.
 *
 * Each capability is tried for real in a throw-away child: PTRACE_TRACEME
 * and a process_vm_readv of the stopped child, loading our seccomp filter,
 * new namespaces (network/IPC/UTS, mount, pid, user), switching to another
 * uid, `valgrind --version`, a socketpair for the agent engine, and which
 * Landlock ABI the kernel offers. Nothing is assumed from the kernel version
 * or the uid: AWS Lambda blocks ptrace even for the tracee itself.
 *
 * Cost: a few forks, about 2-3 ms. The long-lived front doors (serve,
 * bootstrap) probe once, log it and hand the compact form to every tracer
 * they spawn in TR_PROBE_ENV; the environment is set by them, never by a
 * request. A tracer started by hand probes for itself.
 */
#ifndef SPP_TRACER_PROBE_H
#define SPP_TRACER_PROBE_H

#include <stddef.h>

#include "tracer/err.h"

#define TR_PROBE_ENV "SPP_PROBE"
#define TR_PROBE_TEXT_LEN 160 /* the compact form, NUL included */
#define TR_PROBE_JSON_LEN 512

struct tr_probe {
    int ptrace;      /* PTRACE_TRACEME and stopping a child work */
    int process_vm;  /* process_vm_readv of a traced child works */
    int seccomp;     /* our filter loads (with no_new_privs) */
    int netns;       /* unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) */
    int mountns;     /* a private mount namespace made read-only, with a bind */
    int pidns;       /* unshare(CLONE_NEWPID), then a child is pid 1 */
    int userns;      /* unshare(CLONE_NEWUSER) (reported, not used) */
    int setuid;      /* switching to another uid works */
    int valgrind;    /* valgrind answers --version */
    int notify;      /* a seccomp filter with a user-notification listener loads */
    int landlock;    /* the Landlock ABI the kernel offers (0: none) */
    int landlock_off; /* SPP_LANDLOCK=off: not to be used (tests) */
    int agent;       /* the agent engine's channel (a SOCK_SEQPACKET socketpair) works */
    char valgrind_version[32];
    double ms;       /* what probing cost */
};

/* Try everything. Never fails: what cannot be tried is absent. */
void tr_probe_run(struct tr_probe *p);

/* The compact form for TR_PROBE_ENV ("v1 ptrace=1 ..."), and back.
   tr_probe_decode returns TR_ERR_BADREQ for text it does not know. */
enum tr_err tr_probe_encode(const struct tr_probe *p, char *buf, size_t len) TR_WUR;
enum tr_err tr_probe_decode(const char *text, struct tr_probe *p) TR_WUR;

/* The probe as one JSON object (for the log line), with the engine and
   mechanisms it leads to (valgrind_built: the Valgrind engine exists). */
void tr_probe_json(const struct tr_probe *p, int valgrind_built, char *buf, size_t len);

/* The probe for this process: TR_PROBE_ENV when set and valid, else
   tr_probe_run. *ran says which (1: probed now). */
void tr_probe_get(struct tr_probe *p, int *ran);

/* Which engine runs programs here ("ptrace", "valgrind" or NULL for none),
   given what is built in (valgrind_built: the Valgrind engine exists). */
const char *tr_probe_engine(const struct tr_probe *p, int valgrind_built);

#endif
