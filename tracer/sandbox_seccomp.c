/*
 * sandbox_seccomp.c - the seccomp filter for untrusted code (the compiler,
 * the traced program, Valgrind and everything they start), built with
 * libseccomp (see sandbox_int.h for its shape).
 *
 * What it denies, and why (security.md "Must hold" and "Known traps"):
 *  - the network: sockets of any family but AF_UNIX (AF_UNIX reaches no
 *    host), io_uring (it opens sockets behind seccomp's back);
 *  - other processes: ptrace, process_vm_readv/writev, pidfd_*, kcmp;
 *    signals, priorities and rlimits aimed at anything but the program
 *    itself or its process group (signal 0, which only asks whether a pid
 *    exists, excepted: Valgrind asks it of vgdb); F_SETOWN/F_SETSIG and their ioctls (they
 *    make the kernel signal a chosen pid);
 *  - hiding from the tracer: clone with CLONE_UNTRACED or namespace flags,
 *    clone3 (its flags are out of seccomp's reach: ENOSYS so glibc falls
 *    back to clone), prctl(PR_SET_DUMPABLE / PR_SET_PTRACER / PR_SET_MM),
 *    personality changes;
 *  - the kernel's administrative surface: mount and friends, unshare, setns,
 *    chroot, keyctl, bpf, perf_event_open, userfaultfd, modules, kexec,
 *    reboot, swap, clocks, hostnames, quotas, acct, iopl/ioperm, syslog,
 *    open_by_handle_at, fanotify, NUMA page moves, uid/gid/capability
 *    changes.
 * Denied calls fail with EPERM (clone3, tkill: ENOSYS); a call of another ABI
 * (int 0x80, x32) kills the process. execve stays allowed: the compiler and
 * Valgrind need it, what is exec'd runs under the same filter, and the
 * ptrace engine ends the trace at an exec.
 */
#include "tracer/sandbox.h"
#include "tracer/sandbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Denied whatever their arguments. Names libseccomp does not know on this
   architecture are skipped. */
static const char *const denied[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open",
    "pidfd_getfd", "pidfd_send_signal", "process_madvise", "process_mrelease",
    "mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module",
    "reboot", "swapon", "swapoff", "acct", "iopl", "ioperm", "syslog", "quotactl",
    "quotactl_fd", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "fanotify_init", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "vhangup", "uselib", "_sysctl", "ustat", "sysfs",
    "nfsservctl", "io_uring_setup", "io_uring_enter", "io_uring_register", "mbind",
    "set_mempolicy", "migrate_pages", "move_pages", "setuid", "setgid", "setreuid",
    "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups", "capset",
    "modify_ldt", "vm86", "vm86old",
};

/* Calls aimed at a process: allowed (in the "self" program) only when the
   target is the program itself (or its group, 0 meaning "me"). */
struct aimed {
    const char *name;
    unsigned arg;      /* which argument names the process */
    int allow_zero;    /* 0 means the caller itself / its group */
    int allow_neg;     /* -self: the program's own process group */
};

static const struct aimed aimed_calls[] = {
    {"kill", 0, 1, 1},
    {"tgkill", 0, 0, 0},
    {"rt_sigqueueinfo", 0, 0, 0},
    {"rt_tgsigqueueinfo", 0, 0, 0},
    {"prlimit64", 0, 1, 0},
    {"sched_setaffinity", 0, 1, 0},
    {"sched_setscheduler", 0, 1, 0},
    {"sched_setparam", 0, 1, 0},
    {"sched_setattr", 0, 1, 0},
    {"setpriority", 1, 1, 0}, /* (PRIO_PROCESS, who): other "which" are denied */
    {"ioprio_set", 1, 1, 0},  /* (IOPRIO_WHO_PROCESS, who) */
};

#define IOPRIO_WHO_PROCESS 1

#define LO(v) SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)(v)

static int add(scmp_filter_ctx c, uint32_t action, const char *name, unsigned n,
               const struct scmp_arg_cmp *cmp)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0; /* not a call on this architecture */
    return seccomp_rule_add_array(c, action, nr, n, cmp);
}

static int build_deny(scmp_filter_ctx c)
{
    const uint32_t no = SCMP_ACT_ERRNO(EPERM);
    int rc = 0;
    for (size_t i = 0; i < sizeof denied / sizeof denied[0] && !rc; i++)
        rc = add(c, no, denied[i], 0, NULL);
    if (rc)
        return rc;
    /* Sockets: AF_UNIX only (A0_32 NE: any other value, or high bits set,
       is denied). */
    struct scmp_arg_cmp unix_only = SCMP_A0_32(SCMP_CMP_NE, AF_UNIX, 0);
    if ((rc = add(c, no, "socket", 1, &unix_only)) || (rc = add(c, no, "socketpair", 1, &unix_only)))
        return rc;
    /* clone: none of the flags that hide a child from the tracer or give it
       namespaces. One rule per flag: a masked test each. */
    static const unsigned long clone_bad[] = {CLONE_UNTRACED, CLONE_NEWNS, CLONE_NEWCGROUP,
                                              CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                              CLONE_NEWPID, CLONE_NEWNET};
    for (size_t i = 0; i < sizeof clone_bad / sizeof clone_bad[0] && !rc; i++) {
        struct scmp_arg_cmp m = SCMP_A0(SCMP_CMP_MASKED_EQ, clone_bad[i], clone_bad[i]);
        rc = add(c, no, "clone", 1, &m);
    }
    if (rc || (rc = add(c, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL)))
        return rc;
    /* tkill names a thread of any process. ENOSYS: Valgrind then falls back
       to kill(), which the "self" program restricts; glibc never uses it. */
    if ((rc = add(c, SCMP_ACT_ERRNO(ENOSYS), "tkill", 0, NULL)))
        return rc;
    static const uint32_t prctl_bad[] = {PR_SET_DUMPABLE, PR_SET_PTRACER, PR_SET_MM};
    for (size_t i = 0; i < sizeof prctl_bad / sizeof prctl_bad[0] && !rc; i++) {
        struct scmp_arg_cmp m = {0, LO(prctl_bad[i])};
        rc = add(c, no, "prctl", 1, &m);
    }
    /* personality: queries only (the launcher sets ADDR_NO_RANDOMIZE first) */
    struct scmp_arg_cmp query = SCMP_A0_32(SCMP_CMP_NE, 0xffffffffu, 0);
    if (rc || (rc = add(c, no, "personality", 1, &query)))
        return rc;
    static const uint32_t fcntl_bad[] = {F_SETOWN, F_SETOWN_EX, F_SETSIG};
    for (size_t i = 0; i < sizeof fcntl_bad / sizeof fcntl_bad[0] && !rc; i++) {
        struct scmp_arg_cmp m = {1, LO(fcntl_bad[i])};
        rc = add(c, no, "fcntl", 1, &m);
    }
    static const uint32_t ioctl_bad[] = {FIOSETOWN, SIOCSPGRP, TIOCSTI};
    for (size_t i = 0; i < sizeof ioctl_bad / sizeof ioctl_bad[0] && !rc; i++) {
        struct scmp_arg_cmp m = {1, LO(ioctl_bad[i])};
        rc = add(c, no, "ioctl", 1, &m);
    }
    return rc;
}

/* The "self" program, written directly in BPF: libseccomp cannot say
   "allowed only for these argument values" but through a default-deny
   filter that lists every other call by number, which costs milliseconds
   to build - per request. This is a few dozen instructions:
       arch == x86_64 and not an x32 call, else kill
       for each aimed call: nr == it -> [which == PROCESS ->] who in {..}
                                        -> allow, else EPERM
       allow                                                          */
struct emitter {
    struct sock_filter *p;
    size_t n, cap;
    int overflow;
};

static size_t emit(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (e->n == e->cap) {
        e->overflow = 1;
        return e->n;
    }
    e->p[e->n] = (struct sock_filter){code, jt, jf, k};
    return e->n++;
}

/* Point the jump at insn `from` (its jt or jf) to the instruction `to`. */
static void patch_jump(struct emitter *e, size_t from, int true_branch, size_t to)
{
    if (e->overflow || to <= from || to - from - 1 > 255) {
        e->overflow = 1;
        return;
    }
    if (true_branch)
        e->p[from].jt = (uint8_t)(to - from - 1);
    else
        e->p[from].jf = (uint8_t)(to - from - 1);
}

#define ARG_LO(n) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (n)))

static int build_self(struct sock_filter *out, size_t *n)
{
    struct emitter e = {out, 0, TR_SB_FILTER_MAX, 0};
    const uint32_t allow = SECCOMP_RET_ALLOW, eperm = SECCOMP_RET_ERRNO | EPERM;
    emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    emit(&e, BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x40000000u); /* __X32_SYSCALL_BIT */
    emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    for (size_t i = 0; i < sizeof aimed_calls / sizeof aimed_calls[0]; i++) {
        const struct aimed *a = &aimed_calls[i];
        int nr = seccomp_syscall_resolve_name(a->name);
        if (nr == __NR_SCMP_ERROR)
            continue;
        /* A holds nr here. Not this call: on to the next one. */
        size_t test = emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)nr);
        size_t which = 0;
        if (a->arg == 1) {
            emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(0));
            which = emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0,
                         strcmp(a->name, "ioprio_set") == 0 ? IOPRIO_WHO_PROCESS : PRIO_PROCESS);
        }
        /* kill(pid, 0) sends nothing, it asks whether pid is there:
           Valgrind's gdbserver asks it of vgdb at every packet */
        int probe_ok = strcmp(a->name, "kill") == 0;
        size_t probe = 0;
        if (probe_ok) {
            emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(1));
            probe = emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
        }
        emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(a->arg));
        uint32_t who[3];
        size_t nwho = 0, jumps[3];
        who[nwho++] = TR_SB_SELF;
        if (a->allow_zero)
            who[nwho++] = 0;
        if (a->allow_neg)
            who[nwho++] = TR_SB_NEG_SELF;
        for (size_t k = 0; k < nwho; k++)
            jumps[k] = emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, who[k]);
        size_t deny = emit(&e, BPF_RET | BPF_K, 0, 0, eperm);
        size_t ok = emit(&e, BPF_RET | BPF_K, 0, 0, allow);
        for (size_t k = 0; k < nwho; k++)
            patch_jump(&e, jumps[k], 1, ok);
        if (probe_ok)
            patch_jump(&e, probe, 1, ok);
        if (a->arg == 1)
            patch_jump(&e, which, 0, deny);
        /* the next test needs nr in A again */
        size_t next = emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
        patch_jump(&e, test, 0, next);
    }
    emit(&e, BPF_RET | BPF_K, 0, 0, allow);
    if (e.overflow)
        return -E2BIG;
    *n = e.n;
    return 0;
}

/* Compile ctx into out (at most TR_SB_FILTER_MAX instructions). */
static int export(scmp_filter_ctx c, struct sock_filter *out, size_t *n)
{
    int fd = memfd_create("spp-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = seccomp_export_bpf(c, fd);
    off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (rc == 0 && (size <= 0 || size % (off_t)sizeof *out != 0 ||
                    (size_t)size > TR_SB_FILTER_MAX * sizeof *out))
        rc = -E2BIG;
    if (rc == 0 && pread(fd, out, (size_t)size, 0) != size)
        rc = -EIO;
    close(fd);
    if (rc == 0)
        *n = (size_t)size / sizeof *out;
    return rc;
}

static size_t count_k(const struct sock_filter *f, size_t n, uint32_t k)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += f[i].k == k;
    return c;
}

enum tr_err tr_sandbox_filter_new(struct tr_sandbox_filter **out, char *errbuf)
{
    struct tr_sandbox_filter *f = calloc(1, sizeof *f);
    scmp_filter_ctx deny = seccomp_init(SCMP_ACT_ALLOW);
    const char *step = "out of memory";
    int rc = -ENOMEM;
    if (!f || !deny)
        goto fail;
    step = "filter attributes";
    /* We set no_new_privs ourselves; a foreign ABI is an attack. */
    if ((rc = seccomp_attr_set(deny, SCMP_FLTATR_CTL_NNP, 0)) ||
        (rc = seccomp_attr_set(deny, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)))
        goto fail;
    step = "deny rules";
    if ((rc = build_deny(deny)))
        goto fail;
    step = "self rules";
    if ((rc = build_self(f->self, &f->nself)))
        goto fail;
    step = "export";
    if ((rc = export(deny, f->deny, &f->ndeny)))
        goto fail;
    /* The child patches placeholders by value: they must occur in "self"
       only, and nowhere else by accident. */
    step = "placeholders";
    rc = -EINVAL;
    if (count_k(f->deny, f->ndeny, TR_SB_SELF) || count_k(f->deny, f->ndeny, TR_SB_NEG_SELF) ||
        count_k(f->self, f->nself, TR_SB_SELF) == 0 ||
        count_k(f->self, f->nself, TR_SB_NEG_SELF) == 0)
        goto fail;
    seccomp_release(deny);
    *out = f;
    return TR_OK;
fail:
    snprintf(errbuf, TR_ERRBUF_LEN, "cannot build the seccomp filter (%s): %s", step,
             strerror(rc < 0 ? -rc : EINVAL));
    if (deny)
        seccomp_release(deny);
    free(f);
    return rc == -ENOMEM ? TR_ERR_NOMEM : TR_ERR_SYS;
}

void tr_sandbox_filter_free(struct tr_sandbox_filter *f)
{
    free(f);
}
