// HOSTILE block in a system call forever, ignoring SIGTERM and SIGXCPU | expect time_limit
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>

int main(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGXCPU, SIG_IGN);
    for (;;)
        pause();
}
