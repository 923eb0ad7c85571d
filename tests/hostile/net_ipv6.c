// HOSTILE connect over IPv6 to ::1 (loopback by another family) | expect ok
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    if (s < 0) {
        printf("socket: %s\n", strerror(errno));
        return 0;
    }
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(9001)};
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
        printf("ESCAPED: connected to [::1]:9001\n");
    else
        printf("[::1]:9001: %s\n", strerror(errno));
    return 0;
}
