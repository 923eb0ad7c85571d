// HOSTILE leave ten children sleeping after main returns (they must not outlive the run) | expect ok | alone
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 10; i++)
        if (fork() == 0) {
            sleep(1000);
            _exit(0);
        }
    puts("parent returns, children sleep");
    return 0;
}
