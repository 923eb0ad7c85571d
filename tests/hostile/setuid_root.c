// HOSTILE become root: setuid(0), setresuid, capset, and run a setuid binary | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    uid_t before = getuid();
    int r1 = setuid(0), e1 = errno;
    int r2 = setresuid(0, 0, 0), e2 = errno;
    if (before != 0 && getuid() == 0)
        printf("ESCAPED: became root\n");
    printf("uid %u -> %u (setuid %d %s, setresuid %d %s)\n", (unsigned)before,
           (unsigned)getuid(), r1, strerror(e1), r2, strerror(e2));
    return 0;
}
