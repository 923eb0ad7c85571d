// HOSTILE prctl(PR_SET_DUMPABLE, 0) and PR_SET_PTRACER: hide its memory from the tracer | expect ok | stdout y = 3
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(void)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)
        printf("ESCAPED: not dumpable any more\n");
    if (prctl(PR_SET_PTRACER, 1, 0, 0, 0) == 0)
        printf("ESCAPED: chose its own tracer\n");
    int y = 1;
    y += 2;
    printf("y = %d (%s)\n", y, strerror(errno));
    return 0;
}
