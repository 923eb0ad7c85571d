// HOSTILE install its own SIGSEGV and SIGTRAP handlers with sigaction, then crash: the handler runs as the program asked | expect ok,runtime_error | stdout handler ran
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)si; (void)ctx;
    static const char msg[] = "handler ran\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(4);
    _exit(3);
}

static void on_trap(int sig)
{
    (void)sig;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    signal(SIGTRAP, on_trap);
    int *p = NULL;
    printf("crashing\n");
    *p = 1;
    return 0;
}
