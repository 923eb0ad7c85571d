// HOSTILE close stdout and stderr, then write anyway and reopen fd 1 onto a file | expect ok
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("visible\n");
    fflush(stdout);
    close(1);
    close(2);
    printf("lost\n");
    int fd = open("out.txt", O_WRONLY | O_CREAT, 0644);
    dprintf(fd, "fd %d\n", fd);
    int x = 5;
    x *= 2;
    return x == 10 ? 0 : 1;
}
