// HOSTILE write zeros over everything in the program's own .bss, where the agent engine keeps its breakpoints and signal state | expect ok,runtime_error
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

extern char __bss_start[], _end[];

int main(void)
{
    int x = 1;
    printf("wiping %ld bytes\n", (long)(_end - __bss_start));
    memset(__bss_start, 0, (size_t)(_end - __bss_start));
    x = 2;
    x = x + 1;
    return x == 3 ? 0 : 1;
}
