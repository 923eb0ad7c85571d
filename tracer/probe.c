/*
 * probe.c - the start-up capability probe (see probe.h).
 *
 * Every check runs in a child that is thrown away, so a check that half
 * works (a namespace made, a uid dropped) changes nothing here. Children
 * report through their exit status or a pipe; each is killed and reaped
 * before the next check.
 */
#include "tracer/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracer/clock.h"
#include "tracer/sandbox.h"
#include "tracer/sandbox_landlock.h"
#include "tracer/sandbox_watch.h"

static int reap(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    return status;
}

/* PTRACE_TRACEME in a child that then stops itself, and a read of its
   memory. The child says over a pipe whether TRACEME worked; the read is
   tried on the stopped child either way. */
static void probe_ptrace(struct tr_probe *p)
{
    static volatile uint64_t marker = 0x53505052424f5045ull;
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return;
    }
    if (pid == 0) {
        char ok = ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? '1' : '0';
        if (write(fd[1], &ok, 1) != 1)
            _exit(1);
        kill(getpid(), SIGSTOP);
        _exit(0);
    }
    close(fd[1]);
    char ok = '0';
    if (read(fd[0], &ok, 1) != 1)
        ok = '0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, WUNTRACED | __WALL) < 0 && errno == EINTR)
        ;
    if (WIFSTOPPED(status)) {
        p->ptrace = ok == '1';
        uint64_t v = 0;
        struct iovec l = {&v, sizeof v}, r = {(void *)&marker, sizeof v};
        p->process_vm = process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)sizeof v &&
                        v == marker;
        kill(pid, SIGKILL);
        reap(pid);
    }
}

/* Loading a filter at all is the question (AWS Lambda: unverified); our
   own filter is built and loaded per launch. */
static void probe_seccomp(struct tr_probe *p)
{
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = {1, &allow};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
            _exit(1);
        _exit(0);
    }
    int status = reap(pid);
    p->seccomp = WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

enum { NS_NET = 1, NS_MOUNT = 2, NS_PID = 4, NS_SETUID = 8, NS_USER = 16 };

/* In a grandchild: 0 when fn succeeds there. */
static int in_grandchild(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn() == 0 ? 0 : 1);
    int status = reap(pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int is_pid1(void)
{
    return getpid() == 1 ? 0 : -1;
}

static int new_userns(void)
{
    return unshare(CLONE_NEWUSER);
}

/* What tr_sandbox_exec does for a private mount namespace. */
static int private_view(void)
{
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
    return unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
                   syscall(SYS_mount_setattr, -1, "/", AT_RECURSIVE, &ro, sizeof ro) ||
                   mount("/", "/", NULL, MS_BIND, NULL) ||
                   mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL)
               ? -1
               : 0;
}

static int ns_checks(void)
{
    int bits = 0;
    if (in_grandchild(new_userns) == 0)
        bits |= NS_USER;
    if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0)
        bits |= NS_NET;
    if (private_view() == 0)
        bits |= NS_MOUNT;
    if (unshare(CLONE_NEWPID) == 0 && in_grandchild(is_pid1) == 0)
        bits |= NS_PID;
    /* last: it drops what the checks above needed */
    gid_t g = (gid_t)TR_SANDBOX_UID_BASE;
    uid_t u = (uid_t)TR_SANDBOX_UID_BASE;
    if (syscall(SYS_setgroups, 0, NULL) == 0 && syscall(SYS_setresgid, g, g, g) == 0 &&
        syscall(SYS_setresuid, u, u, u) == 0)
        bits |= NS_SETUID;
    return bits;
}

static void probe_ns(struct tr_probe *p)
{
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0)
        _exit(ns_checks());
    int status = reap(pid);
    if (!WIFEXITED(status))
        return;
    int bits = WEXITSTATUS(status);
    p->netns = (bits & NS_NET) != 0;
    p->mountns = (bits & NS_MOUNT) != 0;
    p->pidns = (bits & NS_PID) != 0;
    p->setuid = (bits & NS_SETUID) != 0;
    p->userns = (bits & NS_USER) != 0;
}

/* Debian's /usr/bin/valgrind is a shell wrapper around valgrind.bin: ask
   the binary itself. No shell, no environment of ours. */
static void probe_valgrind(struct tr_probe *p)
{
    static const char *const paths[] = {"/usr/bin/valgrind.bin", "/usr/local/bin/valgrind",
                                        "/usr/bin/valgrind"};
    const char *exe = NULL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !exe; i++)
        if (access(paths[i], X_OK) == 0)
            exe = paths[i];
    if (!exe)
        return;
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0)
        return;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    char *const argv[] = {(char *)exe, "--version", NULL};
    char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
    int e = posix_spawn_file_actions_init(&fa);
    if (e == 0) {
        posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        e = posix_spawn(&pid, exe, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(fd[1]);
    if (e != 0) {
        close(fd[0]);
        return;
    }
    char out[64];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof out - 1 && (k = read(fd[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)k;
    close(fd[0]);
    out[n] = '\0';
    int status = reap(pid);
    out[strcspn(out, "\r\n")] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strncmp(out, "valgrind-", 9) != 0 ||
        strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(out))
        return;
    p->valgrind = 1;
    snprintf(p->valgrind_version, sizeof p->valgrind_version, "%s", out);
}

static void probe_agent(struct tr_probe *p)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return;
    close(sv[0]);
    close(sv[1]);
    p->agent = 1;
}

void tr_probe_run(struct tr_probe *p)
{
    double t0 = tr_mono_ms();
    memset(p, 0, sizeof *p);
    probe_ptrace(p);
    probe_seccomp(p);
    probe_ns(p);
    probe_valgrind(p);
    p->notify = p->seccomp && tr_watch_possible();
    p->landlock = tr_landlock_abi();
    p->landlock_off = tr_landlock_forced_off();
    probe_agent(p);
    p->ms = tr_mono_ms() - t0;
}

/* ---- the compact form ------------------------------------------------------ */

struct field {
    const char *name;
    size_t off;
};

#define FIELD(n, m) {n, offsetof(struct tr_probe, m)}
static const struct field fields[] = {
    FIELD("ptrace", ptrace), FIELD("pvm", process_vm), FIELD("seccomp", seccomp),
    FIELD("netns", netns),   FIELD("mountns", mountns), FIELD("pidns", pidns),
    FIELD("userns", userns), FIELD("setuid", setuid),  FIELD("valgrind", valgrind),
    FIELD("lloff", landlock_off), FIELD("notify", notify),
    FIELD("agent", agent),
};
#define LANDLOCK_ABI_MAX 99 /* a version the compact form can carry */

#define FLAG(p, f) (*(int *)((char *)(p) + (f)->off))

enum tr_err tr_probe_encode(const struct tr_probe *p, char *buf, size_t len)
{
    size_t used = 0;
    int n = snprintf(buf, len, "v1");
    if (n < 0 || (size_t)n >= len)
        return TR_ERR_NOMEM;
    used = (size_t)n;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        n = snprintf(buf + used, len - used, " %s=%d", fields[i].name,
                     FLAG((struct tr_probe *)p, &fields[i]) != 0);
        if (n < 0 || (size_t)n >= len - used)
            return TR_ERR_NOMEM;
        used += (size_t)n;
    }
    n = snprintf(buf + used, len - used, " landlock=%d",
                 p->landlock > 0 && p->landlock <= LANDLOCK_ABI_MAX ? p->landlock : 0);
    if (n < 0 || (size_t)n >= len - used)
        return TR_ERR_NOMEM;
    used += (size_t)n;
    if (p->valgrind_version[0]) {
        n = snprintf(buf + used, len - used, " vgver=%s", p->valgrind_version);
        if (n < 0 || (size_t)n >= len - used)
            return TR_ERR_NOMEM;
    }
    return TR_OK;
}

enum tr_err tr_probe_decode(const char *text, struct tr_probe *p)
{
    struct tr_probe q;
    memset(&q, 0, sizeof q);
    unsigned seen = 0;
    if (!text || strncmp(text, "v1", 2) != 0 || (text[2] != ' ' && text[2] != '\0'))
        return TR_ERR_BADREQ;
    for (const char *s = text + 2; *s;) {
        if (*s == ' ') {
            s++;
            continue;
        }
        size_t len = strcspn(s, " ");
        const char *eq = memchr(s, '=', len);
        if (!eq)
            return TR_ERR_BADREQ;
        size_t klen = (size_t)(eq - s), vlen = len - klen - 1;
        const char *v = eq + 1;
        if (klen == 5 && strncmp(s, "vgver", 5) == 0) {
            if (vlen == 0 || vlen >= sizeof q.valgrind_version ||
                strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-") < vlen)
                return TR_ERR_BADREQ;
            memcpy(q.valgrind_version, v, vlen);
        } else if (klen == 8 && strncmp(s, "landlock", 8) == 0) {
            if (vlen == 0 || vlen > 2 || strspn(v, "0123456789") < vlen)
                return TR_ERR_BADREQ;
            q.landlock = 0; /* one or two digits, checked above */
            for (size_t i = 0; i < vlen; i++)
                q.landlock = q.landlock * 10 + (v[i] - '0');
        } else {
            size_t i = 0;
            while (i < sizeof fields / sizeof fields[0] &&
                   (strlen(fields[i].name) != klen || strncmp(fields[i].name, s, klen) != 0))
                i++;
            if (i == sizeof fields / sizeof fields[0] || vlen != 1 || (v[0] != '0' && v[0] != '1'))
                return TR_ERR_BADREQ;
            FLAG(&q, &fields[i]) = v[0] == '1';
            seen |= 1u << i;
        }
        s += len;
    }
    if (seen != (1u << (sizeof fields / sizeof fields[0])) - 1)
        return TR_ERR_BADREQ; /* every flag must be said */
    *p = q;
    return TR_OK;
}

void tr_probe_get(struct tr_probe *p, int *ran)
{
    const char *env = getenv(TR_PROBE_ENV);
    if (env && tr_probe_decode(env, p) == TR_OK) {
        *ran = 0;
        return;
    }
    tr_probe_run(p);
    *ran = 1;
}

const char *tr_probe_engine(const struct tr_probe *p, int valgrind_built)
{
    if (p->ptrace)
        return "ptrace";
    /* The agent needs nothing the sandbox does not give every program: it
       is the fast engine wherever ptrace is denied (AWS Lambda). */
    if (p->agent)
        return "agent";
    if (valgrind_built && p->valgrind)
        return "valgrind";
    return NULL;
}

void tr_probe_json(const struct tr_probe *p, int valgrind_built, char *buf, size_t len)
{
    const char *engine = tr_probe_engine(p, valgrind_built);
    char vg[48];
    if (p->valgrind)
        snprintf(vg, sizeof vg, "\"%s\"", p->valgrind_version);
    else
        snprintf(vg, sizeof vg, "false");
#define B(x) ((x) ? "true" : "false")
    int n = snprintf(buf, len,
                     "{\"ptrace\":%s,\"process_vm_readv\":%s,\"seccomp\":%s,\"netns\":%s,"
                     "\"mountns\":%s,\"pidns\":%s,\"userns\":%s,\"setuid\":%s,\"valgrind\":%s,"
                     "\"agent\":%s,"
                     "\"engine\":%s%s%s,\"sandbox\":{\"seccomp\":%s,\"netns\":%s,"
                     "\"mountns\":%s,\"pidns\":%s,\"ownUid\":%s,\"rlimits\":true,"
                     "\"landlock\":%s},\"landlockAbi\":%d,\"landlockOff\":%s,\"notify\":%s,"
                     "\"ms\":%.2f}",
                     B(p->ptrace), B(p->process_vm), B(p->seccomp), B(p->netns), B(p->mountns),
                     B(p->pidns), B(p->userns), B(p->setuid), vg, B(p->agent), engine ? "\"" : "",
                     engine ? engine : "null", engine ? "\"" : "", B(p->seccomp), B(p->netns),
                     B(p->mountns), B(p->pidns), B(p->setuid),
                     B(p->landlock && !p->landlock_off && !p->mountns), p->landlock,
                     B(p->landlock_off), B(p->notify), p->ms);
#undef B
    if (n < 0 || (size_t)n >= len)
        snprintf(buf, len, "{\"error\":\"probe result too long\"}");
}
