/*
 * ptrace_target.c - the native target: the program runs under ptrace.
 *
 * The loop is strace's: fetch the next event with waitpid, then dispatch.
 * Speed comes from never single-stepping:
 *  - to resume from a breakpoint, its int3 is removed and the address is
 *    watched by a hardware execution breakpoint (DR0) instead, with the
 *    resume flag set so the instruction runs once; the int3 comes back at
 *    the next stop elsewhere. A loop that jumps straight back to the same
 *    address hits DR0, so no iteration is missed;
 *  - a breakpoint on `push %rbp` (every function entry at -O0) is stepped
 *    over by emulating that one instruction, so recursion into the same
 *    function is never missed.
 * Memory is read with process_vm_readv and written through /proc/pid/mem,
 * which can patch read-only text in one call.
 *
 * Other threads are traced only so that our breakpoints cannot kill them:
 * they are stepped over breakpoints and never reported. Forked children are
 * detached after their copy of the breakpoints is removed. Stop signals are
 * never delivered: a traced program cannot stop itself and hang the tracer.
 * One ptrace target per process at a time: waiting uses SIGCHLD, which
 * open() blocks in the calling thread.
 *
 * One file (past 800 lines) because the breakpoint table, the debug
 * registers, resume and wait keep one invariant together over struct pt: a
 * breakpoint is armed (int3 in the text) or watched by a debug register (or,
 * without them, pending rearm), and every path that moves one moves the
 * other. The seam if it grows: the tasks other than the main thread
 * (task_*, release_fork, handle_other_task) behind a folder-private header.
 */
#include "targets/ptrace/ptrace_target.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <stddef.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracer/proc.h"
#include "tracer/sandbox.h"

#define INT3 0xcc
#define PUSH_RBP 0x55
#define MAX_TASKS 64

struct bp {
    tr_addr addr; /* 0 = empty slot */
    uint8_t orig;
    uint8_t armed;
};

enum { TASK_THREAD = 0, TASK_UNKNOWN = -1 };

struct task {
    pid_t tid;
    int kind; /* TASK_THREAD, or TASK_UNKNOWN: stopped until its parent's
                 event says whether it is a thread or a fork */
};

struct pt {
    pid_t pid; /* main thread = process group leader */
    int memfd; /* /proc/pid/mem */
    int gone;
    struct bp *bps; /* open addressing, power-of-two size */
    size_t nbps, capbps;
    tr_addr rearm;   /* int3 removed at the last resume; re-armed at the next
                        stop elsewhere */
    tr_addr hw_addr; /* what DR0 watches, 0 = nothing */
    int hw_ok;       /* debug registers work (else: single-step over) */
    int hw_enabled;  /* DR7 enables DR0 */
    tr_addr stop_bp; /* the breakpoint the program is stopped at, 0 if none */
    struct user_regs_struct regs;
    int regs_valid, regs_dirty;
    struct task tasks[MAX_TASKS]; /* threads and fresh forks we know of */
    size_t ntasks;
    sigset_t chld;
    char *errbuf;
};

/* ---- breakpoint table ------------------------------------------------- */

static size_t bp_hash(tr_addr a, size_t cap)
{
    a ^= a >> 29;
    a *= 0xbf58476d1ce4e5b9ull;
    a ^= a >> 32;
    return (size_t)a & (cap - 1);
}

static struct bp *bp_find(struct pt *p, tr_addr a)
{
    if (!p->capbps)
        return NULL;
    for (size_t i = bp_hash(a, p->capbps);; i = (i + 1) & (p->capbps - 1)) {
        if (p->bps[i].addr == a)
            return &p->bps[i];
        if (p->bps[i].addr == 0)
            return NULL;
    }
}

static int bp_grow(struct pt *p)
{
    size_t cap = p->capbps ? p->capbps * 2 : 256;
    struct bp *n = calloc(cap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < p->capbps; i++) {
        if (!p->bps[i].addr)
            continue;
        size_t j = bp_hash(p->bps[i].addr, cap);
        while (n[j].addr)
            j = (j + 1) & (cap - 1);
        n[j] = p->bps[i];
    }
    free(p->bps);
    p->bps = n;
    p->capbps = cap;
    return 0;
}

static enum tr_err poke_byte(struct pt *p, pid_t tid, tr_addr a, uint8_t b)
{
    if (tid == p->pid) {
        if (pwrite(p->memfd, &b, 1, (off_t)a) == 1)
            return TR_OK;
        snprintf(p->errbuf, TR_ERRBUF_LEN, "cannot write breakpoint at 0x%llx: %s",
                 (unsigned long long)a, strerror(errno));
        return TR_ERR_MEM;
    }
    /* another address space (a fresh fork): word-sized poke */
    errno = 0;
    long w = ptrace(PTRACE_PEEKTEXT, tid, (void *)a, 0);
    if (errno)
        return TR_ERR_MEM;
    w = (long)(((unsigned long)w & ~0xfful) | b);
    return ptrace(PTRACE_POKETEXT, tid, (void *)a, (void *)w) == 0 ? TR_OK : TR_ERR_MEM;
}

static enum tr_err pt_insert_bp(void *st, tr_addr a)
{
    struct pt *p = st;
    struct bp *b = bp_find(p, a);
    if (b)
        return TR_OK;
    if ((p->nbps + 1) * 2 > p->capbps && bp_grow(p) != 0)
        return TR_ERR_NOMEM;
    uint8_t orig;
    if (pread(p->memfd, &orig, 1, (off_t)a) != 1) {
        snprintf(p->errbuf, TR_ERRBUF_LEN, "cannot read code at 0x%llx", (unsigned long long)a);
        return TR_ERR_MEM;
    }
    enum tr_err rc = poke_byte(p, p->pid, a, INT3);
    if (rc)
        return rc;
    size_t j = bp_hash(a, p->capbps);
    while (p->bps[j].addr)
        j = (j + 1) & (p->capbps - 1);
    p->bps[j] = (struct bp){.addr = a, .orig = orig, .armed = 1};
    p->nbps++;
    return TR_OK;
}

static enum tr_err pt_remove_bp(void *st, tr_addr a)
{
    struct pt *p = st;
    struct bp *b = bp_find(p, a);
    if (!b)
        return TR_OK;
    if (b->armed && !p->gone) {
        enum tr_err rc = poke_byte(p, p->pid, a, b->orig);
        if (rc)
            return rc;
    }
    if (p->rearm == a)
        p->rearm = 0;
    if (p->stop_bp == a)
        p->stop_bp = 0;
    /* Rebuild the table without it (removal is rare: return breakpoints). */
    size_t cap = p->capbps;
    struct bp *old = p->bps;
    p->bps = calloc(cap, sizeof *old);
    if (!p->bps) {
        p->bps = old;
        b->armed = 0; /* keep the slot, disarmed: still correct */
        return TR_OK;
    }
    p->nbps = 0;
    for (size_t i = 0; i < cap; i++) {
        if (!old[i].addr || old[i].addr == a)
            continue;
        size_t j = bp_hash(old[i].addr, cap);
        while (p->bps[j].addr)
            j = (j + 1) & (cap - 1);
        p->bps[j] = old[i];
        p->nbps++;
    }
    free(old);
    return TR_OK;
}

/* ---- registers and memory --------------------------------------------- */

static enum tr_err load_regs(struct pt *p)
{
    if (p->regs_valid)
        return TR_OK;
    if (ptrace(PTRACE_GETREGS, p->pid, 0, &p->regs) != 0) {
        snprintf(p->errbuf, TR_ERRBUF_LEN, "PTRACE_GETREGS: %s", strerror(errno));
        return errno == ESRCH ? TR_ERR_GONE : TR_ERR_SYS;
    }
    p->regs_valid = 1;
    return TR_OK;
}

static enum tr_err pt_get_regs(void *st, struct tr_regs *out)
{
    struct pt *p = st;
    enum tr_err rc = load_regs(p);
    if (rc)
        return rc;
    out->pc = p->regs.rip;
    out->sp = p->regs.rsp;
    out->fp = p->regs.rbp;
    out->rax = p->regs.rax;
    out->rdx = p->regs.rdx;
    out->rdi = p->regs.rdi;
    out->rsi = p->regs.rsi;
    return TR_OK;
}

static enum tr_err pt_get_fpregs(void *st, struct tr_fpregs *out)
{
    struct pt *p = st;
    struct user_fpregs_struct fp;
    if (ptrace(PTRACE_GETFPREGS, p->pid, 0, &fp) != 0)
        return errno == ESRCH ? TR_ERR_GONE : TR_ERR_SYS;
    memcpy(out->xmm0, &fp.xmm_space[0], 16);
    memcpy(out->xmm1, &fp.xmm_space[4], 16);
    memcpy(out->st0, &fp.st_space[0], 10);
    return TR_OK;
}

static enum tr_err pt_read_mem(void *st, tr_addr a, void *buf, size_t len)
{
    struct pt *p = st;
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)a, len};
    ssize_t n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len)
        return TR_OK;
    /* Unreadable for process_vm_readv (e.g. PROT_NONE guard): /proc/pid/mem
       follows ptrace's rules and can read some pages it cannot. */
    n = pread(p->memfd, buf, len, (off_t)a);
    return n == (ssize_t)len ? TR_OK : TR_ERR_MEM;
}

static enum tr_err pt_write_mem(void *st, tr_addr a, const void *buf, size_t len)
{
    struct pt *p = st;
    ssize_t n = pwrite(p->memfd, buf, len, (off_t)a);
    return n == (ssize_t)len ? TR_OK : TR_ERR_MEM;
}

/* ---- tasks other than the main thread ---------------------------------- */

static struct task *task_find(struct pt *p, pid_t tid)
{
    for (size_t i = 0; i < p->ntasks; i++)
        if (p->tasks[i].tid == tid)
            return &p->tasks[i];
    return NULL;
}

static void task_add(struct pt *p, pid_t tid, int kind)
{
    if (task_find(p, tid))
        return;
    if (p->ntasks < MAX_TASKS)
        p->tasks[p->ntasks++] = (struct task){tid, kind};
}

static void task_drop(struct pt *p, pid_t tid)
{
    for (size_t i = 0; i < p->ntasks; i++) {
        if (p->tasks[i].tid == tid) {
            p->tasks[i] = p->tasks[--p->ntasks];
            return;
        }
    }
}

/* A fork's copy of memory carries our int3s: restore them, then let it go.
   A vfork child shares our memory: leave it alone. Either way it stays in
   the program's process group and dies with it. */
static void release_fork(struct pt *p, pid_t child, int vfork)
{
    if (!vfork) {
        for (size_t i = 0; i < p->capbps; i++)
            if (p->bps[i].addr && p->bps[i].armed)
                poke_byte(p, child, p->bps[i].addr, p->bps[i].orig);
    }
    ptrace(PTRACE_DETACH, child, 0, 0);
    task_drop(p, child);
}

/* A thread other than main stopped: keep it running, stepping it over a
   breakpoint if it hit one. Never reported to the stepper. */
static void handle_other_task(struct pt *p, pid_t tid, int status)
{
    struct task *t = task_find(p, tid);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        task_drop(p, tid);
        return;
    }
    if (!WIFSTOPPED(status))
        return;
    if (!t) {
        /* A new task whose first stop came before its parent's event: a
           thread and a fork look the same here, and a fork must not run
           (its memory still carries our int3s). It stays stopped until the
           event says which it is. Resuming it as a thread lost fork.c's
           child under load ("parent saw 0"). */
        task_add(p, tid, TASK_UNKNOWN);
        return;
    }
    if (t->kind == TASK_UNKNOWN)
        return;
    int sig = WSTOPSIG(status);
    int deliver = 0;
    if (sig == SIGTRAP && (status >> 16) == 0) {
        struct user_regs_struct r;
        if (ptrace(PTRACE_GETREGS, tid, 0, &r) == 0) {
            struct bp *b = bp_find(p, r.rip - 1);
            if (b && b->armed) {
                r.rip -= 1;
                ptrace(PTRACE_SETREGS, tid, 0, &r);
                poke_byte(p, p->pid, b->addr, b->orig);
                ptrace(PTRACE_SINGLESTEP, tid, 0, 0);
                int s2;
                waitpid(tid, &s2, __WALL);
                poke_byte(p, p->pid, b->addr, INT3);
            } else if (b) {
                /* It met the int3 before the main thread's step took it out
                   (DR0 watches the address now): the original instruction
                   is back, run it. */
                r.rip -= 1;
                ptrace(PTRACE_SETREGS, tid, 0, &r);
            } else {
                deliver = SIGTRAP;
            }
        }
    } else if (sig != SIGSTOP && sig != SIGTRAP && sig != SIGTSTP && sig != SIGTTIN &&
               sig != SIGTTOU) {
        deliver = sig;
    }
    ptrace(PTRACE_CONT, tid, 0, (void *)(long)deliver);
}

/* ---- resume and wait -------------------------------------------------- */

#define DR_OFFSET(n) (offsetof(struct user, u_debugreg) + (n) * sizeof(long))

/* Point DR0 at addr (an execution breakpoint, enabled locally in DR7). */
static enum tr_err watch(struct pt *p, tr_addr addr)
{
    if (p->hw_addr == addr)
        return TR_OK;
    if (ptrace(PTRACE_POKEUSER, p->pid, (void *)DR_OFFSET(0), (void *)addr) != 0)
        return TR_ERR_SYS;
    if (!p->hw_enabled) {
        if (ptrace(PTRACE_POKEUSER, p->pid, (void *)DR_OFFSET(7), (void *)1L) != 0)
            return TR_ERR_SYS;
        p->hw_enabled = 1;
    }
    p->hw_addr = addr;
    return TR_OK;
}

/* The fallback without debug registers: execute the original instruction
   with one single-step, then put the int3 back. */
static enum tr_err step_over(struct pt *p, struct bp *b, int signo)
{
    if (p->regs_dirty && ptrace(PTRACE_SETREGS, p->pid, 0, &p->regs) != 0)
        return TR_ERR_SYS;
    p->regs_dirty = 0;
    p->regs_valid = 0;
    if (ptrace(PTRACE_SINGLESTEP, p->pid, 0, (void *)(long)signo) != 0)
        return errno == ESRCH ? TR_ERR_GONE : TR_ERR_SYS;
    int status;
    while (waitpid(p->pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (!WIFSTOPPED(status)) {
        p->gone = 1;
        return TR_ERR_GONE;
    }
    enum tr_err rc = poke_byte(p, p->pid, b->addr, INT3);
    if (rc == TR_OK) {
        b->armed = 1;
        p->rearm = 0;
    }
    return rc;
}

static enum tr_err pt_resume(void *st, enum tr_resume how, int signo)
{
    struct pt *p = st;
    if (p->gone)
        return TR_ERR_GONE;
    if (p->stop_bp) {
        struct bp *b = bp_find(p, p->stop_bp);
        enum tr_err rc = load_regs(p);
        if (rc)
            return rc;
        if (b && b->armed && b->orig == PUSH_RBP && how == TR_RESUME_CONT && signo == 0) {
            /* Emulate `push %rbp` and leave the breakpoint armed. */
            uint64_t sp = p->regs.rsp - 8;
            uint64_t fp = p->regs.rbp;
            struct iovec l = {&fp, 8}, r = {(void *)(uintptr_t)sp, 8};
            if (process_vm_writev(p->pid, &l, 1, &r, 1, 0) != 8)
                return TR_ERR_MEM;
            p->regs.rsp = sp;
            p->regs.rip = b->addr + 1;
            p->regs_dirty = 1;
        } else if (b && (b->armed || p->rearm == b->addr)) {
            if (b->armed) {
                rc = poke_byte(p, p->pid, b->addr, b->orig);
                if (rc)
                    return rc;
                b->armed = 0;
            }
            p->rearm = b->addr;
            if (p->hw_ok && watch(p, b->addr) == TR_OK) {
                p->regs.eflags |= 0x10000; /* RF: run this instruction once */
                p->regs_dirty = 1;
            } else if (how == TR_RESUME_CONT) {
                /* no debug registers: step over, then put the int3 back */
                rc = step_over(p, b, signo);
                if (rc)
                    return rc;
                signo = 0;
            }
        }
        p->stop_bp = 0;
    }
    if (p->regs_dirty && ptrace(PTRACE_SETREGS, p->pid, 0, &p->regs) != 0)
        return errno == ESRCH ? TR_ERR_GONE : TR_ERR_SYS;
    p->regs_dirty = 0;
    p->regs_valid = 0;
    long r = ptrace(how == TR_RESUME_STEP ? PTRACE_SINGLESTEP : PTRACE_CONT, p->pid, 0,
                    (void *)(long)signo);
    if (r != 0)
        return errno == ESRCH ? TR_ERR_GONE : TR_ERR_SYS;
    return TR_OK;
}

static void rearm_pending(struct pt *p, tr_addr at)
{
    if (!p->rearm || p->rearm == at) /* stopped on it again: stays off */
        return;
    struct bp *b = bp_find(p, p->rearm);
    if (b && !b->armed && poke_byte(p, p->pid, b->addr, INT3) == TR_OK)
        b->armed = 1;
    p->rearm = 0;
}

/* A stop not at one of our breakpoints. When the program is still at the
   address whose step-over the last resume began (a signal came before its
   instruction ran: SIGCHLD while it waits for its child), that step-over is
   still to do: the int3 stays out and the next resume sets RF again.
   Re-armed, the int3 reported the same line a second time. */
static void other_stop(struct pt *p)
{
    if (p->rearm && load_regs(p) == TR_OK && p->regs.rip == p->rearm) {
        p->stop_bp = p->rearm;
        return;
    }
    rearm_pending(p, 0);
}

/* Wait for any traced task, honouring the deadline. 0 on timeout. */
static pid_t wait_any(struct pt *p, int64_t deadline_ms, int *status)
{
    for (;;) {
        pid_t w = waitpid(-1, status, __WALL | WNOHANG);
        if (w != 0)
            return w;
        struct timespec ts = {1, 0};
        if (deadline_ms) {
            int64_t left = deadline_ms - tr_now_ms();
            if (left <= 0)
                return 0;
            ts.tv_sec = left / 1000;
            ts.tv_nsec = (left % 1000) * 1000000;
        }
        sigtimedwait(&p->chld, NULL, &ts);
    }
}

static enum tr_err pt_wait(void *st, int64_t deadline_ms, struct tr_stop *out)
{
    struct pt *p = st;
    if (p->gone)
        return TR_ERR_GONE;
    for (;;) {
        int status;
        pid_t w = wait_any(p, deadline_ms, &status);
        if (w == 0)
            return TR_ERR_TIMEOUT;
        if (w < 0) {
            if (errno == EINTR)
                continue;
            p->gone = 1;
            snprintf(p->errbuf, TR_ERRBUF_LEN, "waitpid: %s", strerror(errno));
            return TR_ERR_GONE;
        }
        if (w != p->pid) {
            handle_other_task(p, w, status);
            continue;
        }
        p->regs_valid = 0;
        if (WIFEXITED(status)) {
            p->gone = 1;
            out->kind = TR_STOP_EXITED;
            out->status = WEXITSTATUS(status);
            return TR_OK;
        }
        if (WIFSIGNALED(status)) {
            p->gone = 1;
            out->kind = TR_STOP_KILLED;
            out->signo = WTERMSIG(status);
            return TR_OK;
        }
        if (!WIFSTOPPED(status))
            continue;
        int sig = WSTOPSIG(status);
        int event = status >> 16;
        if (event) {
            unsigned long msg = 0;
            ptrace(PTRACE_GETEVENTMSG, p->pid, 0, &msg);
            if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
                /* Released now, while the parent is still stopped at the
                   fork: the child's memory holds exactly the int3s armed
                   now. Released at its own later stop, a breakpoint the
                   parent took out meanwhile (the one at fork's return)
                   stayed in the child, which died of SIGTRAP under load
                   (fork.c: "parent saw 0"). Its first stop is certain
                   (SIGSTOP of an auto-attached child) and near, so wait
                   for it here unless it came first. */
                pid_t child = (pid_t)msg;
                int cs = 0;
                if (task_find(p, child) ||
                    (waitpid(child, &cs, __WALL) == child && WIFSTOPPED(cs)))
                    release_fork(p, child, event == PTRACE_EVENT_VFORK);
            } else if (event == PTRACE_EVENT_CLONE) {
                struct task *t = task_find(p, (pid_t)msg);
                if (t && t->kind == TASK_UNKNOWN) { /* its stop came first */
                    t->kind = TASK_THREAD;
                    ptrace(PTRACE_CONT, (pid_t)msg, 0, 0);
                } else {
                    task_add(p, (pid_t)msg, TASK_THREAD);
                }
            } else if (event == PTRACE_EVENT_EXEC) {
                /* The program replaced itself: our breakpoints are gone and
                   what runs now is not the user's code. */
                snprintf(p->errbuf, TR_ERRBUF_LEN, "the program called exec");
                kill(-p->pid, SIGKILL);
                kill(p->pid, SIGKILL);
            }
            ptrace(PTRACE_CONT, p->pid, 0, 0);
            continue;
        }
        siginfo_t si;
        if (ptrace(PTRACE_GETSIGINFO, p->pid, 0, &si) != 0) {
            /* group-stop: the program asked to stop itself; keep it running */
            ptrace(PTRACE_CONT, p->pid, 0, 0);
            continue;
        }
        if (sig == SIGTRAP) {
            enum tr_err rc = load_regs(p);
            if (rc)
                return rc;
            struct bp *b = bp_find(p, p->regs.rip - 1);
            if (si.si_code == SI_KERNEL && b && b->armed) {
                p->regs.rip -= 1;
                p->regs_dirty = 1;
                p->stop_bp = b->addr;
                rearm_pending(p, b->addr);
                out->kind = TR_STOP_BREAKPOINT;
                out->pc = b->addr;
                return TR_OK;
            }
            if (si.si_code == TRAP_HWBKPT && p->hw_addr == p->regs.rip) {
                b = bp_find(p, p->regs.rip);
                if (b) {
                    /* back at the address we just left: DR0 caught it */
                    p->stop_bp = b->addr;
                    out->kind = TR_STOP_BREAKPOINT;
                    out->pc = b->addr;
                    return TR_OK;
                }
                /* a breakpoint removed since: run on */
                p->regs.eflags |= 0x10000;
                if (ptrace(PTRACE_SETREGS, p->pid, 0, &p->regs) != 0 ||
                    ptrace(PTRACE_CONT, p->pid, 0, 0) != 0)
                    return TR_ERR_GONE;
                p->regs_valid = 0;
                continue;
            }
            other_stop(p);
            if (si.si_code == TRAP_TRACE || si.si_code == TRAP_BRKPT) {
                out->kind = TR_STOP_STEP;
                out->pc = p->regs.rip;
                return TR_OK;
            }
        }
        other_stop(p);
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
            /* never let it stop itself */
            if (pt_resume(p, TR_RESUME_CONT, 0) != TR_OK)
                ptrace(PTRACE_CONT, p->pid, 0, 0);
            continue;
        }
        if (load_regs(p) == TR_OK)
            out->pc = p->regs.rip;
        out->kind = TR_STOP_SIGNAL;
        out->signo = sig;
        out->fault_addr = (tr_addr)(uintptr_t)si.si_addr;
        out->fault_code = si.si_code;
        return TR_OK;
    }
}

/* ---- lifetime ---------------------------------------------------------- */

static void pt_kill(void *st)
{
    struct pt *p = st;
    if (p->pid > 0 && !p->gone) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
    }
}

static void pt_destroy(void *st)
{
    struct pt *p = st;
    if (!p)
        return;
    if (p->pid > 0) {
        if (!p->gone) {
            pt_kill(p);
            /* Reap any task until the leader: its other threads are our
               tracees too, and a traced thread stays a zombie until we
               reap it - waiting for the leader alone never returns while
               such a thread is left (a program with threads). */
            for (;;) {
                int status;
                pid_t w = waitpid(-1, &status, __WALL);
                if (w == p->pid || (w < 0 && errno != EINTR))
                    break;
            }
        }
        kill(-p->pid, SIGKILL); /* whatever else is left in its group */
        /* reap every task that was ours (threads, undetached forks) */
        while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
            ;
    }
    if (p->memfd >= 0)
        close(p->memfd);
    free(p->bps);
    free(p);
}

static const struct tr_target_ops ptrace_ops = {
    .name = "ptrace",
    .caps = TR_CAP_SINGLESTEP | TR_CAP_WRITE_MEM,
    .resume = pt_resume,
    .wait = pt_wait,
    .read_mem = pt_read_mem,
    .write_mem = pt_write_mem,
    .get_regs = pt_get_regs,
    .get_fpregs = pt_get_fpregs,
    .insert_bp = pt_insert_bp,
    .remove_bp = pt_remove_bp,
    .read_vbits = NULL,
    .kill = pt_kill,
    .destroy = pt_destroy,
};

enum tr_err tr_ptrace_open(const struct tr_launch *l, struct tr_target **out, char *errbuf)
{
    struct tr_target *t = calloc(1, sizeof *t);
    struct pt *p = calloc(1, sizeof *p);
    if (!t || !p) {
        free(t);
        free(p);
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    p->memfd = -1;
    p->errbuf = t->errbuf;
    sigemptyset(&p->chld);
    sigaddset(&p->chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &p->chld, NULL);

    const char *argv[] = {l->exe, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "fork: %s", strerror(errno));
        free(t);
        free(p);
        return TR_ERR_SYS;
    }
    if (pid == 0)
        tr_sandbox_exec(l, argv, 1);
    p->pid = pid;
    setpgid(pid, pid); /* also in the child; whichever runs first */

    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the program could not be started%s",
                 WIFEXITED(status) ? " (see stderr)" : "");
        p->gone = WIFEXITED(status) || WIFSIGNALED(status);
        pt_destroy(p);
        free(t);
        return TR_ERR_SYS;
    }
    long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
    char path[64];
    if (tr_proc_path(path, sizeof path, pid, "mem") != 0 ||
        ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)opts) != 0 ||
        (p->memfd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "cannot control the program: %s", strerror(errno));
        pt_destroy(p);
        free(t);
        return TR_ERR_SYS;
    }
    /* Debug registers are virtualised by some hypervisors only. */
    p->hw_ok = ptrace(PTRACE_POKEUSER, pid, (void *)DR_OFFSET(7), (void *)0L) == 0;
    t->ops = &ptrace_ops;
    t->state = p;
    *out = t;
    return TR_OK;
}
