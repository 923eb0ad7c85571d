// HOSTILE unbounded recursion with 1 MiB frames (stack limit) | expect runtime_error | message stack overflow
#define _GNU_SOURCE
#include <alloca.h>
#include <stdio.h>

static int down(int n)
{
    volatile char *frame = alloca(1 << 20);
    frame[0] = (char)n;
    return down(n + 1) + frame[0];
}

int main(void)
{
    printf("%d\n", down(0));
    return 0;
}
