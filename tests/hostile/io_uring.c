// HOSTILE set up io_uring, which performs socket and file operations behind seccomp's back | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    unsigned char params[120];
    memset(params, 0, sizeof params);
    long fd = syscall(425 /* io_uring_setup */, 8, params);
    if (fd >= 0)
        printf("ESCAPED: io_uring instance %ld\n", fd);
    else
        printf("io_uring_setup: %s\n", strerror(errno));
    return 0;
}
