// HOSTILE read stdin until EOF when no input was given (must be EOF at once, not a hang) | expect ok | stdout read 0 bytes
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    char buf[256];
    size_t n = 0, k;
    while ((k = fread(buf, 1, sizeof buf, stdin)) > 0)
        n += k;
    printf("read %zu bytes\n", n);
    return 0;
}
