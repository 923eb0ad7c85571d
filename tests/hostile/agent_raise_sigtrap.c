// HOSTILE raise SIGTRAP itself (the signal of the agent engine's breakpoints): the program's own, so it dies of it | expect runtime_error | message Trace/breakpoint trap
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>

int main(void)
{
    int x = 1;
    printf("before\n");
    raise(SIGTRAP);
    x = 2;
    printf("after %d\n", x);
    return 0;
}
