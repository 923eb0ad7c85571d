// HOSTILE make the kernel signal another pid: F_SETOWN/F_SETSIG on a pipe, then write to it | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 1;
    if (fcntl(p[0], F_SETOWN, 1) == 0)
        printf("ESCAPED: F_SETOWN to pid 1 accepted\n");
    else
        printf("F_SETOWN: %s\n", strerror(errno));
    if (fcntl(p[0], F_SETSIG, SIGKILL) == 0)
        printf("ESCAPED: F_SETSIG accepted\n");
    else
        printf("F_SETSIG: %s\n", strerror(errno));
    return 0;
}
