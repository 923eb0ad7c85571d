// HOSTILE write forged packets into the agent engine's channel (fd 3): garbage, a stop with a bad signal number, an oversized one - the tracer must not believe them | expect ok,tracer_error
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
    char junk[300];
    memset(junk, 0x41, sizeof junk);
    send(3, junk, 7, MSG_NOSIGNAL);
    uint32_t stop[60];
    memset(stop, 0, sizeof stop);
    stop[0] = 0x41505053u; /* the agent's magic */
    stop[1] = 2;           /* a stop */
    stop[2] = 999;         /* no such signal */
    send(3, stop, sizeof stop, MSG_NOSIGNAL);
    char big[100000];
    memset(big, 0, sizeof big);
    memcpy(big, stop, 8);
    send(3, big, sizeof big, MSG_NOSIGNAL);
    int x = 1;
    x++;
    printf("forged %d\n", x);
    return 0;
}
