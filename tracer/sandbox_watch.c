/*
 * sandbox_watch.c - the creation watch for runs nothing else confines
 * (see sandbox_watch.h): the reporting filter (a hand-written BPF program:
 * a constant, nothing to build per launch), the child's hand-over of its
 * listener, and the tracer's watcher thread.
 */
#include "tracer/sandbox_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/sandbox.h"

#define LISTENERS_MAX 64 /* launches in one run: compiler, valgrind, vgdb calls */

/* ---- the filter ------------------------------------------------------------ */

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(__u64))
#define NOTIFY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
/* if nr == n jump to instruction `at` (this one is `pc`) */
#define IF_NR(pc, n, at) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), (at) - (pc) - 1, 0)

enum { L_OPEN = 21, L_OPENAT = 23, L_NOTIFY = 25, L_ALLOW = 26, L_ENOSYS = 27 };

static const struct sock_filter watch_prog[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    /* 2 */ ALLOW, /* other ABIs: the untrusted-code filter kills them */
    /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    IF_NR(4, SYS_open, L_OPEN),
    IF_NR(5, SYS_openat, L_OPENAT),
    IF_NR(6, SYS_openat2, L_ENOSYS),
    IF_NR(7, SYS_creat, L_NOTIFY),
    IF_NR(8, SYS_mkdir, L_NOTIFY),
    IF_NR(9, SYS_mkdirat, L_NOTIFY),
    IF_NR(10, SYS_mknod, L_NOTIFY),
    IF_NR(11, SYS_mknodat, L_NOTIFY),
    IF_NR(12, SYS_symlink, L_NOTIFY),
    IF_NR(13, SYS_symlinkat, L_NOTIFY),
    IF_NR(14, SYS_link, L_NOTIFY),
    IF_NR(15, SYS_linkat, L_NOTIFY),
    IF_NR(16, SYS_rename, L_NOTIFY),
    IF_NR(17, SYS_renameat, L_NOTIFY),
    IF_NR(18, SYS_renameat2, L_NOTIFY),
    IF_NR(19, SYS_bind, L_NOTIFY),
    /* 20 */ ALLOW,
    /* 21 L_OPEN: the flags are argument 1 */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
    /* 22 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_CREAT, L_NOTIFY - 23, L_ALLOW - 23),
    /* 23 L_OPENAT: argument 2 */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
    /* 24 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_CREAT, L_NOTIFY - 25, L_ALLOW - 25),
    /* 25 L_NOTIFY */ NOTIFY,
    /* 26 L_ALLOW */ ALLOW,
    /* 27 L_ENOSYS: openat2's flags are in memory a filter cannot read */
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
};
_Static_assert(sizeof watch_prog / sizeof watch_prog[0] == L_ENOSYS + 1, "labels are positions");

/* ---- the child's side -------------------------------------------------------- */

static int load(unsigned flags)
{
    struct sock_fprog prog = {sizeof watch_prog / sizeof watch_prog[0],
                              (struct sock_filter *)watch_prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int tr_watch_install(int sock)
{
    int fd = load(SECCOMP_FILTER_FLAG_NEW_LISTENER);
    if (fd < 0) {
        int e = errno;
        close(sock);
        errno = e;
        return -1;
    }
    char byte = 'L';
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {&byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n = sendmsg(sock, &m, MSG_NOSIGNAL);
    int e = errno;
    close(fd);
    close(sock);
    errno = e;
    /* Without the watcher the first reported call would wait forever;
       with the listener closed it fails with ENOSYS instead. Either way
       the run must not go on unwatched. */
    return n == 1 ? 0 : -1;
}

int tr_watch_possible(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0)
        _exit(load(SECCOMP_FILTER_FLAG_NEW_LISTENER) >= 0 ? 0 : 1);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- the watcher ------------------------------------------------------------- */

struct tr_watch {
    int sock[2];     /* [0] ours, [1] the children's */
    int stop[2];     /* a byte on [1] ends the thread */
    pthread_t thread;
    int running;
    char run_dir[PATH_MAX];
    size_t run_len;
    int listeners[LISTENERS_MAX];
    size_t nlisteners;
    char **paths;    /* recorded: absolute, outside run_dir, did not exist */
    size_t npaths;
    size_t refused;  /* creations refused past TR_WATCH_PATHS_MAX */
};

/* A NUL-terminated string of the process at addr, into buf. */
static int read_string(int mem, unsigned long long addr, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len - 1) {
        ssize_t n = pread(mem, buf + got, len - 1 - got, (off_t)(addr + got));
        if (n <= 0)
            break;
        void *nul = memchr(buf + got, '\0', (size_t)n);
        if (nul)
            return 0;
        got += (size_t)n;
    }
    return -1; /* unreadable, or longer than a path can be */
}

/* The directory a relative name of pid is resolved in. */
static int base_dir(pid_t pid, long long dirfd, char *out, size_t len)
{
    char link[64];
    if ((int)dirfd == AT_FDCWD)
        snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
    else
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, (int)dirfd);
    ssize_t n = readlink(link, out, len - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}

/* Which argument holds the new name, and relative to which directory
   argument (-1: the working directory). 0 when nr makes no name. */
static int name_arg(long nr, int *name, int *dir)
{
    *dir = -1;
    switch (nr) {
    case SYS_open: case SYS_creat: case SYS_mkdir: case SYS_mknod:
        *name = 0;
        return 1;
    case SYS_openat: case SYS_mkdirat: case SYS_mknodat:
        *name = 1, *dir = 0;
        return 1;
    case SYS_symlink: case SYS_link: case SYS_rename:
        *name = 1;
        return 1;
    case SYS_symlinkat:
        *name = 2, *dir = 1;
        return 1;
    case SYS_linkat: case SYS_renameat: case SYS_renameat2:
        *name = 3, *dir = 2;
        return 1;
    default:
        return 0;
    }
}

#define LINKS_MAX 40 /* as the kernel's ELOOP */

/* realpath(3) of an absolute path as process pid sees it: the same file
   system (no namespaces here), but "/proc/self" and "/proc/thread-self"
   are pid's, also where a symlink leads there (realpath would resolve
   them as ours). Into out (PATH_MAX); 0 or -1. */
static int resolve_as(pid_t pid, const char *path, char *out)
{
    char rest[PATH_MAX * 2], link[PATH_MAX], cand[PATH_MAX], self[24];
    int links = 0;
    snprintf(self, sizeof self, "%d", (int)pid);
    if (snprintf(rest, sizeof rest, "%s", path) >= (int)sizeof rest)
        return -1;
    out[0] = '\0';
    char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        if (n > NAME_MAX)
            return -1;
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            char *slash = strrchr(out, '/');
            if (slash)
                *slash = '\0';
            continue;
        }
        if (strcmp(out, "/proc") == 0 &&
            (strcmp(comp, "self") == 0 || strcmp(comp, "thread-self") == 0))
            snprintf(comp, sizeof comp, "%s", self);
        if (snprintf(cand, sizeof cand, "%s/%s", out, comp) >= (int)sizeof cand)
            return -1;
        struct stat st;
        if (lstat(cand, &st) != 0)
            return -1;
        if (!S_ISLNK(st.st_mode)) {
            memcpy(out, cand, strlen(cand) + 1); /* both PATH_MAX */
            continue;
        }
        ssize_t k = readlink(cand, link, sizeof link - 1);
        if (k <= 0 || ++links > LINKS_MAX)
            return -1;
        link[k] = '\0';
        /* the link's target, then what was left of the path */
        char tail[PATH_MAX * 2];
        if (snprintf(tail, sizeof tail, "%s/%s", link, p) >= (int)sizeof tail)
            return -1;
        memcpy(rest, tail, strlen(tail) + 1); /* same size */
        p = rest;
        if (link[0] == '/')
            out[0] = '\0';
    }
    if (!out[0])
        memcpy(out, "/", 2);
    return 0;
}

/* The name abs (absolute) makes, as pid sees it, into out: its directory
   resolved, its last component kept - or, with follow, where a symlink
   there leads. 0, or -1 when there is no name to record. */
static int name_of(pid_t pid, char *abs, int follow, char *out, size_t len)
{
    char real[PATH_MAX], link[PATH_MAX];
    for (int hops = 0; hops < LINKS_MAX; hops++) {
        size_t n = strlen(abs);
        while (n > 1 && abs[n - 1] == '/') /* trailing slashes belong to it */
            abs[--n] = '\0';
        char *slash = strrchr(abs, '/');
        const char *last = slash + 1;
        if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
            return -1;
        *slash = '\0';
        int rc = resolve_as(pid, slash == abs ? "/" : abs, real);
        *slash = '/';
        if (rc != 0)
            return -1;
        int k = snprintf(out, len, "%s/%s", strcmp(real, "/") == 0 ? "" : real, last);
        if (k <= 0 || (size_t)k >= len)
            return -1;
        struct stat st;
        ssize_t t;
        if (!follow || lstat(out, &st) != 0 || !S_ISLNK(st.st_mode) ||
            (t = readlink(out, link, sizeof link - 1)) <= 0)
            return 0;
        link[t] = '\0';
        if (link[0] == '/')
            snprintf(abs, PATH_MAX * 2 + 2, "%s", link);
        else
            snprintf(abs, PATH_MAX * 2 + 2, "%s/%s", strcmp(real, "/") == 0 ? "" : real, link);
    }
    return -1;
}

/* The absolute name the call would create, into out; -1 when there is
   none to record (bad pointer, abstract socket, "." or ".."). */
static int new_name(const struct seccomp_notif *req, char *out, size_t len)
{
    char path[PATH_MAX], base[PATH_MAX], mem_path[64];
    int name, dir;
    snprintf(mem_path, sizeof mem_path, "/proc/%d/mem", (int)req->pid);
    int mem = open(mem_path, O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        return -1;
    int rc = -1;
    if (req->data.nr == SYS_bind) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        size_t n = req->data.args[2] < sizeof sa ? (size_t)req->data.args[2] : sizeof sa;
        dir = -1;
        if (pread(mem, &sa, n, (off_t)req->data.args[1]) == (ssize_t)n && n > 2 &&
            sa.sun_family == AF_UNIX && sa.sun_path[0]) {
            size_t k = strnlen(sa.sun_path, n - offsetof(struct sockaddr_un, sun_path));
            memcpy(path, sa.sun_path, k);
            path[k] = '\0';
            rc = 0;
        }
    } else if (name_arg((long)req->data.nr, &name, &dir)) {
        rc = read_string(mem, req->data.args[name], path, sizeof path);
    }
    close(mem);
    if (rc != 0 || !path[0])
        return -1;
    char abs[PATH_MAX * 2 + 2];
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        if (base_dir((pid_t)req->pid, dir < 0 ? AT_FDCWD : (long long)req->data.args[dir], base,
                     sizeof base) != 0)
            return -1;
        snprintf(abs, sizeof abs, "%s/%s", base, path);
    }
    /* open and creat follow a symlink in the last place: what they make
       is where a dangling one points */
    long nr = (long)req->data.nr;
    return name_of((pid_t)req->pid, abs, nr == SYS_open || nr == SYS_openat || nr == SYS_creat,
                   out, len);
}

static int recorded(const struct tr_watch *w, const char *path)
{
    for (size_t i = 0; i < w->npaths; i++)
        if (strcmp(w->paths[i], path) == 0)
            return 1;
    return 0;
}

/* One report: record what it would create, then let it go on (or refuse
   it once the record is full). */
static void handle(struct tr_watch *w, int fd)
{
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
        return; /* the caller died meanwhile */
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    char path[PATH_MAX];
    struct stat st;
    /* the id still valid: the pid we read from is still the caller */
    if (new_name(&req, path, sizeof path) == 0 &&
        ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0 &&
        !(strncmp(path, w->run_dir, w->run_len) == 0 &&
          (path[w->run_len] == '/' || path[w->run_len] == '\0')) &&
        lstat(path, &st) != 0 && errno == ENOENT && !recorded(w, path)) {
        char **v = w->npaths < TR_WATCH_PATHS_MAX
                       ? realloc(w->paths, (w->npaths + 1) * sizeof *v)
                       : NULL;
        char *copy = v ? strdup(path) : NULL;
        if (v)
            w->paths = v;
        if (copy) {
            w->paths[w->npaths++] = copy;
        } else {
            /* past what we can remember: it must not exist unrecorded */
            w->refused++;
            resp.flags = 0;
            resp.error = -EDQUOT;
        }
    }
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* A listener a child handed over. */
static void take_listener(struct tr_watch *w)
{
    char byte;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {&byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    if (recvmsg(w->sock[0], &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) != 1)
        return;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        return;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (w->nlisteners < LISTENERS_MAX)
        w->listeners[w->nlisteners++] = fd;
    else
        close(fd); /* its calls fail with ENOSYS: never unwatched */
}

static void *watcher(void *arg)
{
    struct tr_watch *w = arg;
    for (;;) {
        struct pollfd p[LISTENERS_MAX + 2];
        size_t n = w->nlisteners;
        p[0] = (struct pollfd){.fd = w->stop[0], .events = POLLIN};
        p[1] = (struct pollfd){.fd = w->sock[0], .events = POLLIN};
        for (size_t i = 0; i < n; i++)
            p[i + 2] = (struct pollfd){.fd = w->listeners[i], .events = POLLIN};
        if (poll(p, n + 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        /* Backwards: a closed listener's slot takes the last one, seen already. */
        for (size_t i = n; i-- > 0;) {
            if (p[i + 2].revents & POLLIN) {
                handle(w, w->listeners[i]);
            } else if (p[i + 2].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                /* every process that had this filter is gone */
                close(w->listeners[i]);
                w->listeners[i] = w->listeners[--w->nlisteners];
            }
        }
        if (p[1].revents & POLLIN)
            take_listener(w);
    }
    return NULL;
}

enum tr_err tr_watch_open(const char *run_dir, struct tr_watch **out, char *errbuf)
{
    struct tr_watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    w->sock[0] = w->sock[1] = w->stop[0] = w->stop[1] = -1;
    const char *what = "the run directory";
    if (!realpath(run_dir, w->run_dir))
        goto fail;
    w->run_len = strlen(w->run_dir);
    what = "socketpair";
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, w->sock) != 0)
        goto fail;
    what = "pipe";
    if (pipe2(w->stop, O_CLOEXEC) != 0)
        goto fail;
    /* The thread takes no signal: SIGCHLD is for the tracer's waits. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int e = pthread_create(&w->thread, NULL, watcher, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        errno = e;
        what = "pthread_create";
        goto fail;
    }
    w->running = 1;
    *out = w;
    return TR_OK;
fail:
    snprintf(errbuf, TR_ERRBUF_LEN, "cannot watch the run's files: %s: %s", what,
             strerror(errno));
    tr_watch_close(w, NULL, NULL, 0);
    return TR_ERR_SYS;
}

int tr_watch_sock(const struct tr_watch *w)
{
    return w->sock[1];
}

static void add_note(char *note, size_t len, const char *path, const char *why)
{
    size_t used = strlen(note);
    if (used + 8 < len)
        snprintf(note + used, len - used, "%s%s (%s)", used ? ", " : "", path, why);
}

int tr_watch_close(struct tr_watch *w, int *left, char *note, size_t len)
{
    int removed = 0, kept = 0;
    if (note && len)
        note[0] = '\0';
    if (!w)
        goto out;
    if (w->running) {
        char byte = 0;
        while (write(w->stop[1], &byte, 1) < 0 && errno == EINTR)
            ;
        pthread_join(w->thread, NULL);
    }
    for (size_t i = 0; i < w->nlisteners; i++)
        close(w->listeners[i]);
    for (int i = 0; i < 2; i++) {
        if (w->sock[i] >= 0)
            close(w->sock[i]);
        if (w->stop[i] >= 0)
            close(w->stop[i]);
    }
    /* Newest first: a directory after what was made in it. */
    for (size_t i = w->npaths; i-- > 0;) {
        struct stat st;
        if (lstat(w->paths[i], &st) == 0) {
            if (tr_sandbox_remove_tree(w->paths[i]) == 0) {
                removed++;
            } else {
                kept++;
                if (note)
                    add_note(note, len, w->paths[i], "cannot be removed");
            }
        }
        free(w->paths[i]);
    }
    if (w->refused) {
        kept++;
        if (note) {
            char what[64];
            snprintf(what, sizeof what, "%zu more refused", w->refused);
            add_note(note, len, "creations past the limit", what);
        }
    }
    free(w->paths);
    free(w);
out:
    if (left)
        *left = kept;
    return removed;
}
