// HOSTILE stop itself with SIGSTOP/SIGTSTP (a stopped tracee must not hang the tracer) | expect ok | stdout still running
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    raise(SIGSTOP);
    kill(getpid(), SIGTSTP);
    kill(0, SIGSTOP);
    printf("still running\n");
    return 0;
}
