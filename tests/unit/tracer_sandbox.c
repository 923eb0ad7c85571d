/*
 * tracer_sandbox.c - the isolation layer, checked from inside: a forked
 * child enters the sandbox (tr_sandbox_enter: everything tr_sandbox_exec
 * does but the exec) and tries what a hostile program would; its exit
 * status says what happened. Also the probe's compact form, the jail's
 * sweep of double-forked daemons (pid namespace and subreaper modes), the
 * process limit for a shared uid, and removing a tree a program locked.
 *
 * What needs root (namespaces, another uid) is checked when the probe
 * finds it; the seccomp checks run wherever seccomp loads.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "tracer/probe.h"
#include "tracer/sandbox.h"
#include "tracer/target.h"

static struct tr_probe probe;
static int probed;

/* Every test may run alone (CHECK_ONLY): each asks for the probe. */
static void setup(void)
{
    if (!probed)
        tr_probe_run(&probe);
    probed = 1;
}

/* Run fn in a child inside the sandbox sb (limits: the defaults); the
   child's exit status, or -1 - signal. */
static int in_sandbox(const struct tr_sandbox *sb, const char *dir, int (*fn)(void))
{
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.nproc = tr_sandbox_nproc(sb);
    struct tr_launch l = {.exe = "/bin/true", .run_dir = dir, .stdin_path = "/dev/null",
                          .stdout_path = "/dev/null", .stderr_path = "/dev/null",
                          .limits = &lim, .sandbox = sb};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1000;
    if (pid == 0) {
        tr_sandbox_enter(&l, 0);
        _exit(fn());
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* Each returns 0 when the attack was refused the expected way. */
static int inet_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EPERM ? 0 : 1;
}

static int unix_socket(void)
{
    return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int ptrace_me(void)
{
    return ptrace(PTRACE_TRACEME, 0, 0, 0) != 0 && errno == EPERM ? 0 : 1;
}

/* A signal for another process is denied. (Signal 0 is not: it sends
   nothing, and Valgrind asks it of vgdb; SIGCONT does nothing to a running
   pid 1 should the filter fail.) */
static int kill_pid1(void)
{
    return kill(1, SIGCONT) != 0 && errno == EPERM ? 0 : 1;
}

static int kill_self_and_group(void)
{
    return kill(getpid(), 0) == 0 && kill(0, 0) == 0 && kill(-getpid(), 0) == 0 ? 0 : 1;
}

static int raise_works(void)
{
    signal(SIGUSR1, SIG_IGN);
    return raise(SIGUSR1) == 0 ? 0 : 1; /* tgkill on ourselves */
}

static int untraced_clone(void)
{
    long r = syscall(SYS_clone, 0x00800000L /* CLONE_UNTRACED */ | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    return r < 0 && errno == EPERM ? 0 : 1;
}

static int not_dumpable(void)
{
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 && errno == EPERM ? 0 : 1;
}

static int personality_change(void)
{
    return personality(READ_IMPLIES_EXEC) == -1 && errno == EPERM &&
                   personality(0xffffffff) != -1
               ? 0
               : 1;
}

static int fork_works(void)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    int st;
    return p > 0 && waitpid(p, &st, 0) == p ? 0 : 1;
}

static int x32_call_kills(void)
{
    syscall(0x40000000L | 39 /* x32 getpid */);
    return 1; /* still alive: the filter let a foreign ABI through */
}

static void test_seccomp_denies_what_security_md_lists(void)
{
    setup();
    if (!probe.seccomp) {
        printf("  (skipped: seccomp cannot be loaded here)\n");
        return;
    }
    struct tr_sandbox sb;
    char err[TR_ERRBUF_LEN];
    struct tr_probe only_seccomp = {.seccomp = 1};
    REQUIRE(tr_sandbox_init(&sb, &only_seccomp, err) == TR_OK);
    CHECK_INT(in_sandbox(&sb, NULL, inet_socket), 0);
    CHECK_INT(in_sandbox(&sb, NULL, unix_socket), 0);
    CHECK_INT(in_sandbox(&sb, NULL, ptrace_me), 0);
    CHECK_INT(in_sandbox(&sb, NULL, kill_pid1), 0);
    CHECK_INT(in_sandbox(&sb, NULL, kill_self_and_group), 0);
    CHECK_INT(in_sandbox(&sb, NULL, raise_works), 0);
    CHECK_INT(in_sandbox(&sb, NULL, untraced_clone), 0);
    CHECK_INT(in_sandbox(&sb, NULL, not_dumpable), 0);
    CHECK_INT(in_sandbox(&sb, NULL, personality_change), 0);
    CHECK_INT(in_sandbox(&sb, NULL, fork_works), 0);
    CHECK_INT(in_sandbox(&sb, NULL, x32_call_kills), -SIGSYS);
    tr_sandbox_free(&sb);
}

static int no_network_at_all(void)
{
    /* a new network namespace has no route even where sockets exist */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return 2;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53),
                            .sin_addr.s_addr = htonl(0x08080808)};
    return connect(s, (struct sockaddr *)&a, sizeof a) != 0 ? 0 : 1;
}

static int only_run_dir_writable(void)
{
    int bad = open("/tmp/spp-sandbox-test-marker", O_WRONLY | O_CREAT, 0644) >= 0;
    int good = open("inside.txt", O_WRONLY | O_CREAT, 0644) >= 0;
    return !bad && good ? 0 : 1;
}

static int other_uid(void)
{
    return getuid() >= TR_SANDBOX_UID_BASE && getgid() >= TR_SANDBOX_UID_BASE ? 0 : 1;
}

static void test_namespaces_and_uid(void)
{
    setup();
    if (!probe.netns || !probe.mountns || !probe.setuid) {
        printf("  (skipped: namespaces or another uid are not available here)\n");
        return;
    }
    struct tr_sandbox sb;
    char err[TR_ERRBUF_LEN];
    struct tr_probe p = probe;
    p.seccomp = 0; /* the network check needs a socket */
    p.pidns = 0;
    REQUIRE(tr_sandbox_init(&sb, &p, err) == TR_OK);
    char dir[] = "/tmp/spp-sandbox-test-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    REQUIRE(chown(dir, sb.uid, sb.gid) == 0);
    CHECK_INT(in_sandbox(&sb, dir, no_network_at_all), 0);
    CHECK_INT(in_sandbox(&sb, dir, only_run_dir_writable), 0);
    CHECK_INT(in_sandbox(&sb, dir, other_uid), 0);
    CHECK(access("/tmp/spp-sandbox-test-marker", F_OK) != 0);
    CHECK(tr_sandbox_remove_tree(dir) == 0);
    tr_sandbox_free(&sb);
}

/* A daemon: double fork, new session, named so it can be found. */
static int start_daemon(void)
{
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            prctl(PR_SET_NAME, "spp-test-daemon");
            for (;;)
                pause();
        }
        _exit(0);
    }
    sleep(1); /* let it settle; the jail must find it anyway */
    return 0;
}

static int daemons_alive(void)
{
    char path[300], comm[32];
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(comm, sizeof comm, f) && strncmp(comm, "spp-test-daemon", 15) == 0)
            n++;
        fclose(f);
    }
    if (d)
        closedir(d);
    return n;
}

static void jail_round(int pidns)
{
    struct tr_sandbox sb;
    struct tr_jail *j = NULL;
    char err[TR_ERRBUF_LEN];
    struct tr_probe p = {.pidns = pidns};
    REQUIRE(tr_sandbox_init(&sb, &p, err) == TR_OK);
    REQUIRE(tr_jail_open(&sb, &j, err) == TR_OK);
    CHECK_INT(in_sandbox(&sb, NULL, start_daemon), 0);
    CHECK(daemons_alive() >= 1);
    CHECK(tr_jail_close(j) >= 1); /* it was still there, and was killed */
    CHECK_INT(daemons_alive(), 0);
    tr_sandbox_free(&sb);
}

static void test_jail_kills_daemons_in_a_pid_namespace(void)
{
    setup();
    if (!probe.pidns) {
        printf("  (skipped: no pid namespaces here)\n");
        return;
    }
    /* the jail changes where our children go: in a child of ours */
    pid_t pid = fork();
    if (pid == 0) {
        jail_round(1);
        _exit(check_failed_);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_jail_sweeps_daemons_as_subreaper(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        jail_round(0);
        _exit(check_failed_);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Valgrind needs clone, mmap, signals between its own threads (tkill is
   ENOSYS, it falls back to kill of itself): it must still run, as the
   run's uid, in every namespace, under the filter, with its 1 GiB. */
static void test_valgrind_runs_in_the_sandbox(void)
{
    setup();
    if (!probe.valgrind) {
        printf("  (skipped: no valgrind here)\n");
        return;
    }
    struct tr_sandbox sb;
    char err[TR_ERRBUF_LEN], dir[] = "/tmp/spp-sandbox-vg-XXXXXX", out[sizeof dir + 16];
    REQUIRE(tr_sandbox_init(&sb, &probe, err) == TR_OK);
    REQUIRE(mkdtemp(dir) != NULL);
    if (sb.uid)
        REQUIRE(chown(dir, sb.uid, sb.gid) == 0);
    snprintf(out, sizeof out, "%s/vg.out", dir);
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.as_bytes = TR_LIMIT_AS_VALGRIND;
    lim.cpu_soft_s = 20;
    lim.cpu_hard_s = 21;
    lim.nproc = tr_sandbox_nproc(&sb);
    struct tr_launch l = {.exe = "/bin/true", .run_dir = dir, .stdin_path = "/dev/null",
                          .stdout_path = out, .stderr_path = out, .limits = &lim,
                          .sandbox = &sb};
    const char *argv[] = {"/usr/bin/valgrind", "-q", "--vgdb=no", "--error-exitcode=9",
                          "/bin/true", NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        tr_sandbox_exec(&l, argv, 0);
    int status = 0;
    CHECK_INT(tr_sandbox_wait(pid, tr_now_ms() + 60000, &status), 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char buf[512] = "";
        int fd = open(out, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
        buf[n > 0 ? n : 0] = '\0';
        printf("  valgrind said: %s\n", buf);
        if (fd >= 0)
            close(fd);
    }
    tr_sandbox_remove_tree(dir);
    tr_sandbox_free(&sb);
}

static void test_probe_compact_form(void)
{
    setup();
    char text[TR_PROBE_TEXT_LEN];
    struct tr_probe back;
    REQUIRE(tr_probe_encode(&probe, text, sizeof text) == TR_OK);
    REQUIRE(tr_probe_decode(text, &back) == TR_OK);
    CHECK_INT(back.ptrace, probe.ptrace);
    CHECK_INT(back.seccomp, probe.seccomp);
    CHECK_INT(back.pidns, probe.pidns);
    CHECK_INT(back.setuid, probe.setuid);
    CHECK_STR(back.valgrind_version, probe.valgrind_version);
    static const char *const bad[] = {
        "", "v2 ptrace=1", "v1 ptrace=1", /* flags missing */
        "v1 ptrace=2 pvm=1 seccomp=1 netns=1 mountns=1 pidns=1 userns=1 setuid=1 valgrind=1",
        ("v1 ptrace=1 pvm=1 seccomp=1 netns=1 mountns=1 pidns=1 userns=1 setuid=1 valgrind=1 "
         "vgver=a\"b"), /* one string: the parentheses tell clang so */
        "v1 ptrace=1 pvm=1 seccomp=1 netns=1 mountns=1 pidns=1 userns=1 setuid=1 valgrind=1 x=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(tr_probe_decode(bad[i], &back) == TR_ERR_BADREQ);
    char json[TR_PROBE_JSON_LEN];
    tr_probe_json(&probe, 0, json, sizeof json);
    CHECK(json[0] == '{' && strstr(json, "\"engine\":") != NULL);
}

static void test_nproc_counts_a_shared_uid(void)
{
    struct tr_sandbox own = {.uid = 1}, shared = {.shared_uid = 1};
    CHECK_INT(tr_sandbox_nproc(&own), TR_LIMIT_NPROC);
    CHECK_INT(tr_sandbox_nproc(NULL), TR_LIMIT_NPROC);
    if (getuid() != 0)
        CHECK(tr_sandbox_nproc(&shared) > TR_LIMIT_NPROC); /* at least this process */
    else
        CHECK_INT(tr_sandbox_nproc(&shared), TR_LIMIT_NPROC); /* root ignores it */
}

static void test_remove_tree_of_a_locked_directory(void)
{
    char dir[] = "/tmp/spp-sandbox-rm-XXXXXX";
    char path[128];
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/locked", dir);
    REQUIRE(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/locked/file", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    close(fd);
    snprintf(path, sizeof path, "%s/link", dir);
    REQUIRE(symlink("/etc", path) == 0);
    snprintf(path, sizeof path, "%s/locked", dir);
    chmod(path, 0);
    chmod(dir, 0);
    CHECK_INT(tr_sandbox_remove_tree(dir), 0);
    CHECK(access(dir, F_OK) != 0);
    CHECK(access("/etc/passwd", F_OK) == 0); /* the symlink was not followed */
}

static void test_probe_runs(void)
{
    setup();
    CHECK(probe.ms > 0);
    CHECK(probe.ms < 1000);
}

TEST_MAIN(TEST(test_probe_runs), TEST(test_probe_compact_form),
          TEST(test_seccomp_denies_what_security_md_lists), TEST(test_namespaces_and_uid),
          TEST(test_valgrind_runs_in_the_sandbox),
          TEST(test_jail_kills_daemons_in_a_pid_namespace),
          TEST(test_jail_sweeps_daemons_as_subreaper), TEST(test_nproc_counts_a_shared_uid),
          TEST(test_remove_tree_of_a_locked_directory))
