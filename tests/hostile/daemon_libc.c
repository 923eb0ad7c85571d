// HOSTILE daemon(3) then sleep: a detached background process outliving the tracer | expect ok | alone
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    puts("going to the background");
    fflush(stdout);
    if (fork() == 0) {
        if (daemon(1, 0) == 0)
            sleep(1000);
        _exit(0);
    }
    return 0;
}
