// HOSTILE malloc(1 GiB) past the address-space limit, then use the NULL it got | expect memory_limit
#define _GNU_SOURCE
#include <stdlib.h>

int main(void)
{
    int *p = malloc(1ul << 30);
    p[0] = 1;
    return 0;
}
