// HOSTILE an int3 instruction in user code: must reach the program as its own SIGTRAP, not be taken for a breakpoint | expect runtime_error | message Trace/breakpoint trap
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    int x = 1;
    printf("before the trap\n");
    __asm__ volatile("int3");
    x = 2;
    printf("after the trap %d\n", x);
    return 0;
}
