// HOSTILE block every signal (SIGTRAP too) with sigprocmask and pthread_sigmask, then go on: tracing must go on | expect ok | stdout blocked 2
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    int n = 0;
    n++;
    n++;
    printf("blocked %d\n", n);
    return 0;
}
