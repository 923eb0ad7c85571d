// HOSTILE clone with CLONE_NEWUSER and CLONE_NEWNET to get namespaces (and root inside them) | expect ok
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
    long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        _exit(0);
    if (pid > 0) {
        printf("ESCAPED: child in new namespaces %ld\n", pid);
        waitpid((pid_t)pid, NULL, 0);
    } else {
        printf("clone(CLONE_NEWUSER): %s\n", strerror(errno));
    }
    return 0;
}
