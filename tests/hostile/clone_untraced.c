// HOSTILE clone(CLONE_UNTRACED) to run a child the tracer cannot see | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        sleep(1000);
        _exit(0);
    }
    if (pid > 0)
        printf("ESCAPED: untraced child %ld\n", pid);
    else
        printf("clone(CLONE_UNTRACED): %s\n", strerror(errno));
    return 0;
}
