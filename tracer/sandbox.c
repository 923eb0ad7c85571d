/*
 * sandbox.c - starting an untrusted process, and the jail around one run.
 *
 * Everything between fork() and execve() lives here so the compiler, the
 * ptrace target and the Valgrind target get the same isolation. The child
 * side makes only async-signal-safe calls (raw system calls, no allocation):
 * the parent may be multi-threaded. The order matters and is commented where
 * it does: files are opened while we are still root, namespaces are made
 * while we still may, the uid is dropped after, PTRACE_TRACEME comes before
 * the filter that denies ptrace, and the filter comes last.
 *
 * One file (a little past 800 lines) so that all that runs between fork()
 * and execve() - and the jail the run lives in - can be read in the order
 * it happens; seccomp, Landlock and the watch of created files are apart
 * (sandbox_seccomp.c, sandbox_landlock.c, sandbox_watch.c).
 */
#include "tracer/sandbox.h"
#include "tracer/sandbox_int.h"
#include "tracer/sandbox_landlock.h"
#include "tracer/sandbox_watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "tracer/probe.h"
#include "tracer/proc.h"
#include "tracer/rt/agent.h"
#include "tracer/target.h"

void tr_limits_default(struct tr_limits *l)
{
    l->wall_ms = TR_LIMIT_WALL_MS;
    l->cpu_soft_s = TR_LIMIT_CPU_SOFT_S;
    l->cpu_hard_s = TR_LIMIT_CPU_HARD_S;
    l->as_bytes = TR_LIMIT_AS;
    l->stack_bytes = TR_LIMIT_STACK;
    l->nproc = TR_LIMIT_NPROC; /* see tr_sandbox_nproc for a shared uid */
    l->nofile = TR_LIMIT_NOFILE;
    l->fsize = TR_LIMIT_FSIZE;
}

/* ---- deciding ------------------------------------------------------------ */

enum tr_err tr_sandbox_init(struct tr_sandbox *sb, const struct tr_probe *p, char *errbuf)
{
    memset(sb, 0, sizeof *sb);
    if (p->seccomp) {
        struct tr_sandbox_filter *f = NULL;
        enum tr_err rc = tr_sandbox_filter_new(&f, errbuf);
        if (rc != TR_OK)
            return rc;
        sb->filter = f;
        sb->seccomp = 1;
    }
    sb->netns = p->netns;
    sb->mountns = p->mountns;
    sb->pidns = p->pidns;
    /* A private mount namespace already hides all but the run directory. */
    if (!p->mountns && !p->landlock_off)
        sb->landlock = p->landlock;
    if (p->setuid) {
        sb->uid = (uid_t)(TR_SANDBOX_UID_BASE + (unsigned)getpid());
        sb->gid = (gid_t)sb->uid;
    } else {
        sb->shared_uid = 1;
    }
    return TR_OK;
}

void tr_sandbox_free(struct tr_sandbox *sb)
{
    if (!sb)
        return;
    tr_sandbox_filter_free((struct tr_sandbox_filter *)sb->filter);
    sb->filter = NULL;
    sb->seccomp = 0;
}

struct uid_count {
    uid_t uid;
    unsigned tasks;
};

static int count_uid(pid_t pid, void *ctx)
{
    struct uid_count *c = ctx;
    char st[2048];
    if (tr_proc_read(pid, "status", st, sizeof st) <= 0)
        return 0;
    const char *u = tr_proc_status_field(st, "Uid"), *t = tr_proc_status_field(st, "Threads");
    /* RLIMIT_NPROC counts tasks by real uid: the first Uid field */
    if (u && t && strtoul(u, NULL, 10) == c->uid)
        c->tasks += (unsigned)strtoul(t, NULL, 10);
    return 0;
}

unsigned tr_sandbox_nproc(const struct tr_sandbox *sb)
{
    if (!sb || !sb->shared_uid || getuid() == 0)
        return TR_LIMIT_NPROC; /* own uid; or root, which the limit ignores */
    struct uid_count c = {getuid(), 0};
    tr_proc_each_pid(count_uid, &c);
    return c.tasks + TR_LIMIT_NPROC;
}

pid_t tr_sandbox_ns_pid(pid_t pid)
{
    char st[2048];
    if (tr_proc_read(pid, "status", st, sizeof st) <= 0)
        return pid;
    const char *f = tr_proc_status_field(st, "NSpid");
    if (!f)
        return pid;
    const char *eol = strchr(f, '\n');
    long last = pid;
    for (char *p = (char *)f; p && (!eol || p < eol);) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        last = v;
        p = end;
    }
    return (pid_t)last;
}

/* ---- the child side ------------------------------------------------------ */

/* Append "key=value" to buf at *used; returns the string or NULL if full. */
static char *env_put(char *buf, size_t len, size_t *used, const char *key, const char *val)
{
    size_t k = strlen(key), v = strlen(val);
    if (*used + k + v + 2 > len)
        return NULL;
    char *s = buf + *used;
    memcpy(s, key, k);
    s[k] = '=';
    memcpy(s + k + 1, val, v);
    s[k + v + 1] = '\0';
    *used += k + v + 2;
    return s;
}

void tr_sandbox_env(const char *run_dir, char *buf, size_t buflen, char **vec, size_t nvec)
{
    size_t used = 0, n = 0;
    const char *dir = run_dir ? run_dir : "/tmp";
    char *e;
    if (nvec == 0)
        return;
    if (n + 1 < nvec && (e = env_put(buf, buflen, &used, "PATH", "/usr/local/bin:/usr/bin:/bin")))
        vec[n++] = e;
    if (n + 1 < nvec && (e = env_put(buf, buflen, &used, "LANG", "C.UTF-8")))
        vec[n++] = e;
    if (n + 1 < nvec && (e = env_put(buf, buflen, &used, "HOME", dir)))
        vec[n++] = e;
    if (n + 1 < nvec && (e = env_put(buf, buflen, &used, "TMPDIR", dir)))
        vec[n++] = e;
    vec[n] = NULL;
}

static void die(const char *what) __attribute__((noreturn));
static void die(const char *what)
{
    /* fd 2 may already be the program's stderr file: that is where the
       response's stderr comes from, so the reason reaches the user. */
    char msg[160];
    size_t n = 0;
    const char *p = "spp-trace: cannot start program: ";
    while (*p && n < sizeof msg - 2)
        msg[n++] = *p++;
    for (p = what; *p && n < sizeof msg - 2; p++)
        msg[n++] = *p;
    msg[n++] = '\n';
    if (write(2, msg, n) < 0)
        _exit(127);
    _exit(127);
}

static void set_limit(int res, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    if (setrlimit(res, &rl) != 0 && errno != EPERM)
        die("setrlimit");
}

/* Output files are opened without following a symlink: nothing planted in
   the run directory redirects our writes. */
static void install_fd(const char *path, int fd, int flags)
{
    int f = open(path, flags | O_CLOEXEC | ((flags & O_CREAT) ? O_NOFOLLOW : 0), 0600);
    if (f < 0)
        die(path);
    if (dup2(f, fd) < 0)
        die("dup2");
    if (f != fd)
        close(f);
}

/* mkdir -p of path's components below base (which exists). */
static void make_path_below(const char *path, size_t base_len)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        die("path too long for the private /tmp");
    for (char *q = buf + base_len + 1;; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char c = *q;
        *q = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            die("mkdir(a run's path in the private /tmp)");
        *q = c;
        if (c == '\0')
            return;
    }
}

/* The world-writable scratch places (/tmp, /var/tmp, /dev/shm) become
   empty read-only tmpfs mounts of the run's own, so a program sees none
   of the host's files there and can leave nothing behind. What the run needs
   that lies below one of them - the program's directory (in memcheck
   mode the parent of the Valgrind run's directory) and the run directory
   - is bound back at its own path, read-only until the caller makes the
   run directory writable. */
static void empty_scratch_dirs(const char *writable, const char *exe,
                               const char *const *also)
{
    static const char *const dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    char exe_dir[PATH_MAX] = "";
    if (exe && snprintf(exe_dir, sizeof exe_dir, "%s", exe) < (int)sizeof exe_dir) {
        char *slash = strrchr(exe_dir, '/');
        if (slash && slash != exe_dir)
            *slash = '\0';
        else
            exe_dir[0] = '\0';
    }
    enum { NKEEP = 10 };
    const char *keep[NKEEP] = {exe_dir[0] ? exe_dir : NULL, writable};
    int keep_fd[NKEEP];
    for (int k = 2, a = 0; k < NKEEP && also && also[a]; k++, a++)
        keep[k] = also[a];
    for (int k = 0; k < NKEEP; k++)
        keep_fd[k] = -1;
    for (int k = 0; k < NKEEP; k++)
        if (keep[k] && (keep_fd[k] = open(keep[k], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
            keep[k] = NULL; /* not there: nothing to keep */
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        struct stat st;
        if (lstat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV,
                  "mode=0755,size=1m,nr_inodes=256") != 0)
            die("mount(tmpfs on a scratch directory)");
        size_t n = strlen(dirs[i]);
        for (int k = 0; k < NKEEP; k++) {
            if (!keep[k] || strncmp(keep[k], dirs[i], n) != 0 || keep[k][n] != '/')
                continue;
            char src[64];
            snprintf(src, sizeof src, "/proc/self/fd/%d", keep_fd[k]);
            make_path_below(keep[k], n);
            if (mount(src, keep[k], NULL, MS_BIND | MS_REC, NULL) != 0)
                die("bind of a run's directory into the private /tmp");
        }
        /* Empty and read-only: TMPDIR is the run directory, and a write
           anywhere else fails, as on the rest of the file system. */
        if (mount(NULL, dirs[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                  NULL) != 0)
            die("remount(the private scratch directory read-only)");
    }
    for (int k = 0; k < NKEEP; k++)
        if (keep_fd[k] >= 0)
            close(keep_fd[k]);
}

/* dir shown as an empty read-only tmpfs with only the files of `files`
   (each dst below dir) bound at their paths. Best effort: on any failure
   dir stays as it was, which is only slower for the one user (Valgrind
   reads every separate debuginfo file it finds; vg_debuginfo.c). */
static void narrow_dir(const char *dir, const struct tr_bind *files, size_t n)
{
    enum { MAX = 8 };
    int fd[MAX];
    size_t len = strlen(dir), opened = 0;
    int ok = n > 0 && n <= MAX && len > 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = strncmp(files[i].dst, dir, len) == 0 && files[i].dst[len] == '/' &&
             strlen(files[i].dst) < PATH_MAX &&
             (fd[opened++] = open(files[i].src, O_PATH | O_CLOEXEC)) >= 0;
    if (ok && mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV,
                    "mode=0755,size=64k,nr_inodes=64") == 0) {
        for (size_t i = 0; ok && i < n; i++) {
            char path[PATH_MAX], src[64];
            snprintf(path, sizeof path, "%s", files[i].dst);
            for (char *q = path + len + 1; ok && *q; q++) /* the directories above */
                if (*q == '/') {
                    *q = '\0';
                    ok = mkdir(path, 0755) == 0 || errno == EEXIST;
                    *q = '/';
                }
            int f = ok ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
            if (f >= 0)
                close(f); /* before the read-only remount: an open writer makes it EBUSY */
            snprintf(src, sizeof src, "/proc/self/fd/%d", fd[i]);
            ok = f >= 0 && mount(src, path, NULL, MS_BIND, NULL) == 0;
        }
        ok = ok && mount(NULL, dir, NULL,
                         MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) == 0;
        if (!ok)
            umount2(dir, MNT_DETACH); /* the bound files go with it */
    }
    for (size_t i = 0; i < opened; i++)
        if (fd[i] >= 0)
            close(fd[i]);
}

/* A private view of the file system: everything read-only and nosuid but
   `writable` (the run directory), and with a pid namespace a /proc that
   shows only the run's processes. /tmp, /var/tmp and /dev/shm are empty
   and the run's own (empty_scratch_dirs); anything written elsewhere fails
   instead of outliving the run. */
static void private_mounts(const struct tr_launch *l, const char *writable, const char *exe,
                           const char *const *also, int own_proc)
{
    if (unshare(CLONE_NEWNS) != 0)
        die("unshare(mount namespace)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        die("mount(private)");
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
    if (syscall(SYS_mount_setattr, -1, "/", AT_RECURSIVE, &ro, sizeof ro) != 0)
        die("mount_setattr(read-only)");
    empty_scratch_dirs(writable, exe, also);
    if (l->narrow_dir && l->nnarrow)
        narrow_dir(l->narrow_dir, l->narrow, l->nnarrow);
    /* A bind mount copies the read-only flag; the remount clears it. */
    /* Recursive: what the tracer bound into the run directory (tr_jail_bind)
       stays visible, and read-only. */
    if (writable && (mount(writable, writable, NULL, MS_BIND | MS_REC, NULL) != 0 ||
                     mount(NULL, writable, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV,
                           NULL) != 0))
        die("bind mount of the run directory");
    if (own_proc && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        die("mount(/proc)");
}

/* Copy the filter, put our pid where the placeholders are, load both
   programs. Nothing allocated: the copy is on the stack. */
static void load_filter(const struct tr_sandbox_filter *f)
{
    struct sock_filter self[TR_SB_FILTER_MAX];
    uint32_t me = (uint32_t)syscall(SYS_getpid);
    for (size_t i = 0; i < f->nself; i++) {
        self[i] = f->self[i];
        if (self[i].k == TR_SB_SELF)
            self[i].k = me;
        else if (self[i].k == TR_SB_NEG_SELF)
            self[i].k = (uint32_t)-(int32_t)me;
    }
    struct sock_fprog deny = {(unsigned short)f->ndeny, (struct sock_filter *)f->deny};
    struct sock_fprog mine = {(unsigned short)f->nself, self};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        die("prctl(PR_SET_NO_NEW_PRIVS)");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &deny) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &mine) != 0)
        die("seccomp");
}

void tr_sandbox_enter(const struct tr_launch *l, int traceme)
{
    const struct tr_sandbox *sb = l->sandbox;
    pid_t parent = getppid();

    /* Own process group: the tracer kills the whole group at the end. */
    setpgid(0, 0);

    /* Default signal dispositions and an empty mask for the new program. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);

    /* Opened as the tracer's user, before the uid changes: the program
       writes its output through these descriptors and cannot reopen ours. */
    if (!l->keep_stdio) {
        install_fd(l->stdin_path ? l->stdin_path : "/dev/null", 0, O_RDONLY);
        install_fd(l->stdout_path ? l->stdout_path : "/dev/null", 1,
                   O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
        install_fd(l->stderr_path ? l->stderr_path : "/dev/null", 2,
                   O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    }
    /* close_range(3, ~0U, 0): no descriptor of ours reaches the program,
       but the agent's channel where the agent looks for it (and the
       watcher's socket just above it until the filter is handed over). */
    unsigned first = 3;
    int watch_from = sb && sb->watch ? sb->watch_sock : -1;
    if (watch_from >= 0 && watch_from <= SPP_AGENT_FD + 1 &&
        (watch_from = fcntl(watch_from, F_DUPFD_CLOEXEC, SPP_AGENT_FD + 2)) < 0)
        die("the watch socket");
    if (l->agent_fd > SPP_AGENT_FD) {
        if (dup2(l->agent_fd, SPP_AGENT_FD) != SPP_AGENT_FD)
            die("the agent's channel");
        first = SPP_AGENT_FD + 1;
    }
    int watch_fd = -1;
    if (watch_from >= 0) {
        watch_fd = (int)first++;
        if (dup2(watch_from, watch_fd) != watch_fd)
            die("the watch socket");
    }
    if (syscall(SYS_close_range, first, ~0U, 0U) != 0) {
        for (int fd = (int)first; fd < 1024; fd++)
            close(fd);
    }

    /* Namespaces while we still have the privilege to make them: no
       network at all (not even loopback, where the Lambda Runtime API
       listens), no shared IPC, a read-only file system but the run dir. */
    if (sb && sb->netns && unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
        die("unshare(network namespace)");
    if (sb && sb->mountns)
        private_mounts(l, l->run_dir, l->exe, sb->landlock_ro, sb->pidns);
    /* After the mounts: the working directory is the writable bind. */
    if (l->run_dir && chdir(l->run_dir) != 0)
        die("chdir");

    if (l->limits) {
        const struct tr_limits *lim = l->limits;
        set_limit(RLIMIT_CORE, 0, 0);
        if (lim->cpu_soft_s)
            set_limit(RLIMIT_CPU, lim->cpu_soft_s, lim->cpu_hard_s ? lim->cpu_hard_s
                                                                   : lim->cpu_soft_s + 1);
        if (lim->as_bytes)
            set_limit(RLIMIT_AS, lim->as_bytes, lim->as_bytes);
        if (lim->stack_bytes)
            set_limit(RLIMIT_STACK, lim->stack_bytes, lim->stack_bytes);
        if (lim->nproc)
            set_limit(RLIMIT_NPROC, lim->nproc, lim->nproc);
        if (lim->nofile)
            set_limit(RLIMIT_NOFILE, lim->nofile, lim->nofile);
        if (lim->fsize)
            set_limit(RLIMIT_FSIZE, lim->fsize, lim->fsize);
    }

    /* Same addresses every run: traces are reproducible and comparable
       between the ptrace and the Valgrind engine. */
    personality(ADDR_NO_RANDOMIZE);

    /* Raw calls: glibc's set*id wrappers coordinate threads we do not have. */
    if (sb && sb->uid) {
        if (syscall(SYS_setgroups, 0, NULL) != 0 ||
            syscall(SYS_setresgid, sb->gid, sb->gid, sb->gid) != 0 ||
            syscall(SYS_setresuid, sb->uid, sb->uid, sb->uid) != 0)
            die("cannot switch to the run's uid");
    }
    /* A uid change clears the parent-death signal: set it after. If the
       tracer is already gone, so are we (ptrace also has EXITKILL). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);

    /* Before the filter, which may not allow Landlock's calls. */
    if (sb && sb->landlock && tr_landlock_restrict(sb->landlock, l->run_dir, sb->landlock_ro) != 0)
        die("cannot confine file access (Landlock)");
    if (watch_fd >= 0 && tr_watch_install(watch_fd) != 0)
        die("cannot report created files to the tracer");
    if (traceme && ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
        die("ptrace(TRACEME) denied");
    if (sb && sb->seccomp && sb->filter)
        load_filter(sb->filter);
}

void tr_sandbox_exec(const struct tr_launch *l, const char *const argv[], int traceme)
{
    char envbuf[1024];
    char *envp[8];
    tr_sandbox_env(l->run_dir, envbuf, sizeof envbuf, envp, 7);
    /* Every program gets the variable, with the same length, so its stack
       starts at the same address under every engine: traces compare equal. */
    size_t n = 0;
    while (envp[n])
        n++;
    envp[n++] = (char *)(l->agent_fd > SPP_AGENT_FD ? SPP_AGENT_ENV "=3" /* SPP_AGENT_FD */
                                                     : SPP_AGENT_ENV "=-");
    envp[n] = NULL;
    tr_sandbox_enter(l, traceme);
    execve(argv[0], (char *const *)argv, envp);
    die(argv[0]);
}

int tr_sandbox_wait(pid_t pid, int64_t deadline_ms, int *status)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, NULL);
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return -1;
        int64_t left = deadline_ms ? deadline_ms - tr_now_ms() : 1000;
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return 1;
        }
        struct timespec ts = {left / 1000, (left % 1000) * 1000000};
        sigtimedwait(&chld, NULL, &ts);
    }
}

/* ---- sweeping ------------------------------------------------------------- */

#define SWEEP_MS 3000     /* a SIGKILLed process is gone in far less */
#define SWEEP_BATCH 256
#define SWEEP_COUNTED 1024

struct sweep {
    pid_t me;
    const pid_t *skip;
    size_t nskip;
    pid_t found[SWEEP_BATCH];
    size_t n;
    pid_t counted[SWEEP_COUNTED]; /* alive when first killed, across rounds */
    size_t ncounted;
};

static int find_child(pid_t pid, void *ctx)
{
    struct sweep *s = ctx;
    struct tr_proc_stat ps;
    for (size_t i = 0; i < s->nskip; i++)
        if (s->skip[i] == pid)
            return 0;
    if (tr_proc_stat(pid, &ps) != 0 || ps.ppid != s->me)
        return 0;
    kill(pid, SIGKILL);
    if (ps.state != 'Z') {
        size_t i = 0;
        while (i < s->ncounted && s->counted[i] != pid)
            i++;
        if (i == s->ncounted && s->ncounted < SWEEP_COUNTED)
            s->counted[s->ncounted++] = pid;
    }
    s->found[s->n++] = pid;
    return s->n == SWEEP_BATCH;
}

int tr_sandbox_sweep_children(const pid_t *skip, size_t nskip)
{
    struct sweep *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->me = getpid();
    s->skip = skip;
    s->nskip = nskip;
    int64_t until = tr_now_ms() + SWEEP_MS;
    int rc = -1;
    for (;;) {
        s->n = 0;
        tr_proc_each_pid(find_child, s);
        if (s->n == 0) {
            rc = (int)s->ncounted;
            break;
        }
        /* Reap what is dead already, never block on one: a dying pid
           namespace's init waits for us to reap its members first. The
           children of the killed are orphans now and come to us (a
           subreaper) for the next round. */
        for (size_t i = 0; i < s->n; i++)
            waitpid(s->found[i], NULL, __WALL | WNOHANG);
        if (tr_now_ms() > until)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    free(s);
    return rc;
}

/* ---- removing a run's files ------------------------------------------------ */

/* A directory nftw could not read is opened up and the walk stops (the
   callback's 1) to be walked again, now into it: one pass per locked
   directory. */
static int make_writable(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)f;
    if (type == FTW_D && (st->st_mode & S_IRWXU) != S_IRWXU)
        chmod(path, (st->st_mode & 07777) | S_IRWXU);
    if (type == FTW_DNR) {
        chmod(path, (st->st_mode & 07777) | S_IRWXU);
        return 1; /* walk again: now it can be read */
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    (void)f;
    remove(path);
    return 0;
}

int tr_sandbox_remove_tree(const char *dir)
{
    /* first make every directory listable (the program may chmod 000) */
    for (int pass = 0; pass < 256 && nftw(dir, make_writable, 16, FTW_PHYS | FTW_MOUNT) == 1;
         pass++)
        ;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    struct stat st;
    return lstat(dir, &st) == 0 ? -1 : 0;
}

/* ---- the jail -------------------------------------------------------------- */

struct tr_jail {
    pid_t init;     /* the pid namespace's init (our pid for it); 0: none */
    int own_ns;     /* our own pid namespace, to return to; -1: none */
    int keep;       /* the init lives while this pipe end is open */
    int mountns;    /* we are in a mount namespace of our own */
    char run_dir[PATH_MAX]; /* the tmpfs we mounted, "" when none */
};

static void on_chld(int sig)
{
    (void)sig;
}

/* Pid 1 of the run's namespace: reaps orphans. The tracer writes the run
   directory's path into the pipe once it is mounted; when the pipe ends
   without the tracer having killed us first (the tracer was killed), we
   unmount and remove that directory, then exit - and the kernel kills
   everything in the namespace. No parent-death signal: the pipe's end is
   the signal, and it leaves time to clean up. */
static void jail_init(int keep) __attribute__((noreturn));
static void jail_init(int keep)
{
    char dir[PATH_MAX];
    size_t used = 0;
    prctl(PR_SET_NAME, "spp-jail-init");
    if (dup2(keep, 0) < 0)
        _exit(1);
    syscall(SYS_close_range, 1U, ~0U, 0U);
    sigset_t all, wait_mask;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    struct sigaction sa = {.sa_handler = on_chld};
    sigaction(SIGCHLD, &sa, NULL);
    sigfillset(&wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    for (;;) {
        while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
            ;
        struct pollfd p = {.fd = 0, .events = POLLIN};
        if (ppoll(&p, 1, NULL, &wait_mask) <= 0)
            continue;
        ssize_t n = used < sizeof dir - 1 ? read(0, dir + used, sizeof dir - 1 - used) : 0;
        if (n > 0) {
            used += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        /* the tracer is gone: its directory goes too */
        dir[used] = '\0';
        char *nl = strchr(dir, '\n');
        if (nl) {
            *nl = '\0';
            umount2(dir, MNT_DETACH);
            rmdir(dir);
        }
        _exit(0);
    }
}

enum tr_err tr_jail_open(const struct tr_sandbox *sb, struct tr_jail **out, char *errbuf)
{
    struct tr_jail *j = calloc(1, sizeof *j);
    int p[2] = {-1, -1};
    if (!j) {
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    j->own_ns = -1;
    j->keep = -1;
    /* A program of our uid (where it has no uid of its own) must not open
       our /proc/<pid>/mem or environ: the tracer is not dumpable. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Our own mount namespace: the run directory's tmpfs exists only for
       us and our children, and vanishes with us. */
    if (sb && sb->mountns) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
            snprintf(errbuf, TR_ERRBUF_LEN, "cannot make the run's mount namespace: %s",
                     strerror(errno));
            free(j);
            return TR_ERR_SYS;
        }
        j->mountns = 1;
    }
    if (!sb || !sb->pidns) {
        /* Orphans (double forks, setsid daemons) come back to us. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            snprintf(errbuf, TR_ERRBUF_LEN, "prctl(PR_SET_CHILD_SUBREAPER): %s",
                     strerror(errno));
            free(j);
            return TR_ERR_SYS;
        }
        *out = j;
        return TR_OK;
    }
    const char *what = "open /proc/self/ns/pid";
    if ((j->own_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
        goto fail;
    what = "pipe";
    if (pipe2(p, O_CLOEXEC) != 0)
        goto fail;
    what = "unshare(CLONE_NEWPID)";
    if (unshare(CLONE_NEWPID) != 0)
        goto fail;
    what = "fork";
    pid_t pid = fork();
    if (pid < 0) {
        setns(j->own_ns, CLONE_NEWPID);
        goto fail;
    }
    if (pid == 0) {
        close(p[1]);
        jail_init(p[0]);
    }
    close(p[0]);
    j->init = pid;
    j->keep = p[1];
    *out = j;
    return TR_OK;
fail:
    snprintf(errbuf, TR_ERRBUF_LEN, "cannot make the run's pid namespace: %s: %s", what,
             strerror(errno));
    if (p[0] >= 0) {
        close(p[0]);
        close(p[1]);
    }
    if (j->own_ns >= 0)
        close(j->own_ns);
    free(j);
    return TR_ERR_SYS;
}

struct ns_count {
    char ns[64]; /* the link text of the jail's pid namespace */
    pid_t init;
    int n;
};

static int count_in_ns(pid_t pid, void *ctx)
{
    struct ns_count *c = ctx;
    char path[64], link[64];
    if (pid == c->init)
        return 0;
    ssize_t k = tr_proc_path(path, sizeof path, pid, "ns/pid") == 0
                    ? readlink(path, link, sizeof link - 1)
                    : -1;
    if (k > 0) {
        link[k] = '\0';
        c->n += strcmp(link, c->ns) == 0;
    }
    return 0;
}

enum tr_err tr_jail_run_dir(struct tr_jail *j, const char *dir, uid_t uid, gid_t gid,
                            char *errbuf)
{
    if (j->mountns) {
        char opts[128];
        snprintf(opts, sizeof opts, "size=%llu,nr_inodes=%u,mode=0700,uid=%u,gid=%u",
                 (unsigned long long)TR_LIMIT_RUN_DIR, TR_LIMIT_RUN_DIR_FILES, (unsigned)uid,
                 (unsigned)gid);
        if (snprintf(j->run_dir, sizeof j->run_dir, "%s", dir) >= (int)sizeof j->run_dir - 1 ||
            mount("spp-run", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
            j->run_dir[0] = '\0';
            snprintf(errbuf, TR_ERRBUF_LEN, "cannot mount the run directory: %s",
                     strerror(errno));
            return TR_ERR_SYS;
        }
        /* Tell the namespace's init, which removes it if we die. One
           write under PIPE_BUF is atomic. */
        if (j->keep >= 0) {
            char line[PATH_MAX + 1];
            int n = snprintf(line, sizeof line, "%s\n", dir);
            if (n > 0 && n < (int)sizeof line && write(j->keep, line, (size_t)n) < 0)
                return TR_OK; /* only the crash clean-up is lost */
        }
        return TR_OK;
    }
    if (uid && chown(dir, uid, gid) != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "cannot hand the run directory over: %s",
                 strerror(errno));
        return TR_ERR_SYS;
    }
    return TR_OK;
}

int tr_jail_close(struct tr_jail *j)
{
    if (!j)
        return 0;
    int left = 0;
    if (j->init > 0) {
        /* Count what is still in there, for the caller's log. */
        struct ns_count c = {.init = j->init};
        char path[64];
        ssize_t k = tr_proc_path(path, sizeof path, j->init, "ns/pid") == 0
                        ? readlink(path, c.ns, sizeof c.ns - 1)
                        : -1;
        if (k > 0) {
            c.ns[k] = '\0';
            tr_proc_each_pid(count_in_ns, &c);
            left = c.n;
        }
        /* Its death kills the whole namespace; the kernel waits until our
           own children in it are reaped, so reap everything until it is. */
        /* SIGKILL first: an init that saw the pipe end would clean up. */
        kill(j->init, SIGKILL);
        close(j->keep);
        int64_t until = tr_now_ms() + 5000;
        for (;;) {
            int status;
            pid_t w = waitpid(-1, &status, __WALL | WNOHANG);
            if (w == j->init || (w < 0 && errno == ECHILD))
                break;
            if (w == 0) {
                if (tr_now_ms() > until) {
                    left = -1;
                    break;
                }
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
        }
        if (setns(j->own_ns, CLONE_NEWPID) != 0)
            left = -1;
        close(j->own_ns);
    }
    int swept = tr_sandbox_sweep_children(NULL, 0);
    if (j->run_dir[0] && umount2(j->run_dir, MNT_DETACH) != 0)
        left = -1;
    free(j);
    if (left < 0 || swept < 0)
        return -1;
    return left + swept;
}

/* ---- the installation seen by the run's uid -------------------------------- */

/* Does mode grant `bit` (4 read, 1 search) to uid/gid on a file of st? */
static int grants(const struct stat *st, uid_t uid, gid_t gid, unsigned bit)
{
    unsigned m = (unsigned)st->st_mode;
    if (st->st_uid == uid)
        return (m >> 6) & bit;
    if (st->st_gid == gid)
        return (m >> 3) & bit;
    return m & bit;
}

int tr_sandbox_readable_by(const char *path, uid_t uid, gid_t gid, char *why, size_t why_len)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real)) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return 0;
    }
    for (char *p = real + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int last = c == '\0';
        if (stat(real, &st) != 0) {
            snprintf(why, why_len, "%s: %s", real, strerror(errno));
            return 0;
        }
        unsigned need = last ? (S_ISDIR(st.st_mode) ? 5u : 4u) : 1u;
        int ok = (!(need & 4) || grants(&st, uid, gid, 4)) &&
                 (!(need & 1) || grants(&st, uid, gid, 1));
        if (!ok) {
            snprintf(why, why_len, "%s (mode %04o, owner %u) is not %s by uid %u", real,
                     (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                     last ? "readable" : "searchable", (unsigned)uid);
            return 0;
        }
        if (last)
            return 1;
        *p = c;
    }
}

enum tr_err tr_jail_bind(struct tr_jail *j, const char *src, const char *dst, char *errbuf)
{
    if (!j || !j->mountns) {
        snprintf(errbuf, TR_ERRBUF_LEN, "no mount namespace to show %s in", src);
        return TR_ERR_UNSUPPORTED;
    }
    if (mkdir(dst, 0755) != 0 || mount(src, dst, NULL, MS_BIND, NULL) != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "cannot show %s at %s: %s", src, dst, strerror(errno));
        rmdir(dst);
        return TR_ERR_SYS;
    }
    return TR_OK;
}

void tr_jail_unbind(struct tr_jail *j, const char *dst)
{
    (void)j;
    umount2(dst, MNT_DETACH);
    rmdir(dst);
}
