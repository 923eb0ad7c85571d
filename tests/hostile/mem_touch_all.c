// HOSTILE allocate 64 MiB blocks and touch every page until malloc fails, then exit normally | expect memory_limit
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    int n = 0;
    for (;;) {
        char *p = malloc(64 << 20);
        if (!p)
            break;
        memset(p, 1, 64 << 20);
        n++;
    }
    printf("got %d blocks\n", n);
    return 0;
}
