/*
 * sandbox.h - limits and isolation applied to every process we start from
 * untrusted input (the compiler, the traced program, Valgrind).
 *
 * Two halves. tr_sandbox_exec() runs in the child between fork() and exec()
 * and only makes async-signal-safe calls: own process group, stdin/stdout/
 * stderr, every other descriptor closed, fresh network/IPC/UTS namespaces,
 * a private mount namespace in which everything is read-only but the run
 * directory, the rlimits of security.md, an allow-listed environment, an
 * unprivileged uid of the run's own, and last the seccomp filter. The
 * jail (tr_jail_*) is the parent's side of one run: every process started
 * while it is open lives in one pid namespace that dies with it, or - where
 * namespaces do not exist - the caller is a subreaper that sweeps whatever
 * is left.
 *
 * Which mechanisms exist is decided once by the start-up probe (probe.h);
 * tr_sandbox_init turns its answer into a struct tr_sandbox. Caveat: with
 * no uid of its own (AWS Lambda: one uid for everything) RLIMIT_NPROC
 * counts the service's processes too, so it is set to what the uid runs at
 * launch plus TR_LIMIT_NPROC; and root ignores RLIMIT_NPROC entirely.
 */
#ifndef SPP_TRACER_SANDBOX_H
#define SPP_TRACER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer/err.h"

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
#define TR_LIMIT_COMPILE_FSIZE    (64ull << 20) /* the program, and the compiler's
                                                   diagnostics file */
#define TR_LIMIT_DIAGNOSTICS      (64u << 10)
#define TR_LIMIT_RUN_DIR          (160ull << 20) /* everything in the run directory */
#define TR_LIMIT_RUN_DIR_FILES    4096

/* A run directory is <TMPDIR>/TR_RUN_DIR_PREFIX<6 random characters>
   (mkdtemp). A name says nothing of who made it: the Lambda bootstrap
   gives its tracers a TMPDIR of its own to sweep (lambda/reaper.h). */
#define TR_RUN_DIR_PREFIX "spp-run-"

/* Each run's processes get a uid (and gid) of their own, TR_SANDBOX_UID_BASE
   plus the tracer's pid: concurrent runs never share RLIMIT_NPROC's count
   or each other's files. No passwd entry exists for them. */
#define TR_SANDBOX_UID_BASE 2000000000u

struct tr_limits {
    int64_t wall_ms;
    unsigned cpu_soft_s, cpu_hard_s;
    uint64_t as_bytes;    /* 0: unlimited */
    uint64_t stack_bytes;
    unsigned nproc;       /* processes and threads; 0: do not set */
    unsigned nofile;
    uint64_t fsize;
};

struct tr_probe;
struct tr_sandbox_filter; /* a compiled seccomp program, see tr_sandbox_init */

/* Mechanisms beyond rlimits, process group and environment, as decided by
   tr_sandbox_init. All zero = none of them. */
struct tr_sandbox {
    int seccomp;    /* load the untrusted-code filter (needs filter) */
    int netns;      /* fresh network, IPC and UTS namespaces per process */
    int mountns;    /* private mount namespace: read-only but the run dir */
    int pidns;      /* runs use a pid namespace (tr_jail_open) */
    uid_t uid;      /* run processes as uid/gid, no groups; 0: keep ours */
    gid_t gid;
    int shared_uid; /* the program shares the service's uid (no uid of its own) */
    int landlock;   /* Landlock ABI to confine file access with (sandbox_landlock.h);
                       0: none. Used where there is no private mount namespace */
    const char *const *landlock_ro; /* more read-only paths (NULL-terminated; the
                                       runtime object, the PCH directory), may be NULL;
                                       also kept visible under a private /tmp */
    int watch;      /* report names created to the run's watcher (sandbox_watch.h) */
    int watch_sock; /* ... over this socket (with watch) */
    const struct tr_sandbox_filter *filter;
};

void tr_limits_default(struct tr_limits *l);

/* The strongest isolation the probe allows. Builds the seccomp filter when
   seccomp is available; free it with tr_sandbox_free. On failure errbuf
   (TR_ERRBUF_LEN) says why. */
enum tr_err tr_sandbox_init(struct tr_sandbox *sb, const struct tr_probe *p,
                            char *errbuf) TR_WUR;
void tr_sandbox_free(struct tr_sandbox *sb); /* frees the filter; NULL ok */

/* Build the untrusted-code seccomp filter (malloc'd; tr_sandbox_filter_free). */
enum tr_err tr_sandbox_filter_new(struct tr_sandbox_filter **out, char *errbuf) TR_WUR;
void tr_sandbox_filter_free(struct tr_sandbox_filter *f); /* NULL ok */

/* RLIMIT_NPROC for a launch: TR_LIMIT_NPROC with a uid of its own, else
   what our uid runs now plus TR_LIMIT_NPROC. Call in the parent. */
unsigned tr_sandbox_nproc(const struct tr_sandbox *sb);

struct tr_launch;

/* In the child after fork(): never returns. On failure it _exit(127)s after
   writing a short reason to the program's stderr. argv is passed to execve
   (argv[0] is the path). traceme: PTRACE_TRACEME before the filter (which
   denies ptrace) is loaded. l->sandbox may be NULL: no extra isolation. */
void tr_sandbox_exec(const struct tr_launch *l, const char *const argv[],
                     int traceme) __attribute__((noreturn));

/* Everything tr_sandbox_exec does but building the environment and the
   execve: the calling child is then isolated and runs on (tests, helpers
   that run our own code). Never returns on failure (_exit(127)). */
void tr_sandbox_enter(const struct tr_launch *l, int traceme);

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

/* The pid of a process as its own pid namespace sees it (the last NSpid of
   /proc/PID/status), e.g. for tools that name files after getpid();
   pid itself when it has no namespace of its own or on any failure. */
pid_t tr_sandbox_ns_pid(pid_t pid);

/* ---- the jail: one run's processes -------------------------------------- */

struct tr_jail;

/* Open before starting a run's first process (single-threaded callers
   only: it changes where this process's next children are created). With
   sb->pidns every child started until tr_jail_close lives in a new pid
   namespace whose init dies with us; otherwise this process becomes a
   child subreaper so orphans come back to it. Free with tr_jail_close. */
enum tr_err tr_jail_open(const struct tr_sandbox *sb, struct tr_jail **out,
                         char *errbuf) TR_WUR;
/* Make dir (empty, ours) the run directory: with a mount namespace, a
   tmpfs of TR_LIMIT_RUN_DIR bytes and TR_LIMIT_RUN_DIR_FILES files owned by
   uid/gid, mode 0700, seen only by this process and its children (so many
   files just under RLIMIT_FSIZE cannot fill the disk, and its contents go
   with the namespace even if we are killed); without one, chown only.
   tr_jail_close unmounts it; the caller removes dir after. */
enum tr_err tr_jail_run_dir(struct tr_jail *j, const char *dir, uid_t uid, gid_t gid,
                            char *errbuf) TR_WUR;

/* Kill every process started since the jail opened (including daemons that
   left their process group or session) and reap them; put the process back
   in its own pid namespace. Returns how many were still alive (0 when
   everything had ended), -1 when some could not be killed. NULL ok. */
int tr_jail_close(struct tr_jail *j);

/* SIGKILL and reap every child of this process (a subreaper's sweep), over
   rounds until none is left, but the nskip pids in skip. Returns how many
   were killed (not yet zombies), -1 when some survived every round. */
int tr_sandbox_sweep_children(const pid_t *skip, size_t nskip);

/* ---- the installation seen by the run's uid -------------------------------- */

/* Can uid/gid (no supplementary groups, not root) search every directory on
   the way to path (symlinks resolved) and read path? 1 yes; 0 no, and why
   (why_len bytes) names the first file or directory in the way and its
   mode. Mode bits only: ACLs are not consulted. */
int tr_sandbox_readable_by(const char *path, uid_t uid, gid_t gid, char *why, size_t why_len);

/* Show the directory src at dst (an empty directory we create inside the
   run directory) in the jail's mount namespace, for a run uid that cannot
   walk to src where it lives (a checkout under a 0700 home). Needs a jail
   with a mount namespace (TR_ERR_UNSUPPORTED otherwise). tr_jail_unbind
   removes it again; tr_jail_close detaches it in any case. */
enum tr_err tr_jail_bind(struct tr_jail *j, const char *src, const char *dst,
                         char *errbuf) TR_WUR;
void tr_jail_unbind(struct tr_jail *j, const char *dst);

/* Remove dir and everything below it, whatever the modes the program left
   (chmod 000 included); symlinks are removed, never followed; stays on
   dir's file system. 0, or -1 when something is left. */
int tr_sandbox_remove_tree(const char *dir);

#endif
