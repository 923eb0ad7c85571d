// HOSTILE hard-link /etc/shadow into the run directory so the clean-up or a reader touches it | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    if (link("/etc/shadow", "shadow") == 0)
        printf("ESCAPED: linked /etc/shadow\n");
    else
        printf("link: %s\n", strerror(errno));
    if (link("/etc/passwd", "passwd") == 0)
        printf("ESCAPED: linked /etc/passwd\n");
    return 0;
}
