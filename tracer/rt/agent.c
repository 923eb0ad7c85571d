/*
 * agent.c - the in-process agent: the target the tracer drives where ptrace
 * is denied (AWS Lambda). Linked into every traced program beside sppmon.c;
 * inert unless the tracer started the program with SPP_AGENT_ENV set and the
 * channel on SPP_AGENT_FD, and inert under Valgrind. Design: docs/agent.md,
 * wire format: agent.h.
 *
 * - Its constructor says HELLO and waits for commands, so the tracer sets
 *   its first breakpoints before main runs.
 * - Breakpoints are int3 bytes written into the program's own text
 *   (mprotect around the write); the agent keeps the byte under each one.
 * - Every stop is a signal caught by one handler on an alternate stack:
 *   the handler sends the registers from the ucontext and serves commands
 *   (read memory, write breakpoints) until told to resume. Leaving a
 *   breakpoint: put the byte back, set EFLAGS.TF, and at the TRAP_TRACE
 *   one instruction later write the int3 again - the tracer is not asked.
 * - The program's own sigaction/signal calls for the signals the agent
 *   catches are kept as a virtual disposition, applied when the tracer
 *   delivers the signal; sigprocmask cannot block SIGTRAP or a fault.
 * - A forked child puts every original byte back in its copy of the text,
 *   drops the channel and runs on untraced (as with ptrace).
 * Everything in the handler path is async-signal-safe: no malloc, no stdio.
 */
#include "tracer/rt/agent.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#define EXPORT __attribute__((visibility("default")))
#define INT3 0xcc
#define EFLAGS_TF 0x100
#define BP_SLOTS (SPP_AGENT_MAX_BPS * 2u) /* power of two, load <= 1/2 */

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*sigmask_fn)(int, const sigset_t *, sigset_t *);

/* The signals the agent catches: the breakpoint trap and every signal
   whose arrival ptrace would report as a stop (faults, aborts, limits,
   signals a program sends itself). */
static const int caught[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE,  SIGILL,  SIGABRT,
                             SIGSYS,  SIGXCPU, SIGXFSZ, SIGPIPE, SIGALRM, SIGTERM,
                             SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGVTALRM,
                             SIGPROF};

static int active;    /* this process talks to the tracer */
static int was_agent; /* the agent ran in this process or its parent */
static pid_t agent_pid;
static pid_t main_tid;
static sigaction_fn real_sigaction;
static sigmask_fn real_sigprocmask, real_pthread_sigmask;
static struct sigaction user_act[65];  /* what the program asked for */
static struct sigaction prev_act[65];  /* what was installed before us (sppmon) */
static uint64_t pending_rearm;         /* breakpoint left with TF, re-armed at the trap */
static long page_size;

struct bp {
    uint64_t addr; /* 0: empty */
    uint8_t orig;
};
static struct bp bps[BP_SLOTS];
static uint32_t nbps;

/* Command buffer: one thread uses it at a time (see on_signal). */
static union {
    struct spp_agent_cmd cmd;
    char raw[sizeof(struct spp_agent_cmd) + SPP_AGENT_MAX_POKES * sizeof(struct spp_agent_poke)];
} in;

static char altstack[64 * 1024];

/* ---- breakpoint table --------------------------------------------------- */

static uint32_t bp_hash(uint64_t a)
{
    a ^= a >> 31;
    a *= 0x9e3779b97f4a7c15ull;
    a ^= a >> 29;
    return (uint32_t)a & (BP_SLOTS - 1);
}

static struct bp *bp_slot(uint64_t a)
{
    for (uint32_t h = bp_hash(a);; h = (h + 1) & (BP_SLOTS - 1))
        if (bps[h].addr == a || bps[h].addr == 0)
            return &bps[h];
}

static struct bp *bp_find(uint64_t a)
{
    struct bp *b = a ? bp_slot(a) : NULL;
    return b && b->addr ? b : NULL;
}

/* Backward-shift deletion: probe chains stay whole without tombstones. */
static void bp_erase(struct bp *b)
{
    uint32_t i = (uint32_t)(b - bps), j = i;
    bps[i].addr = 0;
    for (;;) {
        j = (j + 1) & (BP_SLOTS - 1);
        if (bps[j].addr == 0)
            return;
        uint32_t home = bp_hash(bps[j].addr);
        if (((j - home) & (BP_SLOTS - 1)) >= ((j - i) & (BP_SLOTS - 1))) {
            bps[i] = bps[j];
            bps[j].addr = 0;
            i = j;
        }
    }
}

/* ---- writing text --------------------------------------------------------- */

/* The page made writable last, so a batch of pokes on one page costs two
   mprotect calls, not two per poke. */
static uintptr_t open_page;

static void close_text(void)
{
    if (open_page)
        mprotect((void *)open_page, (size_t)page_size, PROT_READ | PROT_EXEC);
    open_page = 0;
}

static int poke(uint64_t addr, uint8_t byte, uint8_t *old)
{
    uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(page_size - 1);
    if (page != open_page) {
        close_text();
        if (mprotect((void *)page, (size_t)page_size, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
            return errno;
        open_page = page;
    }
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)addr;
    if (old)
        *old = *p;
    *p = byte;
    return 0;
}

static int arm(uint64_t addr)
{
    struct bp *b = bp_slot(addr);
    if (b->addr)
        return 0;
    if (nbps >= SPP_AGENT_MAX_BPS)
        return ENOSPC;
    uint8_t orig;
    int rc = poke(addr, INT3, &orig);
    if (rc)
        return rc;
    b->addr = addr;
    b->orig = orig;
    nbps++;
    return 0;
}

static int disarm(uint64_t addr)
{
    struct bp *b = bp_find(addr);
    if (!b)
        return 0;
    int rc = poke(addr, b->orig, NULL);
    if (pending_rearm == addr)
        pending_rearm = 0;
    bp_erase(b);
    nbps--;
    return rc;
}

static int apply_pokes(const struct spp_agent_poke *p, uint32_t n)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++)
        rc = p[i].op == SPP_AGENT_ARM ? arm(p[i].addr) : disarm(p[i].addr);
    close_text();
    return rc;
}

/* A child of the program: put every original byte back in its copy of the
   text and let it run untraced; the channel is the parent's. */
static void leave_child(void)
{
    for (uint32_t i = 0; i < BP_SLOTS; i++)
        if (bps[i].addr)
            poke(bps[i].addr, bps[i].orig, NULL);
    close_text();
    memset(bps, 0, sizeof bps);
    nbps = 0;
    pending_rearm = 0;
    if (active)
        close(SPP_AGENT_FD);
    active = 0;
}

/* ---- the channel ------------------------------------------------------------ */

static void send_error(const char *msg)
{
    struct spp_agent_error e = {.magic = SPP_AGENT_MAGIC, .kind = SPP_AGENT_ERROR};
    size_t n = strlen(msg);
    if (n >= sizeof e.msg)
        n = sizeof e.msg - 1;
    memcpy(e.msg, msg, n);
    send(SPP_AGENT_FD, &e, sizeof e, MSG_NOSIGNAL);
}

static void reply(int status, const void *data, size_t len)
{
    struct spp_agent_reply r = {.magic = SPP_AGENT_MAGIC, .kind = SPP_AGENT_REPLY,
                                .status = status, .len = (uint32_t)len};
    struct iovec iov[2] = {{&r, sizeof r}, {(void *)(uintptr_t)data, len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    if (sendmsg(SPP_AGENT_FD, &m, MSG_NOSIGNAL) >= 0 || !len)
        return;
    /* The kernel copies from our memory: an unmapped address is EFAULT
       here, never a fault in the agent. */
    r.status = errno ? errno : EFAULT;
    r.len = 0;
    send(SPP_AGENT_FD, &r, sizeof r, MSG_NOSIGNAL);
}

/* Serve commands until RESUME; uc is NULL in the constructor. Returns the
   signal to deliver (0: none). The tracer gone means we are done too. */
static int serve(ucontext_t *uc)
{
    for (;;) {
        ssize_t n = recv(SPP_AGENT_FD, in.raw, sizeof in.raw, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < (ssize_t)sizeof in.cmd || in.cmd.magic != SPP_AGENT_MAGIC ||
            in.cmd.npokes > SPP_AGENT_MAX_POKES ||
            (size_t)n != sizeof in.cmd + in.cmd.npokes * sizeof(struct spp_agent_poke))
            _exit(127); /* the tracer is gone or confused: nothing to run for */
        const struct spp_agent_poke *pk = (const struct spp_agent_poke *)(&in.cmd + 1);
        switch (in.cmd.op) {
        case SPP_AGENT_READ:
            if (in.cmd.len > SPP_AGENT_MAX_READ)
                reply(EINVAL, NULL, 0);
            else
                reply(0, (const void *)(uintptr_t)in.cmd.addr, (size_t)in.cmd.len);
            break;
        case SPP_AGENT_POKE:
            reply(apply_pokes(pk, in.cmd.npokes), NULL, 0);
            break;
        case SPP_AGENT_RESUME: {
            int rc = apply_pokes(pk, in.cmd.npokes);
            if (rc) {
                send_error(rc == ENOSPC ? "too many breakpoints for the agent"
                                        : "cannot write a breakpoint into the program's code");
                continue; /* the tracer ends the run */
            }
            if (uc && in.cmd.set_rip)
                uc->uc_mcontext.gregs[REG_RIP] = (greg_t)in.cmd.set_rip;
            if (uc && in.cmd.step_off) {
                struct bp *b = bp_find(in.cmd.step_off);
                if (b && (uint64_t)uc->uc_mcontext.gregs[REG_RIP] == b->addr) {
                    poke(b->addr, b->orig, NULL);
                    close_text();
                    pending_rearm = b->addr;
                    uc->uc_mcontext.gregs[REG_EFL] |= EFLAGS_TF;
                }
            }
            return in.cmd.signo;
        }
        default:
            reply(EINVAL, NULL, 0);
        }
    }
}

/* ---- signals ---------------------------------------------------------------- */

static int is_caught(int sig)
{
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        if (caught[i] == sig)
            return 1;
    return 0;
}

static int hardware_fault(int sig, const siginfo_t *si)
{
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) &&
           si->si_code > 0;
}

/* The default action: kill the process by sig, as the kernel would. */
static void die_by(int sig, const siginfo_t *si)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction(sig, &dfl, NULL);
    if (hardware_fault(sig, si))
        return; /* returning runs the faulting instruction again */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    real_sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    _exit(128 + sig); /* a signal whose default is to go on: not ours */
}

/* Deliver sig the way the program asked for it (its virtual disposition). */
static void deliver(int sig, siginfo_t *si, ucontext_t *uc)
{
    struct sigaction *a = &user_act[sig];
    if (a->sa_handler == SIG_DFL) {
        die_by(sig, si);
        return;
    }
    if (a->sa_handler == SIG_IGN) {
        if (hardware_fault(sig, si))
            die_by(sig, si); /* the kernel cannot ignore a fault either */
        return;
    }
    struct sigaction call = *a;
    if (a->sa_flags & SA_RESETHAND) {
        memset(a, 0, sizeof *a);
        a->sa_handler = SIG_DFL;
    }
    sigset_t during = call.sa_mask, old;
    if (!(call.sa_flags & SA_NODEFER))
        sigaddset(&during, sig);
    real_sigprocmask(SIG_SETMASK, &during, &old);
    if (call.sa_flags & SA_SIGINFO)
        call.sa_sigaction(sig, si, uc);
    else
        call.sa_handler(sig);
    real_sigprocmask(SIG_SETMASK, &old, NULL);
}

static void fill_stop(struct spp_agent_stop *st, int sig, const siginfo_t *si,
                      const ucontext_t *uc)
{
    const greg_t *g = uc->uc_mcontext.gregs;
    memset(st, 0, sizeof *st);
    st->magic = SPP_AGENT_MAGIC;
    st->kind = SPP_AGENT_STOP;
    st->signo = sig;
    st->code = si->si_code;
    st->addr = (uint64_t)(uintptr_t)si->si_addr;
    st->rip = (uint64_t)g[REG_RIP];
    st->rsp = (uint64_t)g[REG_RSP];
    st->rbp = (uint64_t)g[REG_RBP];
    st->rax = (uint64_t)g[REG_RAX];
    st->rdx = (uint64_t)g[REG_RDX];
    st->rdi = (uint64_t)g[REG_RDI];
    st->rsi = (uint64_t)g[REG_RSI];
    st->eflags = (uint64_t)g[REG_EFL];
    const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    if (fp) {
        memcpy(st->xmm0, &fp->_xmm[0], 16);
        memcpy(st->xmm1, &fp->_xmm[1], 16);
        memcpy(st->st0, &fp->_st[0], 10);
    }
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    int saved_errno = errno;
    greg_t *g = uc->uc_mcontext.gregs;

    if (active && getpid() != agent_pid)
        leave_child(); /* forked without fork(): our bytes are still in its text */
    if (!active) {
        /* an untraced child: our int3 was removed, run the original byte */
        if (sig == SIGTRAP && si->si_code == SI_KERNEL && was_agent &&
            *(volatile uint8_t *)(uintptr_t)(g[REG_RIP] - 1) != INT3) {
            g[REG_RIP] -= 1;
        } else if (sig == SIGTRAP && si->si_code == TRAP_TRACE && (g[REG_EFL] & EFLAGS_TF)) {
            g[REG_EFL] &= ~EFLAGS_TF;
        } else {
            deliver(sig, si, uc);
        }
        errno = saved_errno;
        return;
    }
    if (gettid() != main_tid) {
        send_error("a second thread ran into the tracer's breakpoints: the agent engine "
                   "traces single-threaded programs");
        for (;;)
            pause(); /* the tracer ends the run */
    }
    /* sppmon's own fault handler records read/write of a fatal fault */
    struct sigaction *pa = &prev_act[sig];
    if ((sig == SIGSEGV || sig == SIGBUS) && (pa->sa_flags & SA_SIGINFO) && pa->sa_sigaction)
        pa->sa_sigaction(sig, si, ctx);

    if (sig == SIGTRAP && si->si_code == TRAP_TRACE && pending_rearm) {
        /* one instruction past a breakpoint: arm it again and run on (an
           arrival straight back at it meets the int3 itself) */
        struct bp *b = bp_find(pending_rearm);
        pending_rearm = 0;
        if (b) {
            poke(b->addr, INT3, NULL);
            close_text();
        }
        g[REG_EFL] &= ~EFLAGS_TF;
        errno = saved_errno;
        return;
    }
    struct spp_agent_stop st;
    fill_stop(&st, sig, si, uc);
    if (send(SPP_AGENT_FD, &st, sizeof st, MSG_NOSIGNAL) != (ssize_t)sizeof st)
        _exit(127);
    int signo = serve(uc);
    if (signo == sig)
        deliver(sig, si, uc);
    errno = saved_errno;
}

/* ---- what the program may call ------------------------------------------- */

static void resolve(void)
{
    if (!real_sigaction)
        real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    if (!real_sigprocmask)
        real_sigprocmask = (sigmask_fn)dlsym(RTLD_NEXT, "sigprocmask");
    if (!real_pthread_sigmask)
        real_pthread_sigmask = (sigmask_fn)dlsym(RTLD_NEXT, "pthread_sigmask");
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve();
    if (!active || sig <= 0 || sig > 64 || !is_caught(sig))
        return real_sigaction ? real_sigaction(sig, act, old) : (errno = ENOSYS, -1);
    if (old)
        *old = user_act[sig];
    if (act)
        user_act[sig] = *act;
    return 0;
}

EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART; /* glibc's signal(): BSD semantics */
    if (sig > 0 && sig <= 64)
        sigaddset(&sa.sa_mask, sig);
    if (sigaction(sig, &sa, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

/* The program may block what it likes but the trap and the faults: a
   blocked SIGTRAP would kill it at its next breakpoint. */
static const sigset_t *unblockable(int how, const sigset_t *set, sigset_t *copy)
{
    if (!active || !set || how == SIG_UNBLOCK)
        return set;
    *copy = *set;
    sigdelset(copy, SIGTRAP);
    sigdelset(copy, SIGSEGV);
    sigdelset(copy, SIGBUS);
    sigdelset(copy, SIGFPE);
    sigdelset(copy, SIGILL);
    return copy;
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t copy;
    resolve();
    return real_sigprocmask(how, unblockable(how, set, &copy), old);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t copy;
    resolve();
    return real_pthread_sigmask(how, unblockable(how, set, &copy), old);
}

static void after_fork_child(void)
{
    if (active)
        leave_child();
}

/* ---- start ------------------------------------------------------------------ */

/* The agent's start, on a stack of its own (see agent_init). */
static void agent_start(void)
{
    struct stat sb;
    if (fstat(SPP_AGENT_FD, &sb) != 0 || !S_ISSOCK(sb.st_mode))
        return;
    resolve();
    if (!real_sigaction || !real_sigprocmask || !real_pthread_sigmask)
        _exit(127);
    page_size = sysconf(_SC_PAGESIZE);
    agent_pid = getpid();
    main_tid = gettid();
    /* exec'd programs are not ours: the channel closes, the tracer says so */
    if (fcntl(SPP_AGENT_FD, F_SETFD, FD_CLOEXEC) != 0)
        _exit(127);

    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
        sigaltstack(&ss, NULL);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigfillset(&sa.sa_mask); /* nothing interrupts a conversation */
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
        int s = caught[i];
        user_act[s].sa_handler = SIG_DFL;
        if (real_sigaction(s, &sa, &prev_act[s]) != 0)
            _exit(127);
    }
    pthread_atfork(NULL, NULL, after_fork_child);
    active = 1;
    was_agent = 1;

    struct spp_agent_stop hello;
    memset(&hello, 0, sizeof hello);
    hello.magic = SPP_AGENT_MAGIC;
    hello.kind = SPP_AGENT_HELLO;
    if (send(SPP_AGENT_FD, &hello, sizeof hello, MSG_NOSIGNAL) != (ssize_t)sizeof hello)
        _exit(127);
    serve(NULL);
}

static char start_stack[64 * 1024] __attribute__((aligned(16)));

/* After sppmon's constructor (101): its SIGSEGV handler is what we chain to.
   Whatever the agent does here runs on start_stack: the bytes it would
   leave below this frame on the program's stack are the "uninitialised"
   values main's locals show, and they must be those of a run without the
   agent (the traces of all engines compare equal). */
__attribute__((constructor(102))) static void agent_init(void)
{
    const char *e = getenv(SPP_AGENT_ENV);
    if (!e || e[0] != '3' || e[1] || RUNNING_ON_VALGRIND)
        return;
    void (*fn)(void) = agent_start;
    char *top = start_stack + sizeof start_stack;
    /* switch stacks, call, switch back; no callee-saved register is used,
       so the compiler saves nothing on the program's stack for it */
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "mov %0, %%rsp\n\t"
                     "push %%rax\n\t"
                     "sub $8, %%rsp\n\t"
                     "call *%1\n\t"
                     "add $8, %%rsp\n\t"
                     "pop %%rsp\n\t"
                     :
                     : "r"(top), "r"(fn)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0",
                       "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
}
