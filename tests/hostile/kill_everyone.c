// HOSTILE kill(-1, SIGKILL): every process this user may signal | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    if (kill(-1, SIGKILL) == 0)
        printf("ESCAPED: kill(-1) was allowed\n");
    else
        printf("kill(-1): %s\n", strerror(errno));
    return 0;
}
