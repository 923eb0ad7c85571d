// HOSTILE reach the cloud metadata service 169.254.169.254 (instance credentials) | expect ok
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
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s < 0) {
        printf("socket: %s\n", strerror(errno));
        return 0;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
    inet_pton(AF_INET, "169.254.169.254", &a.sin_addr);
    int rc = connect(s, (struct sockaddr *)&a, sizeof a);
    if (rc == 0 || errno == EINPROGRESS)
        printf("ESCAPED: a route to 169.254.169.254 exists (%s)\n", rc ? "in progress" : "up");
    else
        printf("169.254.169.254: %s\n", strerror(errno));
    return 0;
}
