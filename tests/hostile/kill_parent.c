// HOSTILE SIGKILL the tracer (the parent) and pid 1 | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    pid_t targets[] = {getppid(), 1};
    for (int i = 0; i < 2; i++) {
        if (targets[i] <= 0 || targets[i] == getpid())
            continue;
        if (kill(targets[i], SIGKILL) == 0)
            printf("ESCAPED: killed %d\n", targets[i]);
        else
            printf("kill(%d): %s\n", targets[i], strerror(errno));
    }
    puts("still traced");
    return 0;
}
