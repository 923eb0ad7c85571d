/*
 * vg_target.c - the Valgrind target: memcheck's gdbserver driven over the
 * GDB remote protocol through a vgdb relay.
 *
 * Key ideas:
 *  - valgrind runs with --vgdb-error=0, so its gdbserver takes control
 *    before the first instruction and again at each new memcheck error, at
 *    the instruction that made it. Such a stop looks like a breakpoint
 *    (T05); what tells them apart is memcheck's XML stream: an error's
 *    record is written before the gdbserver is called, so a T05 with new
 *    records in --xml-file is a tool error. The file is read as it grows
 *    (one read() per stop) and decoded incrementally (xml_errors.c).
 *  - vgdb runs with --max-invoke-ms=0: it never ptraces valgrind to wake a
 *    gdbserver blocked in a system call. We never need that, because we
 *    only talk to the gdbserver while the program is stopped in it.
 *  - Breakpoints stay inserted; the gdbserver instruments the translated
 *    code with a check before each instruction of a block that has one, so
 *    resuming from a breakpoint needs nothing from us and a jump back to the
 *    same address stops again.
 *  - A program that forks: its children run under memcheck too, and the
 *    first error in a child would block it waiting for a debugger. While
 *    waiting we look for gdbserver FIFOs of other processes in our process
 *    group and tell each such gdbserver not to stop at errors, then detach.
 *  - Registers come from 'g' only (valgrind's gdbserver has no 'p'), cached
 *    until the next resume. The block follows the regs[] table of
 *    valgrind's valgrind-low-amd64.c, the order of its 64bit-core, -sse and
 *    -linux target description (rip is register 16, st0 24, fstat 33, xmm0
 *    40). Two caveats: its st0..st7 are the physical x87 registers, so
 *    ST(0) is found through TOP; and VEX keeps registers other than pc/sp/fp
 *    up to date only when told to (--vex-iropt-register-updates below).
 * Caveats: memcheck stops once per distinct error (a repeat at the same
 * place is only counted); the XML file lives in the run dir, which the
 * program can write, so a hostile program can spoil its own error report.
 *
 * One file (past 800 lines) because it is one target: the ops table and the
 * processes behind it (valgrind, vgdb, the program's children) share one
 * state, struct vg. Everything that parses what comes back is already split
 * off and fuzzed alone: the GDB remote framing (remote.c), the XML stream
 * (xml_errors.c), monitor replies (monitor.c) and the error store (errs.c).
 */
#include "targets/valgrind/vg_target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracer/sandbox.h"
#include "targets/valgrind/errs_int.h"
#include "targets/valgrind/monitor_int.h"
#include "targets/valgrind/remote_int.h"
#include "targets/valgrind/xml_errors_int.h"

#define VGM_START_MS     20000  /* valgrind start to a connected gdbserver */
#define VGM_OP_MS        10000  /* one request/reply while stopped */
#define VGM_LEAK_MS      60000  /* a leak search over a big heap */
#define VGM_REAP_MS      5000   /* valgrind's exit after W/X */
#define VGM_EOF_MS       2000   /* valgrind's death after vgdb saw its FIFOs close */
#define VGM_SCAN_MS      50     /* how often a long wait looks for children */
#define VGM_MAX_CHILDREN 64     /* forked children released from error stops */
#define VGM_MAX_BPS      (1u << 20)
#define VGM_XML_MAX      (256ull << 20)
#define VGM_MON_MAX      (8u << 20) /* text of one monitor command */
#define VGM_VBITS_CHUNK  1024
#define VGM_NO_ERRORS    "999999999"

/* The 'g' block (bytes), from valgrind-low-amd64.c's regs[] (bit offsets / 8). */
#define G_RAX    0
#define G_RDX    24
#define G_RSI    32
#define G_RDI    40
#define G_RBP    48
#define G_RSP    56
#define G_RIP    128
#define G_ST0    164 /* 8 x 10 bytes */
#define G_FSTAT  248
#define G_XMM0   276
#define G_XMM1   292
#define G_MIN    544 /* through orig_rax; AVX machines add the ymm halves */
#define G_MAX    1024
#define GDB_RIP  0x10

static const char FIFO_FROM[] = "vgdb-from-vgdb-to-";
static const char FIFO_TO[] = "vgdb-to-vgdb-from-";
static const char SHM[] = "vgdb-shared-mem-vgdb-";

/* An inserted breakpoint. after_int3 caches whether the byte before it is
   an int3 (0xcc): only then can a T05 there be the program's own SIGTRAP,
   whose pc is just past the int3; other stops there skip the siginfo
   round trip. */
struct vg_bp {
    tr_addr addr;
    uint8_t after_int3; /* BP_UNKNOWN, BP_NO_INT3, BP_INT3 */
};

enum { BP_UNKNOWN, BP_NO_INT3, BP_INT3 };

struct vg {
    pid_t pid;      /* valgrind, which is the program; process group leader */
    pid_t ns_pid;   /* the same as its own pid namespace sees it: what the
                       gdbserver's FIFO names carry (the run's jail may give
                       it a namespace of its own) */
    uid_t uid;      /* valgrind's uid when the sandbox gives it its own (0:
                       ours); vgdb runs as it and its gid too */
    gid_t gid;
    const struct tr_sandbox *sandbox; /* the program's, borrowed; vgdb gets it too */
    pid_t vgdb_pid; /* the relay */
    int sock;       /* our end of vgdb's stdin/stdout */
    int xml_fd;     /* memcheck's --xml-file, read as it grows */
    int alive;      /* no exit reported yet and not killed */
    int reaped;
    int status;     /* valgrind's wait status once reaped */
    int running;    /* resumed: a stop reply is owed */
    int stepping;
    struct vg_remote rem;
    struct vg_errs errs; /* every XML record of the run */
    struct vg_xml *xml;
    size_t reported;     /* errs records already attached to a stop */
    uint64_t xml_bytes;
    struct vg_errs leaks; /* the last vg_target_leak_check, until resume */
    struct vg_bp *bps;    /* sorted by address */
    size_t nbps, capbps;
    uint8_t regs[G_MAX];
    int regs_valid;
    pid_t released[VGM_MAX_CHILDREN];
    size_t nreleased;
    char *mon;            /* decoded console text of a monitor command */
    size_t mon_len, mon_cap;
    char run_dir[PATH_MAX];
    char vgdb_path[PATH_MAX];
    char xml_path[PATH_MAX];
    char log_path[PATH_MAX];
    char cmd[VGM_FRAME_MAX];
    char io[1 << 16];
    char *errbuf;
};

/* ---- signals: GDB's numbering on the wire ------------------------------ */

static const struct {
    int host, gdb;
} SIGNALS[] = {
    {SIGHUP, 1},     {SIGINT, 2},     {SIGQUIT, 3},   {SIGILL, 4},     {SIGTRAP, 5},
    {SIGABRT, 6},    {SIGFPE, 8},     {SIGKILL, 9},   {SIGBUS, 10},    {SIGSEGV, 11},
    {SIGSYS, 12},    {SIGPIPE, 13},   {SIGALRM, 14},  {SIGTERM, 15},   {SIGURG, 16},
    {SIGSTOP, 17},   {SIGTSTP, 18},   {SIGCONT, 19},  {SIGCHLD, 20},   {SIGTTIN, 21},
    {SIGTTOU, 22},   {SIGIO, 23},     {SIGXCPU, 24},  {SIGXFSZ, 25},   {SIGVTALRM, 26},
    {SIGPROF, 27},   {SIGWINCH, 28},  {SIGUSR1, 30},  {SIGUSR2, 31},   {SIGPWR, 32},
};

/* GDB: realtime 33..63 are 45..75, realtime 32 is 76. 0 = no mapping. */
static int host_to_gdb(int s)
{
    for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++)
        if (SIGNALS[i].host == s)
            return SIGNALS[i].gdb;
    if (s >= 33 && s <= 63)
        return s - 33 + 45;
    if (s == 32)
        return 76;
    return 0;
}

static int gdb_to_host(int g)
{
    for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++)
        if (SIGNALS[i].gdb == g)
            return SIGNALS[i].host;
    if (g >= 45 && g <= 75)
        return g - 45 + 33;
    if (g == 76)
        return 32;
    return 0;
}

/* ---- small helpers ------------------------------------------------------ */

static int64_t after(int64_t ms)
{
    return tr_now_ms() + ms;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static enum tr_err sys_fail(struct vg *s, const char *what)
{
    snprintf(s->errbuf, TR_ERRBUF_LEN, "%s: %s", what, strerror(errno));
    return TR_ERR_SYS;
}

static enum tr_err check_stopped(struct vg *s)
{
    if (!s->alive) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "the program has ended");
        return TR_ERR_GONE;
    }
    if (s->running) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "the program is running (no stop reported yet)");
        return TR_ERR_BADREQ;
    }
    return TR_OK;
}

/* "E nn" and the empty reply (not supported) as codes. */
static enum tr_err reply_ok(struct vg *s, const char *what)
{
    const char *p = s->rem.pkt;
    if (strcmp(p, "OK") == 0)
        return TR_OK;
    if (p[0] == '\0') {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "%s: not supported by the gdbserver", what);
        return TR_ERR_UNSUPPORTED;
    }
    snprintf(s->errbuf, TR_ERRBUF_LEN, "%s: gdbserver replied %.16s", what, p);
    return p[0] == 'E' ? TR_ERR_MEM : TR_ERR_PROTOCOL;
}

/* Last non-empty line of valgrind's log, for a failure message. */
static void log_tail(const struct vg *s, char *out, size_t n)
{
    out[0] = '\0';
    int fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[2048];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t r = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (r <= 0)
        return;
    buf[r] = '\0';
    while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
        buf[--r] = '\0';
    char *line = strrchr(buf, '\n');
    line = line ? line + 1 : buf;
    if (line[0] == '=' && line[1] == '=') { /* "==pid== " */
        char *sp = strstr(line + 2, "== ");
        if (sp)
            line = sp + 3;
    }
    snprintf(out, n, "%s", line);
}

/* ---- processes ------------------------------------------------------------ */

static void reap(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
}

/* Waits for valgrind to end by itself until deadline (0: no deadline),
   then kills it; returns its wait status. What is left of its process
   group (children the program forked) is killed right after the reap,
   while those members still hold the group id, so it cannot be reused.
   *by_us (may be NULL) says whether the deadline passed and we killed it. */
static int reap_program(struct vg *s, int64_t deadline_ms, int *by_us)
{
    if (by_us)
        *by_us = 0;
    if (s->reaped)
        return s->status;
    int status = 0;
    int w = tr_sandbox_wait(s->pid, deadline_ms, &status);
    if (w < 0) {
        kill(s->pid, SIGKILL);
        reap(s->pid, &status);
    }
    if (by_us)
        *by_us = w != 0;
    kill(-s->pid, SIGKILL);
    s->reaped = 1;
    s->status = status;
    return status;
}

static void stop_vgdb(struct vg *s)
{
    if (s->vgdb_pid > 0) {
        int status;
        kill(s->vgdb_pid, SIGKILL);
        reap(s->vgdb_pid, &status);
        s->vgdb_pid = 0;
    }
    if (s->sock >= 0) {
        close(s->sock);
        s->sock = -1;
    }
}

/* Starts vgdb as a relay to pid's gdbserver; *sock is our end. */
static enum tr_err spawn_vgdb(struct vg *s, pid_t pid, const char *user, const char *host,
                              pid_t *out_pid, int *sock)
{
    char a_prefix[PATH_MAX + 32], a_pid[32], e_user[128], e_host[128];
    snprintf(a_prefix, sizeof a_prefix, "--vgdb-prefix=%s/vgdb", s->run_dir);
    snprintf(a_pid, sizeof a_pid, "--pid=%d", (int)pid);
    const char *argv[] = {s->vgdb_path, a_prefix, a_pid, "--max-invoke-ms=0", NULL};
    /* vgdb names the FIFOs from LOGNAME/HOST as valgrind did ("???" when
       unset); nothing else of our environment reaches it. */
    const char *envp[4];
    size_t ne = 0;
    envp[ne++] = "PATH=/usr/bin:/bin";
    if (strcmp(user, "???") != 0 && snprintf(e_user, sizeof e_user, "LOGNAME=%s", user) <
                                        (int)sizeof e_user)
        envp[ne++] = e_user;
    if (strcmp(host, "???") != 0 && snprintf(e_host, sizeof e_host, "HOST=%s", host) <
                                        (int)sizeof e_host)
        envp[ne++] = e_host;
    envp[ne] = NULL;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return sys_fail(s, "socketpair");
    int logfd = open(s->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (logfd < 0)
        logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t child = fork();
    if (child < 0) {
        enum tr_err rc = sys_fail(s, "fork");
        close(sv[0]);
        close(sv[1]);
        if (logfd >= 0)
            close(logfd);
        return rc;
    }
    if (child == 0) {
        /* async-signal-safe only. vgdb runs in the program's own sandbox:
           as valgrind's uid (valgrind tells whether vgdb is still there
           with kill(vgdb, 0), which it may only send to its own uid), and
           so also in its namespaces and under its filter - a program of
           that uid can open /proc/<vgdb>/mem, and must gain nothing by
           taking vgdb over (no network, no other process). */
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || (logfd >= 0 && dup2(logfd, 2) < 0))
            _exit(127);
        struct tr_limits lim;
        tr_limits_default(&lim);
        lim.cpu_soft_s = TR_LIMIT_WALL_MEMCHECK_MS / 1000; /* lives as long as the run */
        lim.cpu_hard_s = lim.cpu_soft_s + 1;
        lim.nproc = 0;
        struct tr_launch vl = {.exe = argv[0], .run_dir = s->run_dir, .limits = &lim,
                               .sandbox = s->sandbox, .keep_stdio = 1};
        tr_sandbox_enter(&vl, 0);
        execve(argv[0], (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    close(sv[1]);
    if (logfd >= 0)
        close(logfd);
    *out_pid = child;
    *sock = sv[0];
    return TR_OK;
}

static int is_stop_reply(const struct vg_remote *r)
{
    return (r->pkt[0] == 'T' || r->pkt[0] == 'S') && r->pkt_len >= 3 &&
           vg_hexval((unsigned char)r->pkt[1]) >= 0 && vg_hexval((unsigned char)r->pkt[2]) >= 0;
}

/* Connection set-up: qSupported, no-ack mode. A forked child's gdbserver
   first sends its parent's last stop reply unasked: ack it, skip it. */
static enum tr_err handshake(struct vg_remote *r, int64_t deadline_ms)
{
    enum tr_err rc = vg_remote_ack(r, deadline_ms);
    if (rc == TR_OK)
        rc = vg_remote_call(r, "qSupported", deadline_ms);
    while (rc == TR_OK && is_stop_reply(r))
        rc = vg_remote_recv(r, deadline_ms);
    if (rc)
        return rc;
    const char *ps = strstr(r->pkt, "PacketSize=");
    if (ps) {
        unsigned long v = strtoul(ps + 11, NULL, 16);
        if (v >= 64)
            r->packet_size = v < VGM_FRAME_MAX ? v : VGM_FRAME_MAX;
    }
    if (strstr(r->pkt, "QStartNoAckMode+")) {
        rc = vg_remote_call(r, "QStartNoAckMode", deadline_ms);
        if (rc)
            return rc;
        if (strcmp(r->pkt, "OK") != 0) {
            snprintf(r->errbuf, TR_ERRBUF_LEN, "QStartNoAckMode refused: %.32s", r->pkt);
            return TR_ERR_PROTOCOL;
        }
        r->noack = 1;
    }
    return TR_OK;
}

/* Parses "vgdb-from-vgdb-to-<pid>-by-<user>-on-<host>". */
static int parse_fifo(const char *name, pid_t *pid, char *user, char *host, size_t n)
{
    if (!has_prefix(name, FIFO_FROM))
        return -1;
    const char *p = name + strlen(FIFO_FROM);
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v <= 0 || v > INT_MAX || !has_prefix(end, "-by-"))
        return -1;
    const char *u = end + 4;
    const char *on = strstr(u, "-on-");
    if (!on || (size_t)(on - u) >= n || strlen(on + 4) >= n)
        return -1;
    memcpy(user, u, (size_t)(on - u));
    user[on - u] = '\0';
    snprintf(host, n, "%s", on + 4);
    *pid = (pid_t)v;
    return 0;
}

/* A forked child stopped at an error waits for a debugger forever: tell
   its gdbserver to stop only after a billion errors, then detach. */
static void release_child(struct vg *s, pid_t pid, const char *user, const char *host)
{
    pid_t relay;
    int sock;
    char errbuf[TR_ERRBUF_LEN];
    if (s->nreleased == VGM_MAX_CHILDREN)
        return;
    s->released[s->nreleased++] = pid;
    /* only processes of the program's group: the run dir is writable by it
       (in a pid namespace of its own the names carry namespace pids, and
       only the run's processes live there) */
    if (s->ns_pid == s->pid && getpgid(pid) != s->pid)
        return;
    if (spawn_vgdb(s, pid, user, host, &relay, &sock) != TR_OK)
        return;
    struct vg_remote r;
    vg_remote_init(&r, sock, errbuf);
    int64_t deadline = after(2000);
    char hex[64];
    static const char cmd[] = "v.set vgdb-error " VGM_NO_ERRORS;
    memcpy(hex, "qRcmd,", 6);
    vg_hex_encode((const uint8_t *)cmd, sizeof cmd - 1, hex + 6);
    hex[6 + 2 * (sizeof cmd - 1)] = '\0';
    /* Best effort: a child we cannot release ends with the run's deadline. */
    enum tr_err rc = handshake(&r, deadline);
    if (rc == TR_OK)
        rc = vg_remote_call(&r, hex, deadline);
    if (rc == TR_OK)
        rc = vg_remote_call(&r, "D", deadline);
    vg_remote_free(&r);
    int status;
    close(sock);
    kill(relay, SIGKILL);
    reap(relay, &status);
}

static void release_children(struct vg *s)
{
    DIR *d = opendir(s->run_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t pid;
        char user[64], host[64];
        if (parse_fifo(e->d_name, &pid, user, host, sizeof user) != 0 || pid == s->ns_pid)
            continue;
        int seen = 0;
        for (size_t i = 0; i < s->nreleased; i++)
            seen |= s->released[i] == pid;
        if (!seen)
            release_child(s, pid, user, host);
    }
    closedir(d);
}

/* Waits until valgrind's gdbserver has made its FIFOs (the one vgdb looks
   for is made last). */
static enum tr_err wait_gdbserver(struct vg *s, int64_t deadline_ms, char *user, char *host,
                                  size_t n)
{
    for (;;) {
        DIR *d = opendir(s->run_dir);
        if (!d)
            return sys_fail(s, "opendir(run dir)");
        struct dirent *e;
        int found = 0;
        while (!found && (e = readdir(d))) {
            pid_t pid;
            found = parse_fifo(e->d_name, &pid, user, host, n) == 0 && pid == s->ns_pid;
        }
        closedir(d);
        if (found)
            return TR_OK;
        int status;
        pid_t w = waitpid(s->pid, &status, WNOHANG);
        if (w == s->pid) {
            char tail[160];
            s->reaped = 1;
            s->alive = 0;
            log_tail(s, tail, sizeof tail);
            snprintf(s->errbuf, TR_ERRBUF_LEN, "valgrind ended before its gdbserver started%s%s",
                     tail[0] ? ": " : "", tail);
            return TR_ERR_SYS;
        }
        if (tr_now_ms() >= deadline_ms) {
            snprintf(s->errbuf, TR_ERRBUF_LEN, "valgrind's gdbserver did not start in %d ms",
                     VGM_START_MS);
            return TR_ERR_TIMEOUT;
        }
        struct timespec ts = {0, 500 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- memcheck's XML ---------------------------------------------------- */

/* Reads what valgrind appended to the XML file since the last call. */
static enum tr_err pump_xml(struct vg *s)
{
    for (;;) {
        ssize_t n = read(s->xml_fd, s->io, sizeof s->io);
        if (n == 0)
            return TR_OK;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_fail(s, "read(memcheck xml)");
        }
        s->xml_bytes += (uint64_t)n;
        if (s->xml_bytes > VGM_XML_MAX) {
            snprintf(s->errbuf, TR_ERRBUF_LEN, "memcheck's XML exceeds %llu MiB",
                     VGM_XML_MAX >> 20);
            return TR_ERR_LIMIT;
        }
        enum tr_err rc = vg_xml_feed(s->xml, s->io, (size_t)n);
        if (rc)
            return rc;
    }
}

/* The records no stop has carried yet. */
static void take_errors(struct vg *s, struct tr_stop *out)
{
    if (s->errs.n > s->reported) {
        out->errors = &s->errs.v[s->reported];
        out->nerrors = s->errs.n - s->reported;
        s->reported = s->errs.n;
    }
}

/* ---- the ops -------------------------------------------------------------- */

static int bp_find(const struct vg *s, tr_addr a, size_t *pos)
{
    size_t lo = 0, hi = s->nbps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->bps[mid].addr < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return lo < s->nbps && s->bps[lo].addr == a;
}

static enum tr_err call(struct vg *s, const char *payload, int64_t ms)
{
    return vg_remote_call(&s->rem, payload, after(ms));
}

static enum tr_err vg_resume(void *st, enum tr_resume how, int signo)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    int g = 0;
    if (signo) {
        g = host_to_gdb(signo);
        if (!g) {
            snprintf(s->errbuf, TR_ERRBUF_LEN, "signal %d cannot be delivered", signo);
            return TR_ERR_BADREQ;
        }
    }
    char pkt[8];
    int step = how == TR_RESUME_STEP;
    if (g)
        snprintf(pkt, sizeof pkt, "%c%02x", step ? 'S' : 'C', g);
    else
        snprintf(pkt, sizeof pkt, "%c", step ? 's' : 'c');
    vg_errs_free(&s->leaks);
    s->regs_valid = 0;
    rc = vg_remote_send(&s->rem, pkt, strlen(pkt), after(VGM_OP_MS));
    if (rc)
        return rc;
    s->running = 1;
    s->stepping = step;
    return TR_OK;
}

/* siginfo of the signal being reported: qXfer:siginfo:read. */
static enum tr_err read_siginfo(struct vg *s, int *signo, int *code, tr_addr *addr)
{
    enum tr_err rc = call(s, "qXfer:siginfo:read::0,80", VGM_OP_MS);
    if (rc)
        return rc;
    char *p = s->rem.pkt;
    if (p[0] != 'l' && p[0] != 'm') {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "siginfo: gdbserver replied %.16s", p);
        return TR_ERR_PROTOCOL;
    }
    size_t n = vg_remote_unescape(p + 1, s->rem.pkt_len - 1);
    if (n == (size_t)-1 || n < 24) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "siginfo: short reply");
        return TR_ERR_PROTOCOL;
    }
    int32_t sig, c;
    uint64_t a;
    memcpy(&sig, p + 1, 4);
    memcpy(&c, p + 1 + 8, 4);
    memcpy(&a, p + 1 + 16, 8);
    *signo = sig;
    *code = c;
    *addr = a;
    return TR_OK;
}

/* Value of register field "10:<hex>" in a T reply, little-endian. */
static int t_field_pc(const char *p, tr_addr *pc)
{
    while (*p) {
        const char *colon = strchr(p, ':');
        const char *semi = strchr(p, ';');
        if (!colon || (semi && semi < colon))
            return -1;
        if (!semi)
            semi = p + strlen(p);
        char *end;
        unsigned long reg = strtoul(p, &end, 16);
        if (end == colon && reg == GDB_RIP && semi - colon - 1 == 16) {
            uint8_t b[8];
            if (vg_hex_decode(colon + 1, b, 8) != 0)
                return -1;
            memcpy(pc, b, 8);
            return 0;
        }
        p = *semi ? semi + 1 : semi;
    }
    return -1;
}

static enum tr_err fetch_regs(struct vg *s)
{
    if (s->regs_valid)
        return TR_OK;
    enum tr_err rc = call(s, "g", VGM_OP_MS);
    if (rc)
        return rc;
    size_t n = s->rem.pkt_len / 2;
    if (s->rem.pkt_len % 2 || n < G_MIN || n > G_MAX ||
        vg_hex_decode(s->rem.pkt, s->regs, n) != 0) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "unexpected register block (%zu bytes)", n);
        return TR_ERR_PROTOCOL;
    }
    s->regs_valid = 1;
    return TR_OK;
}

static uint64_t reg64(const struct vg *s, size_t off)
{
    uint64_t v;
    memcpy(&v, s->regs + off, 8);
    return v;
}

/* The connection ended without a W/X reply: valgrind was killed outright
   (a hard rlimit, the OOM killer), and vgdb saw its FIFOs close; or vgdb
   itself died, and then valgrind is still there and we end it. */
static enum tr_err ended_without_reply(struct vg *s, struct tr_stop *out)
{
    char why[TR_ERRBUF_LEN];
    snprintf(why, sizeof why, "%s", s->errbuf);
    int by_us;
    int status = reap_program(s, after(VGM_EOF_MS), &by_us);
    s->alive = 0;
    s->running = 0;
    if (by_us) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "vgdb ended while the program ran (%s)", why);
        return TR_ERR_GONE;
    }
    if (pump_xml(s) == TR_OK)
        take_errors(s, out);
    if (WIFEXITED(status)) {
        out->kind = TR_STOP_EXITED;
        out->status = WEXITSTATUS(status);
        return TR_OK;
    }
    if (WIFSIGNALED(status)) {
        out->kind = TR_STOP_KILLED;
        out->signo = WTERMSIG(status);
        return TR_OK;
    }
    snprintf(s->errbuf, TR_ERRBUF_LEN, "%s", why);
    return TR_ERR_GONE;
}

static enum tr_err vg_read_mem(void *st, tr_addr addr, void *buf, size_t len);

static enum tr_err on_stop_reply(struct vg *s, struct tr_stop *out)
{
    const char *p = s->rem.pkt;
    uint8_t code;
    if (s->rem.pkt_len < 3 || vg_hex_decode(p + 1, &code, 1) != 0) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "bad stop reply %.16s", p);
        return TR_ERR_PROTOCOL;
    }
    s->running = 0;
    if (p[0] == 'W' || p[0] == 'X') {
        s->alive = 0;
        (void)reap_program(s, after(VGM_REAP_MS), NULL);
        /* memcheck writes its leak records before the gdbserver says W */
        enum tr_err rc = pump_xml(s);
        if (rc)
            return rc;
        take_errors(s, out);
        if (p[0] == 'W') {
            out->kind = TR_STOP_EXITED;
            out->status = code;
        } else {
            out->kind = TR_STOP_KILLED;
            out->signo = gdb_to_host(code);
        }
        return TR_OK;
    }
    if (p[0] != 'T' && p[0] != 'S') {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "unexpected stop reply %.16s", p);
        return TR_ERR_PROTOCOL;
    }
    tr_addr pc;
    enum tr_err rc;
    if (p[0] != 'T' || t_field_pc(p + 3, &pc) != 0) {
        if ((rc = fetch_regs(s)))
            return rc;
        pc = reg64(s, G_RIP);
    }
    out->pc = pc;
    int sig = gdb_to_host(code);
    if (sig != SIGTRAP) {
        out->kind = TR_STOP_SIGNAL;
        out->signo = sig;
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) {
            int si_signo, si_code;
            tr_addr addr;
            if ((rc = read_siginfo(s, &si_signo, &si_code, &addr)))
                return rc;
            if (si_signo == sig) {
                out->fault_addr = addr;
                out->fault_code = si_code;
            }
        }
        return TR_OK;
    }
    if ((rc = pump_xml(s)))
        return rc;
    if (s->errs.n > s->reported) {
        out->kind = TR_STOP_TOOL_ERROR;
        take_errors(s, out);
        return TR_OK;
    }
    /* A breakpoint, a finished step, or the program's own SIGTRAP (int3):
       only the latter has a siginfo. */
    size_t pos;
    int at_bp = !s->stepping && bp_find(s, pc, &pos);
    if (at_bp && s->bps[pos].after_int3 == BP_UNKNOWN) {
        uint8_t before = 0;
        if ((rc = vg_read_mem(s, pc - 1, &before, 1)) && rc != TR_ERR_MEM)
            return rc;
        s->bps[pos].after_int3 = before == 0xcc ? BP_INT3 : BP_NO_INT3;
    }
    int si_signo = 0, si_code = 0;
    tr_addr addr;
    if ((!at_bp || s->bps[pos].after_int3 == BP_INT3) &&
        (rc = read_siginfo(s, &si_signo, &si_code, &addr)))
        return rc;
    if (si_signo == SIGTRAP) {
        out->kind = TR_STOP_SIGNAL;
        out->signo = SIGTRAP;
        out->fault_code = si_code;
    } else if (s->stepping) {
        out->kind = TR_STOP_STEP;
    } else if (at_bp) {
        out->kind = TR_STOP_BREAKPOINT;
    } else {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "unexplained stop at %#llx", (unsigned long long)pc);
        return TR_ERR_PROTOCOL;
    }
    return TR_OK;
}

static enum tr_err vg_wait(void *st, int64_t deadline_ms, struct tr_stop *out)
{
    struct vg *s = st;
    if (!s->alive) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "the program has ended");
        return TR_ERR_GONE;
    }
    if (!s->running) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "wait without a resume");
        return TR_ERR_BADREQ;
    }
    for (;;) {
        int64_t slice = after(VGM_SCAN_MS);
        int64_t d = deadline_ms && deadline_ms < slice ? deadline_ms : slice;
        enum tr_err rc = vg_remote_recv(&s->rem, d);
        if (rc == TR_ERR_TIMEOUT) {
            if (deadline_ms && tr_now_ms() >= deadline_ms) {
                snprintf(s->errbuf, TR_ERRBUF_LEN, "no stop before the deadline");
                return TR_ERR_TIMEOUT;
            }
            release_children(s);
            continue;
        }
        if (rc == TR_ERR_GONE)
            return ended_without_reply(s, out);
        if (rc)
            return rc;
        if (!vg_remote_is_console(&s->rem))
            return on_stop_reply(s, out);
    }
}

static enum tr_err vg_read_mem(void *st, tr_addr addr, void *buf, size_t len)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    size_t chunk = (s->rem.packet_size - 16) / 2;
    if (chunk > 0x7fff)
        chunk = 0x7fff;
    uint8_t *out = buf;
    while (len > 0) {
        size_t n = len < chunk ? len : chunk;
        snprintf(s->cmd, sizeof s->cmd, "m%llx,%zx", (unsigned long long)addr, n);
        if ((rc = call(s, s->cmd, VGM_OP_MS)))
            return rc;
        if (s->rem.pkt_len != 2 * n || vg_hex_decode(s->rem.pkt, out, n) != 0) {
            snprintf(s->errbuf, TR_ERRBUF_LEN, "cannot read %zu bytes at %#llx", n,
                     (unsigned long long)addr);
            return TR_ERR_MEM;
        }
        out += n;
        addr += n;
        len -= n;
    }
    return TR_OK;
}

static enum tr_err vg_write_mem(void *st, tr_addr addr, const void *buf, size_t len)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    size_t chunk = (s->rem.packet_size - 48) / 2;
    const uint8_t *in = buf;
    while (len > 0) {
        size_t n = len < chunk ? len : chunk;
        int h = snprintf(s->cmd, sizeof s->cmd, "M%llx,%zx:", (unsigned long long)addr, n);
        vg_hex_encode(in, n, s->cmd + h);
        s->cmd[h + 2 * n] = '\0';
        if ((rc = call(s, s->cmd, VGM_OP_MS)) || (rc = reply_ok(s, "write memory")))
            return rc;
        in += n;
        addr += n;
        len -= n;
    }
    s->regs_valid = 0; /* the stack may hold what we wrote */
    return TR_OK;
}

static enum tr_err vg_get_regs(void *st, struct tr_regs *out)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc || (rc = fetch_regs(s)))
        return rc;
    out->pc = reg64(s, G_RIP);
    out->sp = reg64(s, G_RSP);
    out->fp = reg64(s, G_RBP);
    out->rax = reg64(s, G_RAX);
    out->rdx = reg64(s, G_RDX);
    out->rdi = reg64(s, G_RDI);
    out->rsi = reg64(s, G_RSI);
    return TR_OK;
}

static enum tr_err vg_get_fpregs(void *st, struct tr_fpregs *out)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc || (rc = fetch_regs(s)))
        return rc;
    memcpy(out->xmm0, s->regs + G_XMM0, 16);
    memcpy(out->xmm1, s->regs + G_XMM1, 16);
    /* valgrind's "st0".."st7" are the physical registers R0..R7, not the
       stack: ST(0) is R[TOP], TOP being bits 11-13 of the status word. */
    uint32_t fstat;
    memcpy(&fstat, s->regs + G_FSTAT, 4);
    memcpy(out->st0, s->regs + G_ST0 + 10 * ((fstat >> 11) & 7), 10);
    return TR_OK;
}

static enum tr_err vg_insert_bp(void *st, tr_addr addr)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    size_t pos;
    if (bp_find(s, addr, &pos))
        return TR_OK;
    if (s->nbps == s->capbps) {
        if (s->capbps >= VGM_MAX_BPS) {
            snprintf(s->errbuf, TR_ERRBUF_LEN, "more than %u breakpoints", VGM_MAX_BPS);
            return TR_ERR_LIMIT;
        }
        size_t cap = s->capbps ? s->capbps * 2 : 256;
        struct vg_bp *b = realloc(s->bps, cap * sizeof *b);
        if (!b)
            return TR_ERR_NOMEM;
        s->bps = b;
        s->capbps = cap;
    }
    snprintf(s->cmd, sizeof s->cmd, "Z0,%llx,1", (unsigned long long)addr);
    if ((rc = call(s, s->cmd, VGM_OP_MS)) || (rc = reply_ok(s, "insert breakpoint")))
        return rc;
    memmove(s->bps + pos + 1, s->bps + pos, (s->nbps - pos) * sizeof *s->bps);
    s->bps[pos] = (struct vg_bp){.addr = addr, .after_int3 = BP_UNKNOWN};
    s->nbps++;
    return TR_OK;
}

static enum tr_err vg_remove_bp(void *st, tr_addr addr)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    size_t pos;
    if (!bp_find(s, addr, &pos))
        return TR_OK;
    snprintf(s->cmd, sizeof s->cmd, "z0,%llx,1", (unsigned long long)addr);
    if ((rc = call(s, s->cmd, VGM_OP_MS)) || (rc = reply_ok(s, "remove breakpoint")))
        return rc;
    memmove(s->bps + pos, s->bps + pos + 1, (s->nbps - pos - 1) * sizeof *s->bps);
    s->nbps--;
    return TR_OK;
}

/* Runs a monitor command; its console text lands in s->mon. */
static enum tr_err monitor(struct vg *s, const char *cmd, int64_t ms)
{
    size_t n = strlen(cmd);
    if (6 + 2 * n + 1 > sizeof s->cmd)
        return TR_ERR_BADREQ;
    memcpy(s->cmd, "qRcmd,", 6);
    vg_hex_encode((const uint8_t *)cmd, n, s->cmd + 6);
    s->cmd[6 + 2 * n] = '\0';
    int64_t deadline = after(ms);
    enum tr_err rc = vg_remote_send(&s->rem, s->cmd, 6 + 2 * n, deadline);
    s->mon_len = 0;
    while (rc == TR_OK) {
        if ((rc = vg_remote_recv(&s->rem, deadline)))
            break;
        if (!vg_remote_is_console(&s->rem))
            return reply_ok(s, cmd);
        size_t add = (s->rem.pkt_len - 1) / 2;
        if (s->mon_len + add + 1 > s->mon_cap) {
            size_t cap = s->mon_cap ? s->mon_cap : 4096;
            while (s->mon_len + add + 1 > cap)
                cap *= 2;
            if (cap > VGM_MON_MAX) {
                snprintf(s->errbuf, TR_ERRBUF_LEN, "monitor output over %u MiB",
                         VGM_MON_MAX >> 20);
                return TR_ERR_LIMIT;
            }
            char *m = realloc(s->mon, cap);
            if (!m)
                return TR_ERR_NOMEM;
            s->mon = m;
            s->mon_cap = cap;
        }
        if (vg_hex_decode(s->rem.pkt + 1, (uint8_t *)s->mon + s->mon_len, add) != 0)
            return TR_ERR_PROTOCOL;
        s->mon_len += add;
        s->mon[s->mon_len] = '\0';
    }
    return rc;
}

static enum tr_err vg_read_vbits(void *st, tr_addr addr, uint8_t *out, size_t len)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    size_t total = len, unaddressable = 0;
    while (len > 0) {
        size_t n = len < VGM_VBITS_CHUNK ? len : VGM_VBITS_CHUNK, bad;
        char cmd[64];
        snprintf(cmd, sizeof cmd, "get_vbits 0x%llx %zu", (unsigned long long)addr, n);
        if ((rc = monitor(s, cmd, VGM_OP_MS)))
            return rc;
        if ((rc = vg_mon_vbits(s->mon ? s->mon : "", s->mon_len, out, n, &bad, s->errbuf)))
            return rc;
        unaddressable += bad;
        out += n;
        addr += n;
        len -= n;
    }
    if (unaddressable == total) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "get_vbits: no byte is addressable");
        return TR_ERR_MEM;
    }
    return TR_OK;
}

static enum tr_err vg_check_defined(void *st, tr_addr addr, size_t len, tr_addr *bad,
                                    int *unaddr)
{
    struct vg *s = st;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    char cmd[80];
    snprintf(cmd, sizeof cmd, "check_memory defined 0x%llx %zu", (unsigned long long)addr, len);
    if ((rc = monitor(s, cmd, VGM_OP_MS)))
        return rc;
    return vg_mon_check(s->mon ? s->mon : "", s->mon_len, addr, len, bad, unaddr, s->errbuf);
}

static void vg_kill(void *st)
{
    struct vg *s = st;
    if (s->pid > 0 && !s->reaped) {
        /* the group too: children the program forked */
        kill(-s->pid, SIGKILL);
        kill(s->pid, SIGKILL);
        (void)reap_program(s, 0, NULL);
    }
    stop_vgdb(s);
    s->alive = 0;
    s->running = 0;
}

/* Removes the gdbserver FIFOs and shared memory files of every process of
   the run (a killed valgrind leaves them), and our own files. */
static void remove_files(struct vg *s)
{
    DIR *d = opendir(s->run_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (has_prefix(e->d_name, FIFO_FROM) || has_prefix(e->d_name, FIFO_TO) ||
                has_prefix(e->d_name, SHM) || has_prefix(e->d_name, VG_DEBUGINFO_PREFIX))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    unlink(s->xml_path);
    unlink(s->log_path);
}

static void vg_destroy(void *st)
{
    struct vg *s = st;
    if (!s)
        return;
    vg_kill(s);
    if (s->xml_fd >= 0)
        close(s->xml_fd);
    if (s->run_dir[0])
        remove_files(s);
    vg_remote_free(&s->rem);
    vg_xml_free(s->xml);
    vg_errs_free(&s->errs);
    vg_errs_free(&s->leaks);
    free(s->bps);
    free(s->mon);
    free(s);
}

static const struct tr_target_ops vg_ops = {
    .name = "valgrind",
    .caps = TR_CAP_SINGLESTEP | TR_CAP_TOOL_ERRORS | TR_CAP_VBITS | TR_CAP_WRITE_MEM,
    .resume = vg_resume,
    .wait = vg_wait,
    .read_mem = vg_read_mem,
    .write_mem = vg_write_mem,
    .get_regs = vg_get_regs,
    .get_fpregs = vg_get_fpregs,
    .insert_bp = vg_insert_bp,
    .remove_bp = vg_remove_bp,
    .read_vbits = vg_read_vbits,
    .check_defined = vg_check_defined,
    .kill = vg_kill,
    .destroy = vg_destroy,
};

enum tr_err vg_target_leak_check(struct tr_target *t, const struct tr_tool_error **out,
                                 size_t *n)
{
    if (!t || t->ops != &vg_ops)
        return TR_ERR_UNSUPPORTED;
    struct vg *s = t->state;
    enum tr_err rc = check_stopped(s);
    if (rc)
        return rc;
    if ((rc = monitor(s, "leak_check full kinds definite,indirect any", VGM_LEAK_MS)))
        return rc;
    vg_errs_free(&s->leaks);
    if ((rc = vg_mon_leaks(s->mon ? s->mon : "", s->mon_len, &s->leaks)))
        return rc;
    *out = s->leaks.v;
    *n = s->leaks.n;
    return TR_OK;
}

void vg_options_default(struct vg_options *o)
{
    memset(o, 0, sizeof *o);
    o->leak_check = 1;
    o->exact_regs = 1;
}

/* ---- start-up --------------------------------------------------------------- */

#define MAX_ARGS 32

/* valgrind's command line; strings in buf. */
static enum tr_err build_argv(struct vg *s, const struct tr_launch *l, const struct vg_options *o,
                              const char *valgrind, const char **argv, char *buf, size_t cap)
{
    size_t used = 0, n = 0;
    const char *fixed[] = {
        "--tool=memcheck",
        "--vgdb=yes",
        "--vgdb-error=0",
        "--child-silent-after-fork=yes",
        "--error-exitcode=0",
        "--num-callers=24",
        /* Leave a malloc defined in the program alone: our runtime's
           (tracer/rt) keeps the heap table the value reader uses and calls
           glibc's __libc_malloc, which memcheck replaces anyway. By
           default memcheck would replace the program's malloc too, and the
           table would stay empty. */
        "--soname-synonyms=somalloc=nouserintercepts",
        /* Frames for inlined calls: the user's code is built at -O0 and
           inlines nothing, and only its frames are shown; reading them
           costs ~100 ms of each run's start-up (measured, docs/memcheck.md). */
        "--read-inline-info=no",
    };
    argv[n++] = valgrind;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[n++] = fixed[i];
    /* with --xml=yes memcheck always searches at exit; "none" shows nothing */
    argv[n++] = o->leak_check ? "--show-leak-kinds=definite,indirect" : "--show-leak-kinds=none";
    argv[n++] = o->leak_check ? "--leak-check=full" : "--leak-check=summary";
    argv[n++] = o->track_origins ? "--track-origins=yes" : "--track-origins=no";
    /* Exact registers at a breakpoint: by default VEX keeps only pc/sp/fp
       up to date between memory accesses, and drops a register write that
       a later one in the same block overwrites, so rax & co. could be
       stale at a stop (about +15% run time). */
    if (o->exact_regs)
        argv[n++] = "--vex-iropt-register-updates=allregs-at-each-insn";
#define PUT(...)                                                                          \
    do {                                                                                  \
        int k_ = snprintf(buf + used, cap - used, __VA_ARGS__);                           \
        if (k_ < 0 || (size_t)k_ >= cap - used || n + 2 >= MAX_ARGS) {                    \
            snprintf(s->errbuf, TR_ERRBUF_LEN, "valgrind command line too long");          \
            return TR_ERR_BADREQ;                                                         \
        }                                                                                 \
        argv[n++] = buf + used;                                                           \
        used += (size_t)k_ + 1;                                                           \
    } while (0)
    PUT("--vgdb-prefix=%s/vgdb", s->run_dir);
    PUT("--xml=yes");
    PUT("--xml-file=%s", s->xml_path);
    PUT("--log-file=%s", s->log_path);
    for (size_t i = 0; o->suppressions && o->suppressions[i]; i++)
        PUT("--suppressions=%s", o->suppressions[i]);
    PUT("%s", l->exe);
#undef PUT
    argv[n] = NULL;
    return TR_OK;
}

enum tr_err vg_target_open(const struct tr_launch *l, const struct vg_options *o,
                           struct tr_target **out, char *errbuf)
{
    struct vg_options defaults;
    if (!o) {
        vg_options_default(&defaults);
        o = &defaults;
    }
    if (!l || !l->exe || l->exe[0] != '/' || !l->run_dir) {
        snprintf(errbuf, TR_ERRBUF_LEN, "the program and its run dir must be absolute paths");
        return TR_ERR_BADREQ;
    }
    struct tr_target *t = calloc(1, sizeof *t);
    struct vg *s = calloc(1, sizeof *s);
    if (!t || !s) {
        free(t);
        free(s);
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    s->errbuf = t->errbuf;
    s->sock = -1;
    if (l && l->sandbox && l->sandbox->uid) {
        s->uid = l->sandbox->uid;
        s->gid = l->sandbox->gid;
    }
    s->sandbox = l ? l->sandbox : NULL;
    s->xml_fd = -1;
    vg_errs_init(&s->errs, s->errbuf);
    vg_errs_init(&s->leaks, s->errbuf);
    vg_remote_init(&s->rem, -1, s->errbuf);

    enum tr_err rc = TR_OK;
    const char *valgrind = o->valgrind ? o->valgrind : "/usr/bin/valgrind";
    const char *slash = strrchr(valgrind, '/');
    char a_buf[8192];
    const char *argv[MAX_ARGS];
    char user[64], host[64];
    int64_t start_deadline = after(VGM_START_MS);
    if (!realpath(l->run_dir, s->run_dir)) {
        rc = sys_fail(s, "run dir");
        goto fail;
    }
    if (o->vgdb)
        snprintf(s->vgdb_path, sizeof s->vgdb_path, "%s", o->vgdb);
    else if (slash)
        snprintf(s->vgdb_path, sizeof s->vgdb_path, "%.*s/vgdb", (int)(slash - valgrind),
                 valgrind);
    else
        snprintf(s->vgdb_path, sizeof s->vgdb_path, "/usr/bin/vgdb");
    if (snprintf(s->xml_path, sizeof s->xml_path, "%s/mc.xml", s->run_dir) >=
            (int)sizeof s->xml_path ||
        snprintf(s->log_path, sizeof s->log_path, "%s/vg.log", s->run_dir) >=
            (int)sizeof s->log_path ||
        strlen(s->run_dir) + 128 > PATH_MAX) {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "run dir path too long");
        rc = TR_ERR_BADREQ;
        goto fail;
    }
    if ((rc = vg_xml_new(&s->errs, s->errbuf, &s->xml)))
        goto fail;
    /* Ours before valgrind's: valgrind opens it O_TRUNC, the same file. */
    s->xml_fd = open(s->xml_path, O_RDONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (s->xml_fd < 0) {
        rc = sys_fail(s, "memcheck xml file");
        goto fail;
    }
    /* valgrind runs as the run's uid when it has one: the file is its */
    if (l->sandbox && l->sandbox->uid &&
        fchown(s->xml_fd, l->sandbox->uid, l->sandbox->gid) != 0) {
        rc = sys_fail(s, "memcheck xml file owner");
        goto fail;
    }
    if ((rc = build_argv(s, l, o, valgrind, argv, a_buf, sizeof a_buf)))
        goto fail;
    /* Debuginfo: all of ld.so's, only the symbols of libc's and libm's:
       ~220 ms less start-up (vg_debuginfo.c). Needs the private mount
       namespace. */
    struct tr_launch vl = *l;
    struct vg_debuginfo *dbg = NULL;
    if (!o->all_debuginfo && l->sandbox && l->sandbox->mountns &&
        (dbg = malloc(sizeof *dbg)) && vg_debuginfo_plan(l->exe, s->run_dir, dbg) == 0) {
        vl.narrow_dir = VG_DEBUGINFO_DIR;
        vl.narrow = dbg->bind;
        vl.nnarrow = dbg->n;
    }
    pid_t pid = fork();
    if (pid < 0) {
        free(dbg);
        rc = sys_fail(s, "fork");
        goto fail;
    }
    if (pid == 0)
        tr_sandbox_exec(&vl, argv, 0);
    free(dbg); /* the child has its copy */
    s->pid = pid;
    s->alive = 1;
    setpgid(pid, pid); /* also in the child; whichever runs first */
    s->ns_pid = tr_sandbox_ns_pid(pid);

    if ((rc = wait_gdbserver(s, start_deadline, user, host, sizeof user)))
        goto fail;
    if ((rc = spawn_vgdb(s, s->ns_pid, user, host, &s->vgdb_pid, &s->sock)))
        goto fail;
    s->rem.fd = s->sock;
    if ((rc = handshake(&s->rem, start_deadline))) {
        int st;
        if (rc == TR_ERR_GONE && tr_sandbox_wait(s->vgdb_pid, after(1000), &st) == 0) {
            s->vgdb_pid = 0;
            snprintf(s->errbuf, TR_ERRBUF_LEN, "vgdb (%s) exited with status %d", s->vgdb_path,
                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        goto fail;
    }
    /* The initial stop: before the first instruction. */
    if ((rc = vg_remote_call(&s->rem, "?", start_deadline)))
        goto fail;
    if (s->rem.pkt[0] != 'T') {
        snprintf(s->errbuf, TR_ERRBUF_LEN, "unexpected first stop %.16s", s->rem.pkt);
        rc = TR_ERR_PROTOCOL;
        goto fail;
    }
    if ((rc = fetch_regs(s)) || (rc = pump_xml(s)))
        goto fail;

    t->ops = &vg_ops;
    t->state = s;
    *out = t;
    return TR_OK;

fail:
    if (rc == TR_ERR_GONE || rc == TR_ERR_TIMEOUT) {
        char tail[160];
        log_tail(s, tail, sizeof tail);
        if (tail[0]) {
            size_t k = strlen(s->errbuf);
            snprintf(s->errbuf + k, TR_ERRBUF_LEN - k, " (valgrind: %s)", tail);
        }
    }
    snprintf(errbuf, TR_ERRBUF_LEN, "%s", s->errbuf[0] ? s->errbuf : tr_strerror(rc));
    vg_destroy(s);
    free(t);
    return rc;
}
