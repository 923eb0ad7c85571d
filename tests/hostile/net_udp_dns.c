// HOSTILE send a UDP datagram to a public DNS server (exfiltration without TCP) | expect ok
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        printf("socket: %s\n", strerror(errno));
        return 0;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
    inet_pton(AF_INET, "8.8.8.8", &a.sin_addr);
    if (sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a) == 1)
        printf("ESCAPED: a datagram left the sandbox\n");
    else
        printf("sendto: %s\n", strerror(errno));
    return 0;
}
