// HOSTILE connect to 127.0.0.1 (the Lambda Runtime API on 9001, serve, common ports) | expect ok
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int ports[] = {9001, 3000, 8080, 80, 22, 2024, 5000};
    for (int i = 0; i < 7; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) {
            printf("socket: %s\n", strerror(errno));
            continue;
        }
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(ports[i])};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
            printf("ESCAPED: connected to 127.0.0.1:%d\n", ports[i]);
        else
            printf("127.0.0.1:%d: %s\n", ports[i], strerror(errno));
        close(s);
    }
    return 0;
}
