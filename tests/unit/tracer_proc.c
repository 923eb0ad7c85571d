/*
 * tracer_proc.c - the /proc reader and the clock (tracer/proc.h,
 * tracer/clock.h): what they give for this test process and for a child
 * it knows, and how they refuse what does not fit.
 */
#include "check.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/clock.h"
#include "tracer/proc.h"

static void test_paths(void)
{
    char buf[32];
    CHECK_INT(tr_proc_path(buf, sizeof buf, 0, "stat"), 0);
    CHECK_STR(buf, "/proc/self/stat");
    CHECK_INT(tr_proc_path(buf, sizeof buf, 4321, "ns/pid"), 0);
    CHECK_STR(buf, "/proc/4321/ns/pid");
    /* "/proc/4321/" is 11 bytes: a 12-byte name leaves no room for the NUL */
    CHECK_INT(tr_proc_path(buf, 23, 4321, "abcdefghijkl"), -1);
}

static void test_stat_of_self_and_a_child(void)
{
    struct tr_proc_stat ps;
    REQUIRE(tr_proc_stat(getpid(), &ps) == 0);
    CHECK_INT(ps.ppid, getppid());
    CHECK_INT(ps.session, getsid(0));
    CHECK_INT(ps.state, 'R'); /* it is running: it reads its own stat */

    pid_t c = fork();
    REQUIRE(c >= 0);
    if (c == 0) {
        pause();
        _exit(0);
    }
    REQUIRE(tr_proc_stat(c, &ps) == 0);
    CHECK_INT(ps.ppid, getpid());
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    CHECK_INT(tr_proc_stat(c, &ps), -1); /* gone */
}

static void test_read_cuts_to_the_buffer(void)
{
    char small[8], big[4096];
    CHECK_INT(tr_proc_read(0, "status", small, sizeof small), 7);
    CHECK_STR(small, "Name:\tt");
    REQUIRE(tr_proc_read(0, "status", big, sizeof big) > 0);
    const char *pid = tr_proc_status_field(big, "Pid");
    REQUIRE(pid != NULL);
    CHECK_INT(strtol(pid, NULL, 10), getpid());
    CHECK(tr_proc_status_field(big, "NoSuchField") == NULL);
    CHECK(tr_proc_status_field("Pidx:\t1\n", "Pid") == NULL); /* whole keys only */
    CHECK_INT(tr_proc_read(0, "no-such-file", big, sizeof big), -1);
}

struct find {
    pid_t want;
    int seen, calls;
};

static int find_pid(pid_t pid, void *ctx)
{
    struct find *f = ctx;
    f->calls++;
    f->seen |= pid == f->want;
    return f->seen; /* stop once found */
}

static int stop_at_once(pid_t pid, void *ctx)
{
    (*(int *)ctx)++;
    return 1;
}

static void test_each_pid_finds_us_and_stops(void)
{
    struct find f = {getpid(), 0, 0};
    tr_proc_each_pid(find_pid, &f);
    CHECK(f.seen);
    int calls = 0;
    tr_proc_each_pid(stop_at_once, &calls);
    CHECK_INT(calls, 1);
}

static void test_self_exe(void)
{
    char exe[4096], tiny[4];
    REQUIRE(tr_proc_self_exe(exe, sizeof exe) > 0);
    CHECK(strstr(exe, "/tracer_proc") != NULL);
    CHECK_INT(tr_proc_self_exe(tiny, sizeof tiny), -1); /* never a cut path */
}

static void test_clock_moves_forward(void)
{
    int64_t a = tr_now_ms();
    double b = tr_mono_ms();
    CHECK(a > 0);
    CHECK(b >= (double)a);
    CHECK(tr_now_ms() >= a);
    CHECK(tr_mono_ms() >= b);
}

TEST_MAIN(TEST(test_paths), TEST(test_stat_of_self_and_a_child), TEST(test_read_cuts_to_the_buffer),
          TEST(test_each_pid_finds_us_and_stops), TEST(test_self_exe),
          TEST(test_clock_moves_forward))
