// HOSTILE PTRACE_ATTACH/SEIZE to the parent and to low pids (take over the tracer) | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(void)
{
    int ok = 0;
    for (pid_t pid = 1; pid < 64; pid++) {
        if (pid == getpid())
            continue;
        if (ptrace(PTRACE_ATTACH, pid, 0, 0) == 0 || ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
            printf("ESCAPED: attached to %d\n", pid);
            ok = 1;
        }
    }
    if (getppid() > 0 && ptrace(PTRACE_ATTACH, getppid(), 0, 0) == 0)
        printf("ESCAPED: attached to the parent\n");
    printf("attach: %s\n", ok ? "worked" : strerror(errno));
    return 0;
}
