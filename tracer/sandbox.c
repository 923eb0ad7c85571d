/*
 * sandbox.c - the child side of starting an untrusted process.
 *
 * Everything between fork() and execve() lives here so the compiler, the
 * ptrace target and the Valgrind target get the same isolation. Only
 * async-signal-safe calls: the parent may be multi-threaded (serve).
 */
#include "tracer/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "tracer/target.h"

void tr_limits_default(struct tr_limits *l)
{
    l->wall_ms = TR_LIMIT_WALL_MS;
    l->cpu_soft_s = TR_LIMIT_CPU_SOFT_S;
    l->cpu_hard_s = TR_LIMIT_CPU_HARD_S;
    l->as_bytes = TR_LIMIT_AS;
    l->stack_bytes = TR_LIMIT_STACK;
    l->nproc = 0; /* per-uid: only meaningful once the program has its own uid */
    l->nofile = TR_LIMIT_NOFILE;
    l->fsize = TR_LIMIT_FSIZE;
}

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

static void install_fd(const char *path, int fd, int flags)
{
    int f = open(path, flags | O_CLOEXEC, 0600);
    if (f < 0)
        die(path);
    if (dup2(f, fd) < 0)
        die("dup2");
    if (f != fd)
        close(f);
}

void tr_sandbox_exec(const struct tr_launch *l, const char *const argv[], int traceme)
{
    char envbuf[1024];
    char *envp[8];

    /* Own process group: the tracer kills the whole group at the end. */
    setpgid(0, 0);
    /* If the tracer dies, so do we (ptrace also has PTRACE_O_EXITKILL). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(127);

    /* Default signal dispositions and an empty mask for the new program. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);

    install_fd(l->stdin_path ? l->stdin_path : "/dev/null", 0, O_RDONLY);
    install_fd(l->stdout_path ? l->stdout_path : "/dev/null", 1,
               O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    install_fd(l->stderr_path ? l->stderr_path : "/dev/null", 2,
               O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    /* close_range(3, ~0U, 0): no descriptor of ours reaches the program. */
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    }
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

    tr_sandbox_env(l->run_dir, envbuf, sizeof envbuf, envp, 8);

    if (traceme && ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
        die("ptrace(TRACEME) denied");

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
