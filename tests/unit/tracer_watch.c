/*
 * tracer_watch.c - the creation watch (tracer/sandbox_watch.h): a child
 * in the sandbox a run gets where it shares the service's uid without a
 * mount namespace or Landlock creates names in every way the watch
 * covers, outside its run directory and inside; meanwhile another process
 * (this test) writes in the same place. Closing the watch must remove
 * exactly what the child created outside its directory: not its run
 * directory's files (the tracer's business), not a file that existed
 * before (the child only opened it), not the other process's file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tracer/probe.h"
#include "tracer/sandbox.h"
#include "tracer/sandbox_watch.h"
#include "tracer/target.h"

static char root[64], run[96], out[96];

static int has(const char *dir, const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static int touch(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    return fd < 0 ? -1 : close(fd);
}

/* The run's process: every way to make a name, then tell the parent. */
static int wait_for(const char *dir, const char *name)
{
    for (int i = 0; i < 5000 && !has(dir, name); i++)
        usleep(1000);
    return has(dir, name) ? 0 : -1;
}

static int creator(void)
{
    char path[256], path2[256];
    int rc = 0;
    rc |= touch(out, "opened.txt");           /* open(O_CREAT) */
    rc |= touch(out, "existed.txt");          /* there before: not ours */
    rc |= touch(run, "own.txt");              /* its own directory */
    snprintf(path, sizeof path, "%s/made-dir", out);
    rc |= mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/made-dir/inner", out);
    rc |= mknod(path, S_IFIFO | 0600, 0);
    snprintf(path, sizeof path, "%s/link-out", out);
    rc |= symlink("/etc", path);
    snprintf(path, sizeof path, "%s/own.txt", run);
    snprintf(path2, sizeof path2, "%s/renamed.txt", out);
    rc |= link(path, path2) == 0 ? unlink(path2) : -1;
    rc |= rename(path, path2);
    /* relative to the working directory (the run directory) and "..": the
       relative name must be resolved as the process sees it */
    if (chdir(run) != 0)
        return 90;
    rc |= touch("../out", "relative.txt");
    /* through /proc/self (the caller's, not the tracer's) and through a
       dangling symlink in its own directory (open follows it) */
    rc |= touch("/proc/self/cwd/../out", "via-proc-self.txt");
    snprintf(path, sizeof path, "%s/via-dangling.txt", out);
    rc |= symlink(path, "dangle");
    rc |= touch(".", "dangle");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", out);
    rc |= s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0;
    /* openat2 hides its flags from a filter: refused */
    long r2 = syscall(SYS_openat2, AT_FDCWD, "x", NULL, 0);
    rc |= !(r2 < 0 && errno == ENOSYS);
    /* still running while the other process writes */
    if (wait_for(out, "extension.txt") != 0)
        return 91;
    return rc ? 1 : 0;
}

static void test_watch_removes_what_the_run_created(void)
{
    struct tr_probe pr = {.seccomp = 1, .notify = 1};
    if (!tr_watch_possible()) {
        printf("  no seccomp user notification here: not checked\n");
        return;
    }
    snprintf(root, sizeof root, "/tmp/spp-watch-test-XXXXXX");
    REQUIRE(mkdtemp(root) != NULL);
    snprintf(run, sizeof run, "%s/run", root);
    snprintf(out, sizeof out, "%s/out", root);
    REQUIRE(mkdir(run, 0700) == 0 && mkdir(out, 0700) == 0);
    REQUIRE(touch(out, "existed.txt") == 0);

    struct tr_sandbox sb;
    char err[TR_ERRBUF_LEN];
    struct tr_watch *w = NULL;
    REQUIRE(tr_sandbox_init(&sb, &pr, err) == TR_OK);
    REQUIRE(tr_watch_open(run, &w, err) == TR_OK);
    sb.watch = 1;
    sb.watch_sock = tr_watch_sock(w);
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.nproc = 0;
    struct tr_launch l = {.exe = "/bin/true", .run_dir = run, .stdin_path = "/dev/null",
                          .stdout_path = "/dev/null", .stderr_path = "/dev/null",
                          .limits = &lim, .sandbox = &sb};
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        tr_sandbox_enter(&l, 0);
        _exit(creator());
    }
    /* another process of the same uid writes there meanwhile */
    CHECK_INT(wait_for(out, "sock"), 0);
    CHECK_INT(touch(out, "extension.txt"), 0);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(has(out, "opened.txt") && has(out, "made-dir") && has(out, "sock"));
    int left = -1;
    char note[256];
    CHECK_INT(tr_watch_close(w, &left, note, sizeof note), 9); /* made-dir/inner too */
    CHECK_INT(left, 0);
    static const char *const gone[] = {"opened.txt", "made-dir", "link-out", "renamed.txt",
                                       "relative.txt", "sock", "via-proc-self.txt",
                                       "via-dangling.txt"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (has(out, gone[i])) {
            fprintf(stderr, "  left: %s\n", gone[i]);
            CHECK(0);
        }
    CHECK(has(out, "existed.txt"));
    CHECK(has(out, "extension.txt"));
    CHECK(access("/etc/passwd", F_OK) == 0);
    tr_sandbox_free(&sb);
    CHECK_INT(tr_sandbox_remove_tree(root), 0);
}

TEST_MAIN(TEST(test_watch_removes_what_the_run_created))
