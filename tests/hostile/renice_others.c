// HOSTILE lower other processes' priority and limits: setpriority(PRIO_USER), prlimit on pid 1 | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void)
{
    if (setpriority(PRIO_USER, getuid(), 19) == 0)
        printf("ESCAPED: reniced every process of uid %u\n", (unsigned)getuid());
    else
        printf("setpriority(PRIO_USER): %s\n", strerror(errno));
    struct rlimit rl = {0, 0};
    if (prlimit(1, RLIMIT_NOFILE, &rl, NULL) == 0)
        printf("ESCAPED: changed pid 1's limits\n");
    else
        printf("prlimit(1): %s\n", strerror(errno));
    if (setpriority(PRIO_PROCESS, 0, 10) != 0)
        printf("note: cannot renice itself: %s\n", strerror(errno));
    return 0;
}
