// HOSTILE PTRACE_TRACEME to detach from or confuse the tracer | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>

int main(void)
{
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
        printf("ESCAPED: PTRACE_TRACEME succeeded\n");
    else
        printf("PTRACE_TRACEME: %s\n", strerror(errno));
    int x = 41;
    x++;
    printf("x = %d\n", x);
    return 0;
}
