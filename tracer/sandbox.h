/*
 * sandbox.h - limits and isolation applied to every process we start from
 * untrusted input (the compiler, the traced program, Valgrind).
 *
 * tr_sandbox_child() runs in the child between fork() and exec(): it may
 * only use async-signal-safe calls. It puts the child in its own process
 * group, installs stdin/stdout/stderr, closes every other descriptor, sets
 * rlimits and an allow-listed environment, then applies the optional
 * stronger mechanisms (seccomp, namespaces, uid) that the start-up probe found.
 */
#ifndef SPP_TRACER_SANDBOX_H
#define SPP_TRACER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Defaults from security.md; a request may lower them, never raise them. */
#define TR_LIMIT_WALL_MS          10000
#define TR_LIMIT_WALL_MEMCHECK_MS 30000
#define TR_LIMIT_CPU_SOFT_S       5
#define TR_LIMIT_CPU_HARD_S       6
#define TR_LIMIT_AS               (256ull << 20)
#define TR_LIMIT_AS_VALGRIND      (1024ull << 20)
#define TR_LIMIT_STACK            (64ull << 20)
#define TR_LIMIT_NPROC            16
#define TR_LIMIT_NOFILE           64
#define TR_LIMIT_FSIZE            (16ull << 20)
#define TR_LIMIT_OUTPUT           (64u << 10)  /* stdout, stderr each */
#define TR_LIMIT_TRACE_JSON       (32u << 20)
#define TR_LIMIT_COMPILE_WALL_MS  20000
#define TR_LIMIT_COMPILE_AS       (1536ull << 20)
#define TR_LIMIT_DIAGNOSTICS      (64u << 10)

struct tr_limits {
    int64_t wall_ms;
    unsigned cpu_soft_s, cpu_hard_s;
    uint64_t as_bytes;    /* 0: unlimited (Valgrind needs its own) */
    uint64_t stack_bytes;
    unsigned nproc;       /* 0: do not set (RLIMIT_NPROC is per uid) */
    unsigned nofile;
    uint64_t fsize;
};

/* Mechanisms beyond rlimits; which ones exist is decided by the start-up
   probe. All zero = rlimits, process group and environment only. */
struct tr_sandbox {
    int seccomp;   /* load the untrusted-code seccomp filter */
    int no_new_privs;
    uid_t uid;     /* drop to this uid/gid when nonzero */
    gid_t gid;
};

void tr_limits_default(struct tr_limits *l);

struct tr_launch;

/* In the child after fork(): never returns on failure, it _exit(127)s after
   writing a short reason to the original stderr. argv/envp are passed to
   execve. */
void tr_sandbox_exec(const struct tr_launch *l, const char *const argv[],
                     int traceme) __attribute__((noreturn));

/* Wait for pid (a process-group leader we started) until deadline_ms
   (CLOCK_MONOTONIC, 0 = none). 0: it ended, *status set; 1: the deadline
   passed and its group was killed (status set); -1: waitpid failed.
   Blocks SIGCHLD in the calling thread. */
int tr_sandbox_wait(pid_t pid, int64_t deadline_ms, int *status);

/* The environment every untrusted process gets: PATH, LANG, HOME/TMPDIR =
   run_dir. Writes into buf (caller storage), returns a NULL-terminated
   vector in vec (at least 8 slots). */
void tr_sandbox_env(const char *run_dir, char *buf, size_t buflen,
                    char **vec, size_t nvec);

#endif
