// HOSTILE close every descriptor above 2 (the agent engine's channel among them), then go on | expect ok,runtime_error
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    for (int fd = 3; fd < 64; fd++)
        close(fd);
    int x = 1;
    x++;
    printf("closed %d\n", x);
    return 0;
}
