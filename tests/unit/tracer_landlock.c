/*
 * tracer_landlock.c - Landlock confinement (tracer/sandbox_landlock.h),
 * checked from inside: a forked child confines itself as a run's process
 * would and tries what a hostile program on AWS Lambda would (read and
 * write /tmp, the cache, a symlink out of its directory); its exit status
 * names the first check that went wrong. Also when the sandbox uses it
 * (no mount namespace, not forced off) and that the probe carries it.
 *
 * Where the kernel offers no Landlock the confinement checks say so and
 * pass nothing: the decision checks still run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "tracer/probe.h"
#include "tracer/sandbox.h"
#include "tracer/sandbox_landlock.h"
#include "tracer/target.h"

/* The places one check uses: a run directory, a read-only directory (as
   the PCH directory is), and a foreign one (another request's cache). */
struct places {
    char root[64], run[96], ro[96], foreign[96];
};

static int make_places(struct places *p)
{
    snprintf(p->root, sizeof p->root, "/tmp/spp-landlock-test-XXXXXX");
    if (!mkdtemp(p->root))
        return -1;
    snprintf(p->run, sizeof p->run, "%s/run", p->root);
    snprintf(p->ro, sizeof p->ro, "%s/ro", p->root);
    snprintf(p->foreign, sizeof p->foreign, "%s/foreign", p->root);
    char f1[160], f2[160];
    snprintf(f1, sizeof f1, "%s/header.gch", p->ro);
    snprintf(f2, sizeof f2, "%s/secret.json", p->foreign);
    if (mkdir(p->run, 0700) || mkdir(p->ro, 0700) || mkdir(p->foreign, 0700))
        return -1;
    FILE *a = fopen(f1, "w"), *b = fopen(f2, "w");
    if (a)
        fputs("pch", a), fclose(a);
    if (b)
        fputs("{\"stdout\":\"the first user's secret\"}", b), fclose(b);
    return a && b ? 0 : -1;
}

static int opens(const char *dir, const char *name, int flags)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, flags | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    close(fd);
    return 0;
}

/* In the confined child: 0 when all held, else the failing check's number. */
static int attacks(const struct places *p)
{
    char path[256], link[256];
    if (opens(p->run, "out.txt", O_WRONLY | O_CREAT) != 0)
        return 1; /* its own directory is writable */
    snprintf(path, sizeof path, "%s/sub", p->run);
    if (mkdir(path, 0700) != 0)
        return 2;
    snprintf(path, sizeof path, "%s/out.txt", p->run);
    snprintf(link, sizeof link, "%s/sub/moved.txt", p->run);
    if (rename(path, link) != 0)
        return 3; /* moving within it works */
    if (opens(p->ro, "header.gch", O_RDONLY) != 0)
        return 4; /* the extra read-only path is readable */
    if (opens(p->ro, "new", O_WRONLY | O_CREAT) != -EACCES)
        return 5; /* ... and not writable */
    if (opens(p->foreign, "secret.json", O_RDONLY) != -EACCES)
        return 6; /* other requests' files cannot be read */
    if (opens(p->foreign, "secret.json", O_WRONLY | O_TRUNC) != -EACCES)
        return 7; /* ... nor rewritten */
    if (opens(p->foreign, "planted", O_WRONLY | O_CREAT) != -EACCES)
        return 8;
    if (opendir(p->foreign) != NULL || opendir(p->root) != NULL)
        return 9; /* nor listed */
    snprintf(path, sizeof path, "%s/foreign/secret.json", p->root);
    snprintf(link, sizeof link, "%s/escape", p->run);
    if (symlink(path, link) != 0 || opens(p->run, "escape", O_RDONLY) != -EACCES)
        return 10; /* a symlink out is still outside */
    if (opens("/tmp", "spp-landlock-marker", O_WRONLY | O_CREAT) != -EACCES)
        return 11; /* /tmp is out of reach */
    if (opens("/etc", "passwd", O_RDONLY) != 0 || opens("/usr/bin", "env", O_RDONLY) != 0)
        return 12; /* system paths are readable */
    if (opens("/dev", "null", O_WRONLY | O_TRUNC) != 0)
        return 13;
    if (opens("/etc", "spp-landlock-marker", O_WRONLY | O_CREAT) != -EACCES)
        return 14;
    return 0;
}

static int abi_or_skip(const char *test)
{
    int abi = tr_landlock_abi();
    if (!abi)
        printf("  %s: this kernel offers no Landlock; confinement not checked\n", test);
    return abi;
}

static int child_status(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void test_restrict_confines_to_the_run_directory(void)
{
    int abi = abi_or_skip(__func__);
    if (!abi)
        return;
    struct places p;
    REQUIRE(make_places(&p) == 0);
    const char *ro[] = {p.ro, NULL};
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        _exit(tr_landlock_restrict(abi, p.run, ro) != 0 ? 99 : attacks(&p));
    CHECK_INT(child_status(pid), 0);
    CHECK(access("/tmp/spp-landlock-marker", F_OK) != 0);
    CHECK_INT(tr_sandbox_remove_tree(p.root), 0);
}

/* The same through the sandbox a run gets where it shares the service's
   uid and has no mount namespace (AWS Lambda), seccomp filter included. */
static void test_sandbox_applies_it_without_a_mount_namespace(void)
{
    int abi = abi_or_skip(__func__);
    if (!abi)
        return;
    struct tr_probe pr = {.seccomp = 1, .landlock = abi};
    struct tr_sandbox sb;
    char err[TR_ERRBUF_LEN];
    REQUIRE(tr_sandbox_init(&sb, &pr, err) == TR_OK);
    CHECK_INT(sb.landlock, abi);
    struct places p;
    REQUIRE(make_places(&p) == 0);
    const char *ro[] = {p.ro, NULL};
    sb.landlock_ro = ro;
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.nproc = 0;
    struct tr_launch l = {.exe = "/bin/true", .run_dir = p.run, .stdin_path = "/dev/null",
                          .stdout_path = "/dev/null", .stderr_path = "/dev/null",
                          .limits = &lim, .sandbox = &sb};
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        tr_sandbox_enter(&l, 0);
        _exit(attacks(&p));
    }
    CHECK_INT(child_status(pid), 0);
    CHECK_INT(tr_sandbox_remove_tree(p.root), 0);
    tr_sandbox_free(&sb);
}

static void test_when_the_sandbox_uses_it(void)
{
    struct tr_probe pr = {.landlock = 3};
    struct tr_sandbox sb;
    char err[TR_ERRBUF_LEN];
    REQUIRE(tr_sandbox_init(&sb, &pr, err) == TR_OK);
    CHECK_INT(sb.landlock, 3); /* one uid, no namespaces */
    pr.landlock_off = 1;
    REQUIRE(tr_sandbox_init(&sb, &pr, err) == TR_OK);
    CHECK_INT(sb.landlock, 0); /* forced off */
    pr.landlock_off = 0;
    pr.mountns = 1;
    REQUIRE(tr_sandbox_init(&sb, &pr, err) == TR_OK);
    CHECK_INT(sb.landlock, 0); /* a private mount namespace does the job */
    pr.mountns = 0;
    pr.landlock = 0;
    REQUIRE(tr_sandbox_init(&sb, &pr, err) == TR_OK);
    CHECK_INT(sb.landlock, 0); /* not offered */
}

static void test_probe_reports_and_carries_it(void)
{
    setenv(TR_LANDLOCK_ENV, "off", 1);
    CHECK(tr_landlock_forced_off());
    struct tr_probe pr, back;
    tr_probe_run(&pr);
    CHECK_INT(pr.landlock_off, 1);
    CHECK_INT(pr.landlock, tr_landlock_abi());
    unsetenv(TR_LANDLOCK_ENV);
    CHECK(!tr_landlock_forced_off());
    tr_probe_run(&pr);
    CHECK_INT(pr.landlock_off, 0);
    pr.landlock = 7;
    char text[TR_PROBE_TEXT_LEN], json[TR_PROBE_JSON_LEN];
    REQUIRE(tr_probe_encode(&pr, text, sizeof text) == TR_OK);
    REQUIRE(tr_probe_decode(text, &back) == TR_OK);
    CHECK_INT(back.landlock, 7);
    CHECK_INT(back.landlock_off, 0);
    CHECK(tr_probe_decode("v1 ptrace=0 pvm=0 seccomp=1 netns=0 mountns=0 pidns=0 userns=0 "
                          "setuid=0 valgrind=1 lloff=0 landlock=x",
                          &back) == TR_ERR_BADREQ);
    pr.mountns = 0;
    pr.landlock_off = 0;
    tr_probe_json(&pr, 1, json, sizeof json);
    CHECK(strstr(json, "\"landlock\":true") != NULL);
    CHECK(strstr(json, "\"landlockAbi\":7") != NULL);
}

TEST_MAIN(TEST(test_restrict_confines_to_the_run_directory),
          TEST(test_sandbox_applies_it_without_a_mount_namespace),
          TEST(test_when_the_sandbox_uses_it), TEST(test_probe_reports_and_carries_it))
