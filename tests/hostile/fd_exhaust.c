// HOSTILE open descriptors until the limit (then keep going) | expect ok
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

int main(void)
{
    int n = 0;
    while (n < 100000 && open("/dev/null", O_RDONLY) >= 0)
        n++;
    printf("opened %d descriptors\n", n);
    if (n > 1000)
        printf("ESCAPED: no descriptor limit\n");
    return 0;
}
