/*
 * lambda_reaper.c - the front doors' clean-up (lambda/reaper.h): orphans
 * that come to the subreaper are killed unless owned; the run root is a
 * directory of its own that loses everything in it, whatever its modes,
 * while its parent (a shared /tmp) is never touched, whatever its entries
 * are named. Each test runs in a child: a subreaper is a process-wide
 * setting.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lambda/reaper.h"
#include "tracer/sandbox.h"

/* Run fn in a child; the child's check result is the test's. */
static void in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        fflush(NULL);
        _exit(check_failed_);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int alive(pid_t pid)
{
    return kill(pid, 0) == 0;
}

/* A grandchild left behind by a child that exits: it comes to us. Its pid
   through a pipe. */
static pid_t orphan(void)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t mid = fork();
    if (mid == 0) {
        pid_t g = fork();
        if (g == 0) {
            setsid();
            for (;;)
                pause();
        }
        if (write(p[1], &g, sizeof g) != sizeof g)
            _exit(1);
        _exit(0);
    }
    pid_t g = -1;
    if (read(p[0], &g, sizeof g) != sizeof g)
        g = -1;
    waitpid(mid, NULL, 0);
    close(p[0]);
    close(p[1]);
    return g;
}

static void sweep_body(void)
{
    struct lam_reaper *r;
    char err[LAM_ERRBUF_LEN];
    REQUIRE(lam_reaper_open(&r, err) == LAM_OK);
    /* an owned child (a tracer) survives the sweep */
    lam_reaper_lock(r);
    pid_t tracer = fork();
    if (tracer == 0) {
        for (;;)
            pause();
    }
    lam_reaper_own(r, tracer);
    lam_reaper_unlock(r);
    pid_t o = orphan();
    REQUIRE(o > 0);
    usleep(20000);
    CHECK(alive(o));
    CHECK_INT(lam_reaper_sweep(r), 1);
    CHECK(!alive(o));
    CHECK(alive(tracer));
    kill(tracer, SIGKILL);
    waitpid(tracer, NULL, 0);
    lam_reaper_disown(r, tracer);
    CHECK_INT(lam_reaper_sweep(r), 0);
    lam_reaper_close(r);
}

static void test_sweep_kills_orphans_not_owned_children(void)
{
    in_child(sweep_body);
}

static int make(const char *dir, const char *name, int is_dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (is_dir)
        return mkdir(path, 0700);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    return fd < 0 ? -1 : close(fd);
}

static int exists(const char *dir, const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static void clean_body(void)
{
    struct lam_reaper *r;
    char err[LAM_ERRBUF_LEN], dir[] = "/tmp/spp-reaper-test-XXXXXX", path[600], root[600];
    int removed = -1, left = -1;
    struct stat st;
    REQUIRE(mkdtemp(dir) != NULL);
    REQUIRE(lam_reaper_open(&r, err) == LAM_OK);
    CHECK(lam_reaper_root(r) == NULL);
    /* no root yet: nothing to do, nothing touched */
    CHECK_INT(lam_reaper_clean_root(r, &removed, &left, err), LAM_OK);
    CHECK_INT(removed + left, 0);
    REQUIRE(lam_reaper_make_root(r, dir, err) == LAM_OK);
    snprintf(root, sizeof root, "%s", lam_reaper_root(r));
    CHECK(strncmp(root, dir, strlen(dir)) == 0 &&
          strncmp(root + strlen(dir), "/" LAM_RUN_ROOT_PREFIX,
                  strlen("/" LAM_RUN_ROOT_PREFIX)) == 0);
    CHECK(lstat(root, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0711);
    CHECK_INT(lam_reaper_make_root(r, dir, err), LAM_ERR_INVALID_ARG);
    /* what a killed tracer leaves in its TMPDIR: its run directory, locked
       with chmod 000 by the program, and a temporary file; what others of
       the uid write meanwhile in the shared parent (a Lambda extension):
       a file and a directory named like run directories, a FIFO, a symlink */
    REQUIRE(make(root, "spp-run-abc123", 1) == 0);
    REQUIRE(make(root, "spp-run-abc123/prog", 0) == 0);
    REQUIRE(make(root, "vgdb-scratch", 0) == 0);
    snprintf(path, sizeof path, "%s/spp-run-abc123", root);
    chmod(path, 0);
    REQUIRE(make(dir, "spp-run-foreign-file", 0) == 0);
    REQUIRE(make(dir, "spp-run-foreign-dir", 1) == 0);
    REQUIRE(make(dir, "spp-run-foreign-dir/state", 0) == 0);
    snprintf(path, sizeof path, "%s/vgdb-pipe-from-vgdb-to-7-by-u-on-h", dir);
    REQUIRE(mkfifo(path, 0600) == 0);
    snprintf(path, sizeof path, "%s/escape", dir);
    REQUIRE(symlink("/etc", path) == 0);
    CHECK_INT(lam_reaper_clean_root(r, &removed, &left, err), LAM_OK);
    CHECK_INT(removed, 2);
    CHECK_INT(left, 0);
    CHECK(!exists(root, "spp-run-abc123"));
    CHECK(!exists(root, "vgdb-scratch"));
    CHECK(exists(dir, "spp-run-foreign-file"));
    CHECK(exists(dir, "spp-run-foreign-dir/state"));
    CHECK(exists(dir, "vgdb-pipe-from-vgdb-to-7-by-u-on-h"));
    CHECK(exists(dir, "escape"));
    CHECK(access("/etc/passwd", F_OK) == 0);
    /* nothing new: nothing removed */
    CHECK_INT(lam_reaper_clean_root(r, &removed, &left, err), LAM_OK);
    CHECK_INT(removed + left, 0);
    /* an entry that cannot be removed (a mount point, as root) is left
       alone and said once, never an error */
    if (geteuid() == 0 && make(root, "spp-run-stuck", 1) == 0) {
        snprintf(path, sizeof path, "%s/spp-run-stuck", root);
        if (mount("none", path, "tmpfs", 0, "size=64k") == 0) {
            CHECK_INT(lam_reaper_clean_root(r, &removed, &left, err), LAM_OK);
            CHECK_INT(left, 1);
            CHECK(strstr(err, "spp-run-stuck (cannot be removed: left alone)") != NULL);
            CHECK_INT(lam_reaper_clean_root(r, &removed, &left, err), LAM_OK);
            CHECK_INT(left, 0);
            umount2(path, MNT_DETACH);
        }
    }
    /* closing removes the root, and only it */
    lam_reaper_close(r);
    CHECK(lstat(root, &st) != 0 && errno == ENOENT);
    CHECK(exists(dir, "spp-run-foreign-file"));
    CHECK(exists(dir, "spp-run-foreign-dir/state"));
    CHECK_INT(tr_sandbox_remove_tree(dir), 0);
}

static void test_run_root_is_emptied_and_nothing_beside_it(void)
{
    in_child(clean_body);
}

TEST_MAIN(TEST(test_sweep_kills_orphans_not_owned_children),
          TEST(test_run_root_is_emptied_and_nothing_beside_it))
