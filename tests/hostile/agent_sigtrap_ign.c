// HOSTILE ignore SIGTRAP (the agent engine's breakpoint signal), block it, then raise it: as under ptrace it ends the program, and the breakpoints up to there still worked | expect runtime_error | message Trace/breakpoint trap | stdout still traced 1
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>

int main(void)
{
    int n = 0;
    signal(SIGTRAP, SIG_IGN);
    sigset_t trap;
    sigemptyset(&trap);
    sigaddset(&trap, SIGTRAP);
    sigprocmask(SIG_BLOCK, &trap, NULL);
    n++;
    printf("still traced %d\n", n);
    raise(SIGTRAP);
    n++;
    printf("not reached %d\n", n);
    return 0;
}
