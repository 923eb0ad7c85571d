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
 *   breakpoint: the instruction under it runs from a copy out of line that
 *   jumps back (xol.c; planned when the breakpoint is written), so the int3
 *   stays and a stop costs one trap. Instructions xol.c does not know: put
 *   the byte back, set EFLAGS.TF, and at the TRAP_TRACE one instruction
 *   later write the int3 again - the tracer is not asked either way.
 * - The program's own sigaction/signal calls for the signals the agent
 *   catches are kept as a virtual disposition, applied when the tracer
 *   delivers the signal; sigprocmask cannot block SIGTRAP or a fault.
 * - A forked child puts every original byte back in its copy of the text,
 *   drops the channel and runs on untraced (as with ptrace).
 * Everything in the handler path is async-signal-safe: no malloc, no stdio.
 *
 * One file (past 800 lines): the handler path - breakpoint table, text
 * locking and sealing, command serving, signal delivery - shares static
 * state that must stay file-local and async-signal-safe; the decoding of
 * instructions for out-of-line runs is apart (xol.c).
 */
#include "tracer/rt/agent.h"
#include "tracer/rt/xol.h"

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

struct bp {
    uint64_t addr; /* 0: empty */
    uint8_t orig;
    uint8_t how;   /* enum spp_xol_how: how the stop is left */
    uint16_t slot; /* COPY, JUMP: its slot in the out-of-line area */
};

#define XOL_LEN ((size_t)SPP_AGENT_MAX_BPS * SPP_XOL_SLOT)

/* Everything the agent keeps between stops, on pages of their own that are
   read-only while the program runs: a program writing over the agent gets
   a segmentation fault at the line that did it, a clear ending. */
struct state {
    int active;    /* this process talks to the tracer */
    int was_agent; /* the agent ran in this process or its parent */
    pid_t agent_pid;
    pid_t main_tid;
    sigaction_fn real_sigaction;
    sigmask_fn real_sigprocmask, real_pthread_sigmask;
    struct sigaction user_act[65]; /* what the program asked for */
    struct sigaction prev_act[65]; /* what was installed before us (sppmon) */
    uint64_t pending_rearm;        /* breakpoint left with TF, re-armed at the trap */
    long page_size;
    uintptr_t open_page; /* the text page made writable last: a batch of pokes on
                            one page costs two mprotect calls, not two per poke */
    uint32_t nbps;
    struct bp bps[BP_SLOTS];
    uint8_t *xol;           /* XOL_LEN bytes, read+exec while the program runs; NULL: none */
    uintptr_t xol_open;     /* its page made writable last */
    uint32_t xol_top;       /* slots below were handed out at least once */
    uint32_t nxol_free;
    uint16_t xol_free[SPP_AGENT_MAX_BPS]; /* slots given back */
};

#define STATE_LEN ((sizeof(struct state) + 4095) & ~(size_t)4095)

/* Padded to whole pages: no other variable may share them (a copy
   relocation such as std::cout would become read-only too). */
static union {
    struct state s;
    char pages[STATE_LEN];
} state_pages __attribute__((aligned(4096)));
#define S (state_pages.s)

/* Whether S is writable now. A stop that changes nothing in S (most: no
   breakpoint moves, leaving one out of line) then costs no mprotect. Not in
   S; a program that writes here can only make the agent fault on its own
   sealed pages, which ends the run like any write over the agent. */
static int s_writable = 1; /* static data starts writable; agent_start seals */

static void seal(void)
{
    if (s_writable && mprotect(&state_pages, STATE_LEN, PROT_READ) == 0)
        s_writable = 0;
}

static void unseal(void)
{
    if (!s_writable) {
        mprotect(&state_pages, STATE_LEN, PROT_READ | PROT_WRITE);
        s_writable = 1;
    }
}

/* Command buffer: one thread uses it at a time (see on_signal). */
static union {
    struct spp_agent_cmd cmd;
    char raw[sizeof(struct spp_agent_cmd) + SPP_AGENT_MAX_POKES * sizeof(struct spp_agent_poke)];
} in;
_Static_assert(SPP_AGENT_MAX_WRITE <= SPP_AGENT_MAX_POKES * sizeof(struct spp_agent_poke),
               "a WRITE's bytes fit where the pokes go");

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
        if (S.bps[h].addr == a || S.bps[h].addr == 0)
            return &S.bps[h];
}

static struct bp *bp_find(uint64_t a)
{
    struct bp *b = a ? bp_slot(a) : NULL;
    return b && b->addr ? b : NULL;
}

/* Backward-shift deletion: probe chains stay whole without tombstones. */
static void bp_erase(struct bp *b)
{
    uint32_t i = (uint32_t)(b - S.bps), j = i;
    S.bps[i].addr = 0;
    for (;;) {
        j = (j + 1) & (BP_SLOTS - 1);
        if (S.bps[j].addr == 0)
            return;
        uint32_t home = bp_hash(S.bps[j].addr);
        if (((j - home) & (BP_SLOTS - 1)) >= ((j - i) & (BP_SLOTS - 1))) {
            S.bps[i] = S.bps[j];
            S.bps[j].addr = 0;
            i = j;
        }
    }
}

/* ---- writing text --------------------------------------------------------- */

/* Held while a text page is writable: another thread stepping over a
   breakpoint must not find the page made read-only under its write. Not
   in S: other threads take it while S is sealed. */
static char text_lock;

static void lock_text(void)
{
    while (__atomic_test_and_set(&text_lock, __ATOMIC_ACQUIRE))
        ;
}

static void unlock_text(void)
{
    __atomic_clear(&text_lock, __ATOMIC_RELEASE);
}

static void close_text(void)
{
    if (!S.open_page)
        return;
    mprotect((void *)S.open_page, (size_t)S.page_size, PROT_READ | PROT_EXEC);
    S.open_page = 0;
    unlock_text();
}

static int poke(uint64_t addr, uint8_t byte, uint8_t *old)
{
    uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(S.page_size - 1);
    unseal();
    if (page != S.open_page) {
        close_text();
        lock_text();
        if (mprotect((void *)page, (size_t)S.page_size, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
            unlock_text();
            return errno;
        }
        S.open_page = page;
    }
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)addr;
    if (old)
        *old = *p;
    *p = byte;
    return 0;
}

/* One byte from a thread other than main: S is sealed, so no S.open_page. */
static void poke_alone(uint64_t addr, uint8_t byte)
{
    uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(S.page_size - 1);
    lock_text();
    if (mprotect((void *)page, (size_t)S.page_size, PROT_READ | PROT_WRITE | PROT_EXEC) == 0) {
        *(volatile uint8_t *)(uintptr_t)addr = byte;
        mprotect((void *)page, (size_t)S.page_size, PROT_READ | PROT_EXEC);
    }
    unlock_text();
}

/* ---- leaving a breakpoint out of line (xol.h) ---------------------------- */

static uint8_t *slot_at(uint32_t i)
{
    return S.xol + (size_t)i * SPP_XOL_SLOT;
}

static void close_xol(void)
{
    if (!S.xol_open)
        return;
    mprotect((void *)S.xol_open, (size_t)S.page_size, PROT_READ | PROT_EXEC);
    S.xol_open = 0;
}

/* Slots never straddle a page (SPP_XOL_SLOT divides it). */
static int write_slot(uint8_t *slot, const uint8_t *buf)
{
    uintptr_t page = (uintptr_t)slot & ~(uintptr_t)(S.page_size - 1);
    if (page != S.xol_open) {
        close_xol();
        if (mprotect((void *)page, (size_t)S.page_size, PROT_READ | PROT_WRITE) != 0)
            return errno;
        S.xol_open = page;
    }
    memcpy(slot, buf, SPP_XOL_SLOT);
    return 0;
}

/* The program's own bytes from addr to at most the end of its page (the
   next page may not exist): our int3s read as the bytes they hide. */
static size_t original_code(uint64_t addr, uint8_t *out, size_t cap)
{
    uint64_t left = (uint64_t)S.page_size - (addr & (uint64_t)(S.page_size - 1));
    size_t n = left < cap ? (size_t)left : cap;
    for (size_t k = 0; k < n; k++) {
        struct bp *b = bp_find(addr + k);
        out[k] = b ? b->orig : *(volatile const uint8_t *)(uintptr_t)(addr + k);
    }
    return n;
}

/* How b, just armed, will be left: out of line when xol.c knows its
   instruction and a slot is free, else with a single-step. */
static void plan_leave(struct bp *b)
{
    b->how = SPP_XOL_STEP;
    if (!S.xol)
        return;
    uint32_t i;
    if (S.nxol_free)
        i = S.xol_free[--S.nxol_free];
    else if (S.xol_top < SPP_AGENT_MAX_BPS)
        i = S.xol_top++;
    else
        return;
    uint8_t code[15], buf[SPP_XOL_SLOT];
    uint64_t target = 0;
    uint8_t *slot = slot_at(i);
    size_t n = original_code(b->addr, code, sizeof code);
    enum spp_xol_how how = spp_xol_plan(code, n, b->addr, buf, (uint64_t)(uintptr_t)slot, &target);
    if (how == SPP_XOL_JUMP) { /* the slot only keeps where it goes */
        memset(buf, INT3, sizeof buf);
        memcpy(buf, &target, sizeof target);
    }
    if (how == SPP_XOL_STEP || write_slot(slot, buf) != 0) {
        S.xol_free[S.nxol_free++] = (uint16_t)i;
        return;
    }
    b->how = (uint8_t)how;
    b->slot = (uint16_t)i;
}

static void unplan_leave(struct bp *b)
{
    if (b->how != SPP_XOL_STEP)
        S.xol_free[S.nxol_free++] = b->slot;
    b->how = SPP_XOL_STEP;
}

/* A signal in an out-of-line copy (a fault of the instruction itself, or
   one arriving meanwhile) is reported at the original: before the
   instruction, rip goes back onto its breakpoint - as a single-step that
   faulted left it - after it, to the next instruction. Returns 1 when the
   copy had not run. */
static int from_xol(greg_t *g)
{
    uint64_t rip = (uint64_t)g[REG_RIP], base = (uint64_t)(uintptr_t)S.xol;
    if (!S.xol || rip < base || rip >= base + XOL_LEN)
        return 0;
    uint64_t off = (rip - base) % SPP_XOL_SLOT, addr;
    const uint8_t *slot = S.xol + (rip - base - off);
    memcpy(&addr, slot + SPP_XOL_OWNER, sizeof addr);
    uint8_t len = slot[SPP_XOL_OWNER + 8];
    if (off != 0 && off != len)
        return 0; /* not where a copy can be interrupted: leave it be */
    g[REG_RIP] = (greg_t)(off == 0 ? addr : addr + len);
    return off == 0;
}

static int arm(uint64_t addr)
{
    struct bp *b = bp_slot(addr);
    if (b->addr)
        return 0;
    if (S.nbps >= SPP_AGENT_MAX_BPS)
        return ENOSPC;
    uint8_t orig;
    int rc = poke(addr, INT3, &orig);
    if (rc)
        return rc;
    b->addr = addr;
    b->orig = orig;
    S.nbps++;
    plan_leave(b);
    return 0;
}

static int disarm(uint64_t addr)
{
    struct bp *b = bp_find(addr);
    if (!b)
        return 0;
    int rc = poke(addr, b->orig, NULL);
    if (S.pending_rearm == addr)
        S.pending_rearm = 0;
    unplan_leave(b);
    bp_erase(b);
    S.nbps--;
    return rc;
}

static int apply_pokes(const struct spp_agent_poke *p, uint32_t n)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++)
        rc = p[i].op == SPP_AGENT_ARM ? arm(p[i].addr) : disarm(p[i].addr);
    close_text();
    close_xol();
    return rc;
}

/* A child of the program: put every original byte back in its copy of the
   text and let it run untraced; the channel is the parent's. */
static void leave_child(void)
{
    unseal(); /* and stays so: nothing of the agent runs here any more */
    for (uint32_t i = 0; i < BP_SLOTS; i++)
        if (S.bps[i].addr)
            poke(S.bps[i].addr, S.bps[i].orig, NULL);
    close_text();
    memset(S.bps, 0, sizeof S.bps);
    S.nbps = 0;
    S.pending_rearm = 0;
    if (S.active)
        close(SPP_AGENT_FD);
    S.active = 0;
}

/* ---- the channel ------------------------------------------------------------ */

/* The channel broke (the program closed it, or the tracer is gone): end
   the way the tracer recognises (SIGKILL after its EOF), never run on
   untraced. */
static void lost(void) __attribute__((noreturn));
static void lost(void)
{
    kill(getpid(), SIGKILL);
    _exit(127);
}

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

/* The tracer fills a new frame's locals (tracer/frame_fill.c): only the
   live stack of the stopped main thread is written (with the 128-byte red
   zone below rsp, where a leaf function keeps its locals; this handler
   runs on its own stack), which is mapped and writable whatever the
   program did, so no address the tracer got from untrusted DWARF can
   fault the agent. */
extern void *__libc_stack_end;

static int write_stack(const ucontext_t *uc, uint64_t addr, const void *data, size_t len)
{
    uint64_t lo = uc ? (uint64_t)uc->uc_mcontext.gregs[REG_RSP] - 128 : 0;
    uint64_t hi = (uint64_t)(uintptr_t)__libc_stack_end;
    if (!uc || addr < lo || addr > hi || len > hi - addr)
        return EFAULT;
    memcpy((void *)(uintptr_t)addr, data, len);
    return 0;
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
            (in.cmd.op == SPP_AGENT_WRITE && in.cmd.len > SPP_AGENT_MAX_WRITE) ||
            (size_t)n != sizeof in.cmd + in.cmd.npokes * sizeof(struct spp_agent_poke) +
                             (in.cmd.op == SPP_AGENT_WRITE ? in.cmd.len : 0))
            lost();
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
        case SPP_AGENT_WRITE:
            reply(write_stack(uc, in.cmd.addr, pk, (size_t)in.cmd.len), NULL, 0);
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
                greg_t *g = uc->uc_mcontext.gregs;
                struct bp *b = bp_find(in.cmd.step_off);
                uint64_t to;
                if (b && (uint64_t)g[REG_RIP] == b->addr) {
                    switch ((enum spp_xol_how)b->how) {
                    case SPP_XOL_COPY:
                        g[REG_RIP] = (greg_t)(uintptr_t)slot_at(b->slot);
                        break;
                    case SPP_XOL_JUMP:
                        memcpy(&to, slot_at(b->slot), sizeof to);
                        g[REG_RIP] = (greg_t)to;
                        break;
                    case SPP_XOL_STEP:
                        poke(b->addr, b->orig, NULL);
                        close_text();
                        S.pending_rearm = b->addr;
                        g[REG_EFL] |= EFLAGS_TF;
                        break;
                    }
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

/* Cannot be ignored: raised by the kernel for an instruction (it restores
   the default action), and SIGTRAP whatever sent it - under the ptrace
   engine an ignored SIGTRAP the program raises is fatal too, and both
   engines give the same steps. But for int3, returning from a forced
   signal runs the instruction again. */
static int forced(int sig, const siginfo_t *si)
{
    return sig == SIGTRAP || ((sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
                               sig == SIGILL) && si->si_code > 0);
}

static int hardware_fault(int sig, const siginfo_t *si)
{
    return forced(sig, si) && sig != SIGTRAP;
}

/* The default action: kill the process by sig, as the kernel would. */
static void die_by(int sig, const siginfo_t *si, const ucontext_t *uc)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    S.real_sigaction(sig, &dfl, NULL);
    if (hardware_fault(sig, si)) {
        /* returning runs the faulting instruction again: not an int3 of ours */
        struct bp *b = bp_find((uint64_t)uc->uc_mcontext.gregs[REG_RIP]);
        if (b)
            poke_alone(b->addr, b->orig);
        return;
    }
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    S.real_sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    _exit(128 + sig); /* a signal whose default is to go on: not ours */
}

/* Deliver sig the way the program asked for it (its virtual disposition).
   main: the main thread of an active agent, which owns S. */
static void deliver(int sig, siginfo_t *si, ucontext_t *uc, int main)
{
    struct sigaction *a = &S.user_act[sig];
    if (a->sa_handler == SIG_DFL) {
        die_by(sig, si, uc);
        return;
    }
    if (a->sa_handler == SIG_IGN) {
        if (forced(sig, si))
            die_by(sig, si, uc); /* the kernel cannot ignore it either */
        return;
    }
    struct sigaction call = *a;
    if ((a->sa_flags & SA_RESETHAND) && (main || !S.active)) {
        unseal();
        memset(a, 0, sizeof *a);
        a->sa_handler = SIG_DFL;
    }
    sigset_t during = call.sa_mask, old;
    if (!(call.sa_flags & SA_NODEFER))
        sigaddset(&during, sig);
    S.real_sigprocmask(SIG_SETMASK, &during, &old);
    if (S.active && main)
        seal(); /* the program's own code runs */
    if (call.sa_flags & SA_SIGINFO)
        call.sa_sigaction(sig, si, uc);
    else
        call.sa_handler(sig);
    S.real_sigprocmask(SIG_SETMASK, &old, NULL);
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

/* Stepping off a breakpoint is over: its int3 goes back, TF off. Returns
   whether one was being stepped off. */
static int end_step(greg_t *g)
{
    g[REG_EFL] &= ~EFLAGS_TF;
    if (!S.pending_rearm)
        return 0;
    struct bp *b = bp_find(S.pending_rearm);
    unseal();
    S.pending_rearm = 0;
    if (b) {
        poke(b->addr, INT3, NULL);
        close_text();
    }
    return 1;
}

/* A thread other than main: never a stop (as with ptrace, only the main
   thread is traced). Over a breakpoint it steps with its own TF, the byte
   put back meanwhile. */
static __thread uint64_t thread_rearm;

static void other_thread(int sig, siginfo_t *si, ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    struct bp *b;
    if (sig == SIGTRAP && si->si_code == SI_KERNEL && (b = bp_find((uint64_t)g[REG_RIP] - 1))) {
        poke_alone(b->addr, b->orig);
        g[REG_RIP] = (greg_t)b->addr;
        g[REG_EFL] |= EFLAGS_TF;
        thread_rearm = b->addr;
        return;
    }
    if (sig == SIGTRAP && si->si_code == TRAP_TRACE && thread_rearm) {
        if (bp_find(thread_rearm))
            poke_alone(thread_rearm, INT3);
        thread_rearm = 0;
        g[REG_EFL] &= ~EFLAGS_TF;
        return;
    }
    deliver(sig, si, uc, 0);
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    int saved_errno = errno;
    greg_t *g = uc->uc_mcontext.gregs;

    if (S.active && getpid() != S.agent_pid)
        leave_child(); /* forked without fork(): our bytes are still in its text */
    if (!S.active) {
        /* an untraced child: our int3 was removed, run the original byte */
        if (sig == SIGTRAP && si->si_code == SI_KERNEL && S.was_agent &&
            *(volatile uint8_t *)(uintptr_t)(g[REG_RIP] - 1) != INT3) {
            g[REG_RIP] -= 1;
        } else if (sig == SIGTRAP && si->si_code == TRAP_TRACE && (g[REG_EFL] & EFLAGS_TF)) {
            g[REG_EFL] &= ~EFLAGS_TF;
        } else {
            deliver(sig, si, uc, 0);
        }
        errno = saved_errno;
        return;
    }
    if (gettid() != S.main_tid) {
        other_thread(sig, si, uc);
        errno = saved_errno;
        return;
    }
    int in_copy = from_xol(g); /* before anything reads rip */
    /* sppmon's own fault handler records read/write of a fatal fault */
    struct sigaction *pa = &S.prev_act[sig];
    if ((sig == SIGSEGV || sig == SIGBUS) && (pa->sa_flags & SA_SIGINFO) && pa->sa_sigaction)
        pa->sa_sigaction(sig, si, ctx);

    if (sig == SIGTRAP && si->si_code == TRAP_TRACE) {
        /* one instruction past a breakpoint: arm it again and run on (an
           arrival straight back at it meets the int3 itself). Also the
           trap of a step whose breakpoint was re-armed already, when a
           signal came between (a syscall under TF that met a limit). */
        end_step(g);
        seal();
        errno = saved_errno;
        return;
    }
    /* A signal of the instruction under a breakpoint itself (the program's
       own int3 there, a fault): the breakpoint is armed again now, and no
       single-step follows. */
    int stepping = end_step(g) | in_copy;
    struct spp_agent_stop st;
    fill_stop(&st, sig, si, uc);
    st.stepping = (uint32_t)stepping;
    if (send(SPP_AGENT_FD, &st, sizeof st, MSG_NOSIGNAL) != (ssize_t)sizeof st)
        lost();
    int signo = serve(uc);
    if (signo == sig)
        deliver(sig, si, uc, 1);
    seal();
    errno = saved_errno;
}

/* ---- what the program may call ------------------------------------------- */

static void resolve(void)
{
    if (!S.real_sigaction)
        S.real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    if (!S.real_sigprocmask)
        S.real_sigprocmask = (sigmask_fn)dlsym(RTLD_NEXT, "sigprocmask");
    if (!S.real_pthread_sigmask)
        S.real_pthread_sigmask = (sigmask_fn)dlsym(RTLD_NEXT, "pthread_sigmask");
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve();
    if (!S.active || sig <= 0 || sig > 64 || !is_caught(sig))
        return S.real_sigaction ? S.real_sigaction(sig, act, old) : (errno = ENOSYS, -1);
    if (old)
        *old = S.user_act[sig];
    if (act) {
        unseal();
        S.user_act[sig] = *act;
        seal();
    }
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
    if (!S.active || !set || how == SIG_UNBLOCK)
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
    return S.real_sigprocmask(how, unblockable(how, set, &copy), old);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t copy;
    resolve();
    return S.real_pthread_sigmask(how, unblockable(how, set, &copy), old);
}

static void after_fork_child(void)
{
    if (S.active)
        leave_child();
}

/* ---- start ------------------------------------------------------------------ */

/* The out-of-line slots, below the program's own code: rip-relative
   operands of a copy must reach what the original reaches (+-2 GiB), and
   nothing the program maps itself lands there (heap, mmap and stack are
   where a run of another engine has them). No area: every breakpoint is
   left with a single-step. */
static void map_xol(void)
{
    extern char __executable_start[];
    uintptr_t base = (uintptr_t)__executable_start & ~(uintptr_t)0xfffff;
    if (base < XOL_LEN + (1u << 20) + (1u << 20)) /* keep clear of mmap_min_addr */
        return;
    /* never elsewhere: an area among the program's own mappings would move them */
    void *x = mmap((void *)(base - XOL_LEN - (1u << 20)), XOL_LEN, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (x != MAP_FAILED && x != (void *)(base - XOL_LEN - (1u << 20)))
        munmap(x, XOL_LEN); /* a kernel that took the flag for a hint */
    else if (x != MAP_FAILED)
        S.xol = x;
}

/* The agent's start, on a stack of its own (see agent_init). */
static void agent_start(void)
{
    struct stat sb;
    if (fstat(SPP_AGENT_FD, &sb) != 0 || !S_ISSOCK(sb.st_mode))
        return;
    resolve();
    if (!S.real_sigaction || !S.real_sigprocmask || !S.real_pthread_sigmask)
        _exit(127);
    S.page_size = sysconf(_SC_PAGESIZE);
    S.agent_pid = getpid();
    S.main_tid = gettid();
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
        S.user_act[s].sa_handler = SIG_DFL;
        if (S.real_sigaction(s, &sa, &S.prev_act[s]) != 0)
            _exit(127);
    }
    pthread_atfork(NULL, NULL, after_fork_child);
    map_xol();
    S.active = 1;
    S.was_agent = 1;

    struct spp_agent_stop hello;
    memset(&hello, 0, sizeof hello);
    hello.magic = SPP_AGENT_MAGIC;
    hello.kind = SPP_AGENT_HELLO;
    if (send(SPP_AGENT_FD, &hello, sizeof hello, MSG_NOSIGNAL) != (ssize_t)sizeof hello)
        lost();
    serve(NULL);
    seal();
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
