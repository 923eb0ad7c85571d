/*
 * agent_target.c - the target without ptrace: the program is driven by the
 * agent inside it (tracer/rt/agent.c) over a SOCK_SEQPACKET socketpair.
 * This is the fast engine where ptrace is denied (AWS Lambda). docs/agent.md
 * has the design; tracer/rt/agent.h the packets.
 *
 * The agent lives in the user's process, so everything it sends is checked
 * like any other input (agent_wire.c: magic, kind, exact packet sizes,
 * reply lengths), and every wait is bounded by the run's deadline. What a program
 * can do to its agent (close the channel, exec, break the packets, run
 * breakpoints on a second thread) ends the trace with a message, never a
 * hung tracer.
 *
 * Breakpoints: the tracer keeps the set of addresses; inserts and removals
 * are queued and travel to the agent with the next RESUME, so a stop costs
 * one round trip. Memory is read with process_vm_readv when the machine
 * allows it (same uid, no ptrace needed), else over the channel.
 */
#include "targets/agent/agent_target.h"
#include "targets/agent/agent_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracer/rt/agent.h"
#include "tracer/sandbox.h"

#define SLICE_MS 100      /* how often a silent channel is checked for a dead program */
#define EOF_GRACE_MS 1000 /* a closed channel: the program should be exiting */
#define START_MS 10000    /* the agent must say HELLO within this */
#define REPLY_MS 5000     /* a stopped agent answers a command within this */

struct ag {
    pid_t pid;
    int sock;
    int gone;
    int stopped;       /* in the agent, waiting for commands */
    tr_addr *bps;      /* sorted addresses of our breakpoints */
    size_t nbps, capbps;
    struct spp_agent_poke *pend; /* queued for the next command */
    size_t npend, cappend;
    tr_addr stop_bp;   /* stopped at this breakpoint (0: not at one) */
    dev_t exe_dev;     /* the program file, to tell an exec from an exit */
    ino_t exe_ino;
    struct spp_agent_stop last;
    int vm;            /* process_vm_readv: 1 works, -1 denied, 0 untried */
    int64_t deadline;  /* the last wait's deadline, bounding replies too */
    char *errbuf;
};

/* ---- the channel ------------------------------------------------------- */

/* Wait for a packet until deadline_ms. Returns its length, 0 at EOF, -1 on
   timeout (errno ETIMEDOUT) or error; also returns -2 when the program
   died while the channel stayed open (a forked child holds it). */
static ssize_t recv_packet(struct ag *a, void *buf, size_t len, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms ? deadline_ms - tr_now_ms() : SLICE_MS;
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = {a->sock, POLLIN, 0};
        int r = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0) {
            /* MSG_TRUNC: the real length of a packet larger than buf */
            ssize_t n = recv(a->sock, buf, len, MSG_DONTWAIT | MSG_TRUNC);
            if (n >= 0 || (errno != EAGAIN && errno != EINTR))
                return n;
            continue;
        }
        siginfo_t si;
        si.si_pid = 0;
        if (r == 0 && waitid(P_PID, (id_t)a->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid == a->pid)
            return -2;
        /* A program cannot stop itself (SIGSTOP, SIGTSTP): as under ptrace,
           it goes on at once rather than hang until the time limit. */
        si.si_pid = 0;
        if (r == 0 && waitid(P_PID, (id_t)a->pid, &si, WSTOPPED | WNOHANG) == 0 &&
            si.si_pid == a->pid)
            kill(a->pid, SIGCONT);
    }
}

/* One command packet: c, then len bytes of what follows it (pokes, or a
   WRITE's data). */
static enum tr_err send_packet(struct ag *a, struct spp_agent_cmd *c, const void *more,
                               size_t len)
{
    c->magic = SPP_AGENT_MAGIC;
    struct iovec iov[2] = {{c, sizeof *c}, {(void *)(uintptr_t)more, len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    if (sendmsg(a->sock, &m, MSG_NOSIGNAL) == (ssize_t)(sizeof *c + len))
        return TR_OK;
    snprintf(a->errbuf, TR_ERRBUF_LEN, "the program closed the tracer's channel");
    return TR_ERR_GONE;
}

static enum tr_err send_cmd(struct ag *a, struct spp_agent_cmd *c, const struct spp_agent_poke *pk,
                            size_t npk)
{
    c->npokes = (uint32_t)npk;
    return send_packet(a, c, pk, npk * sizeof *pk);
}

/* A reply to READ/POKE: checked header, data of exactly want bytes. */
static enum tr_err get_reply(struct ag *a, void *data, size_t want, int *status)
{
    static char buf[sizeof(struct spp_agent_reply) + SPP_AGENT_MAX_READ];
    int64_t until = tr_now_ms() + REPLY_MS;
    if (a->deadline && a->deadline < until)
        until = a->deadline;
    ssize_t n = recv_packet(a, buf, sizeof buf, until);
    if (n == -1 && errno == ETIMEDOUT) {
        snprintf(a->errbuf, TR_ERRBUF_LEN, "the agent did not answer");
        return TR_ERR_TIMEOUT;
    }
    return ag_wire_reply(buf, sizeof buf, n, data, want, status, a->errbuf);
}

/* ---- breakpoints -------------------------------------------------------- */

/* Index of the first address >= x. */
static size_t bp_lower(const struct ag *a, tr_addr x)
{
    size_t lo = 0, hi = a->nbps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->bps[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int bp_has(const struct ag *a, tr_addr x)
{
    size_t i = bp_lower(a, x);
    return i < a->nbps && a->bps[i] == x;
}

static enum tr_err queue(struct ag *a, tr_addr addr, uint32_t op)
{
    if (a->npend == a->cappend) {
        size_t cap = a->cappend ? a->cappend * 2 : 256;
        void *n = realloc(a->pend, cap * sizeof *a->pend);
        if (!n)
            return TR_ERR_NOMEM;
        a->pend = n;
        a->cappend = cap;
    }
    a->pend[a->npend++] = (struct spp_agent_poke){.addr = addr, .op = op};
    return TR_OK;
}

static enum tr_err ag_insert_bp(void *st, tr_addr addr)
{
    struct ag *a = st;
    size_t i = bp_lower(a, addr);
    if (i < a->nbps && a->bps[i] == addr)
        return TR_OK;
    if (a->nbps >= SPP_AGENT_MAX_BPS) {
        snprintf(a->errbuf, TR_ERRBUF_LEN, "more than %u breakpoints", SPP_AGENT_MAX_BPS);
        return TR_ERR_LIMIT;
    }
    if (a->nbps == a->capbps) {
        size_t cap = a->capbps ? a->capbps * 2 : 256;
        tr_addr *n = realloc(a->bps, cap * sizeof *n);
        if (!n)
            return TR_ERR_NOMEM;
        a->bps = n;
        a->capbps = cap;
    }
    enum tr_err rc = queue(a, addr, SPP_AGENT_ARM);
    if (rc)
        return rc;
    memmove(a->bps + i + 1, a->bps + i, (a->nbps - i) * sizeof *a->bps);
    a->bps[i] = addr;
    a->nbps++;
    return TR_OK;
}

static enum tr_err ag_remove_bp(void *st, tr_addr addr)
{
    struct ag *a = st;
    size_t i = bp_lower(a, addr);
    if (i == a->nbps || a->bps[i] != addr)
        return TR_OK;
    enum tr_err rc = queue(a, addr, SPP_AGENT_DISARM);
    if (rc)
        return rc;
    memmove(a->bps + i, a->bps + i + 1, (a->nbps - i - 1) * sizeof *a->bps);
    a->nbps--;
    return TR_OK;
}

/* Send queued pokes that do not fit into the RESUME packet, with replies. */
static enum tr_err flush_excess(struct ag *a)
{
    while (a->npend > SPP_AGENT_MAX_POKES) {
        struct spp_agent_cmd c = {.op = SPP_AGENT_POKE};
        int status = 0;
        enum tr_err rc = send_cmd(a, &c, a->pend, SPP_AGENT_MAX_POKES);
        if (rc == TR_OK)
            rc = get_reply(a, NULL, 0, &status);
        if (rc)
            return rc;
        if (status) {
            snprintf(a->errbuf, TR_ERRBUF_LEN, "the agent cannot write breakpoints: %s",
                     strerror(status));
            return TR_ERR_MEM;
        }
        a->npend -= SPP_AGENT_MAX_POKES;
        memmove(a->pend, a->pend + SPP_AGENT_MAX_POKES, a->npend * sizeof *a->pend);
    }
    return TR_OK;
}

/* ---- resume and wait ------------------------------------------------------ */

static enum tr_err ag_resume(void *st, enum tr_resume how, int signo)
{
    struct ag *a = st;
    if (a->gone)
        return TR_ERR_GONE;
    if (!a->stopped || how != TR_RESUME_CONT)
        return TR_ERR_BADREQ;
    enum tr_err rc = flush_excess(a);
    if (rc)
        return rc;
    struct spp_agent_cmd c = {.op = SPP_AGENT_RESUME, .signo = signo};
    if (a->stop_bp) {
        c.set_rip = a->stop_bp; /* back onto the instruction under the int3 */
        if (bp_has(a, a->stop_bp))
            c.step_off = a->stop_bp;
    }
    rc = send_cmd(a, &c, a->pend, a->npend);
    if (rc)
        return rc;
    a->npend = 0;
    a->stop_bp = 0;
    a->stopped = 0;
    return TR_OK;
}

/* The program broke away from its agent: it is killed and the trace ends
   as ptrace's does at an exec, "Killed: <why>". */
static enum tr_err broke_away(struct ag *a, const char *why, struct tr_stop *out)
{
    kill(-a->pid, SIGKILL);
    kill(a->pid, SIGKILL);
    while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    a->gone = 1;
    snprintf(a->errbuf, TR_ERRBUF_LEN, "%s", why);
    out->kind = TR_STOP_KILLED;
    out->signo = SIGKILL;
    return TR_OK;
}

/* Is the process running another program than the one started? */
static int execd(const struct ag *a)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)a->pid);
    return stat(path, &st) == 0 && (st.st_dev != a->exe_dev || st.st_ino != a->exe_ino);
}

#define CLOSED_CHANNEL "the program closed the tracer's channel"

/* The program is gone or going: its exit status as a stop. */
static enum tr_err reap(struct ag *a, int64_t deadline_ms, struct tr_stop *out)
{
    int status;
    if (execd(a)) /* the channel is close-on-exec */
        return broke_away(a, "the program called exec", out);
    int64_t until = tr_now_ms() + EOF_GRACE_MS;
    if (deadline_ms && deadline_ms < until)
        until = deadline_ms;
    for (;;) {
        pid_t w = waitpid(a->pid, &status, WNOHANG);
        if (w == a->pid)
            break;
        if (w < 0 && errno != EINTR) {
            a->gone = 1;
            snprintf(a->errbuf, TR_ERRBUF_LEN, "waitpid: %s", strerror(errno));
            return TR_ERR_GONE;
        }
        if (tr_now_ms() >= until) /* alive with its channel closed */
            return broke_away(a, execd(a) ? "the program called exec" : CLOSED_CHANNEL, out);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    a->gone = 1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        snprintf(a->errbuf, TR_ERRBUF_LEN, CLOSED_CHANNEL); /* how the agent ends then */
    if (WIFEXITED(status)) {
        out->kind = TR_STOP_EXITED;
        out->status = WEXITSTATUS(status);
    } else {
        out->kind = TR_STOP_KILLED;
        out->signo = WTERMSIG(status);
    }
    return TR_OK;
}

static enum tr_err ag_wait(void *st, int64_t deadline_ms, struct tr_stop *out)
{
    struct ag *a = st;
    char buf[sizeof(struct spp_agent_stop) + sizeof(struct spp_agent_error)];
    if (a->gone)
        return TR_ERR_GONE;
    a->deadline = deadline_ms;
    if (a->stopped)
        return TR_ERR_BADREQ;
    ssize_t n = recv_packet(a, buf, sizeof buf, deadline_ms);
    if (n == -1 && errno == ETIMEDOUT)
        return TR_ERR_TIMEOUT;
    if (n == 0 || n == -2)
        return reap(a, deadline_ms, out);
    switch (ag_wire_event(buf, sizeof buf, n, &a->last, a->errbuf)) {
    case AG_WIRE_STOP:
        break;
    case AG_WIRE_ERROR:
    case AG_WIRE_BAD:
        return TR_ERR_PROTOCOL;
    }
    const struct spp_agent_stop *s = &a->last;
    a->stopped = 1;
    if (s->signo == SIGTRAP && s->code == SI_KERNEL && s->rip && bp_has(a, s->rip - 1) &&
        !s->stepping) {
        a->stop_bp = s->rip - 1;
        out->kind = TR_STOP_BREAKPOINT;
        out->pc = a->stop_bp;
        return TR_OK;
    }
    out->kind = TR_STOP_SIGNAL;
    out->pc = s->rip;
    out->signo = s->signo;
    out->fault_addr = s->addr;
    out->fault_code = s->code;
    return TR_OK;
}

/* ---- registers and memory ---------------------------------------------- */

static enum tr_err ag_get_regs(void *st, struct tr_regs *out)
{
    struct ag *a = st;
    if (!a->stopped)
        return a->gone ? TR_ERR_GONE : TR_ERR_BADREQ;
    const struct spp_agent_stop *s = &a->last;
    out->pc = a->stop_bp ? a->stop_bp : s->rip;
    out->sp = s->rsp;
    out->fp = s->rbp;
    out->rax = s->rax;
    out->rdx = s->rdx;
    out->rdi = s->rdi;
    out->rsi = s->rsi;
    return TR_OK;
}

static enum tr_err ag_get_fpregs(void *st, struct tr_fpregs *out)
{
    struct ag *a = st;
    if (!a->stopped)
        return a->gone ? TR_ERR_GONE : TR_ERR_BADREQ;
    memcpy(out->xmm0, a->last.xmm0, 16);
    memcpy(out->xmm1, a->last.xmm1, 16);
    memcpy(out->st0, a->last.st0, 10);
    return TR_OK;
}

/* READ or WRITE over the channel, in packets of at most what the agent
   takes (agent.h). */
static enum tr_err channel_io(struct ag *a, uint32_t op, tr_addr addr, void *buf, size_t len)
{
    int write = op == SPP_AGENT_WRITE;
    size_t max = write ? SPP_AGENT_MAX_WRITE : SPP_AGENT_MAX_READ;
    if (!a->stopped)
        return TR_ERR_BADREQ;
    while (len) {
        size_t k = len < max ? len : max;
        struct spp_agent_cmd c = {.op = op, .addr = addr, .len = k};
        int status = 0;
        enum tr_err rc = send_packet(a, &c, write ? buf : NULL, write ? k : 0);
        if (rc == TR_OK)
            rc = get_reply(a, write ? NULL : buf, write ? 0 : k, &status);
        if (rc)
            return rc;
        if (status)
            return TR_ERR_MEM;
        addr += k;
        buf = (char *)buf + k;
        len -= k;
    }
    return TR_OK;
}

/* process_vm_readv/writev while the machine allows them. *denied = 1 when
   it does not (seccomp, no same-uid access): then ask the agent, for good. */
static enum tr_err vm_io(struct ag *a, int write, tr_addr addr, void *buf, size_t len,
                         int *denied)
{
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = write ? process_vm_writev(a->pid, &local, 1, &remote, 1, 0)
                      : process_vm_readv(a->pid, &local, 1, &remote, 1, 0);
    *denied = 0;
    if (n == (ssize_t)len) {
        a->vm = 1;
        return TR_OK;
    }
    if (n >= 0 || errno == EFAULT || errno == ESRCH)
        return n < 0 && errno == ESRCH ? TR_ERR_GONE : TR_ERR_MEM;
    a->vm = -1;
    *denied = 1;
    return TR_OK;
}

static enum tr_err ag_read_mem(void *st, tr_addr addr, void *buf, size_t len)
{
    struct ag *a = st;
    int denied = 1;
    enum tr_err rc = a->vm >= 0 ? vm_io(a, 0, addr, buf, len, &denied) : TR_OK;
    return denied ? channel_io(a, SPP_AGENT_READ, addr, buf, len) : rc;
}

/* Writes go where reads go; over the channel the agent writes only into
   the stopped stack (agent.h), which is all frame_fill.c asks for. */
static enum tr_err ag_write_mem(void *st, tr_addr addr, const void *buf, size_t len)
{
    struct ag *a = st;
    void *b = (void *)(uintptr_t)buf; /* iovec and channel_io are not const */
    int denied = 1;
    enum tr_err rc = a->vm >= 0 ? vm_io(a, 1, addr, b, len, &denied) : TR_OK;
    return denied ? channel_io(a, SPP_AGENT_WRITE, addr, b, len) : rc;
}

/* ---- lifetime ---------------------------------------------------------- */

static void ag_kill(void *st)
{
    struct ag *a = st;
    if (a->pid > 0 && !a->gone) {
        kill(-a->pid, SIGKILL);
        kill(a->pid, SIGKILL);
    }
}

static void ag_destroy(void *st)
{
    struct ag *a = st;
    if (!a)
        return;
    if (a->pid > 0) {
        if (!a->gone) {
            ag_kill(a);
            while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        kill(-a->pid, SIGKILL); /* whatever else is left in its group */
    }
    if (a->sock >= 0)
        close(a->sock);
    free(a->bps);
    free(a->pend);
    free(a);
}

static const struct tr_target_ops agent_ops = {
    .name = "agent",
    .caps = TR_CAP_WRITE_MEM,
    .resume = ag_resume,
    .wait = ag_wait,
    .read_mem = ag_read_mem,
    .write_mem = ag_write_mem,
    .get_regs = ag_get_regs,
    .get_fpregs = ag_get_fpregs,
    .insert_bp = ag_insert_bp,
    .remove_bp = ag_remove_bp,
    .read_vbits = NULL,
    .kill = ag_kill,
    .destroy = ag_destroy,
};

enum tr_err tr_agent_open(const struct tr_launch *l, struct tr_target **out, char *errbuf)
{
    struct tr_target *t = calloc(1, sizeof *t);
    struct ag *a = calloc(1, sizeof *a);
    int sv[2] = {-1, -1};
    if (!t || !a) {
        free(t);
        free(a);
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    a->sock = -1;
    a->errbuf = t->errbuf;
    /* The service's own setting (tests, bench): read memory over the
       channel only, as where process_vm_readv is denied. */
    const char *reads = getenv("SPP_AGENT_READS");
    if (reads && strcmp(reads, "channel") == 0)
        a->vm = -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "socketpair: %s", strerror(errno));
        goto fail;
    }
    /* far from 0-3, so the child's dup2 onto SPP_AGENT_FD always moves it */
    int child_end = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    close(sv[1]);
    a->sock = sv[0];
    if (child_end < 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "fcntl: %s", strerror(errno));
        goto fail;
    }
    struct stat exe;
    if (stat(l->exe, &exe) != 0) {
        close(child_end);
        snprintf(errbuf, TR_ERRBUF_LEN, "%s: %s", l->exe, strerror(errno));
        goto fail;
    }
    a->exe_dev = exe.st_dev;
    a->exe_ino = exe.st_ino;
    struct tr_launch lc = *l;
    lc.agent_fd = child_end;
    const char *argv[] = {l->exe, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(child_end);
        snprintf(errbuf, TR_ERRBUF_LEN, "fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0)
        tr_sandbox_exec(&lc, argv, 0);
    close(child_end);
    a->pid = pid;
    setpgid(pid, pid); /* also in the child; whichever runs first */

    struct spp_agent_stop hello;
    int64_t wall = l->limits && l->limits->wall_ms ? l->limits->wall_ms : START_MS;
    ssize_t n = recv_packet(a, &hello, sizeof hello, tr_now_ms() + (wall < START_MS ? wall : START_MS));
    if (!ag_wire_hello(&hello, sizeof hello, n)) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the program could not be started%s",
                 n == 0 || n == -2 ? " (see stderr)" : ": its agent did not answer");
        goto fail;
    }
    a->stopped = 1;
    t->ops = &agent_ops;
    t->state = a;
    *out = t;
    return TR_OK;
fail:
    if (sv[0] >= 0 && a->sock < 0)
        close(sv[0]);
    ag_destroy(a);
    free(t);
    return TR_ERR_SYS;
}
