// HOSTILE signal other processes' threads with tkill/tgkill/rt_sigqueueinfo (bypassing kill) | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    int bad = 0;
    for (long pid = 1; pid < 64; pid++) {
        if (pid == getpid())
            continue;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        si.si_code = -1;
        if (syscall(SYS_tkill, pid, 0) == 0 || syscall(SYS_tgkill, pid, pid, 0) == 0 ||
            syscall(SYS_rt_sigqueueinfo, pid, 0, &si) == 0)
            bad++;
    }
    if (bad)
        printf("ESCAPED: could signal %d other processes\n", bad);
    else
        printf("all denied: %s\n", strerror(errno));
    return 0;
}
