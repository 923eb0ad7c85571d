// HOSTILE open netlink, packet and raw sockets (routing tables, sniffing, crafted packets) | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_PACKET
#define AF_PACKET 17
#endif

int main(void)
{
    struct { const char *name; int domain, type, proto; } tries[] = {
        {"netlink", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE},
        {"packet", AF_PACKET, SOCK_RAW, 0},
        {"raw ip", AF_INET, SOCK_RAW, IPPROTO_ICMP},
        {"vsock", 40, SOCK_STREAM, 0},
    };
    for (int i = 0; i < 4; i++) {
        int s = socket(tries[i].domain, tries[i].type, tries[i].proto);
        if (s >= 0) {
            printf("ESCAPED: %s socket opened\n", tries[i].name);
            close(s);
        } else {
            printf("%s: %s\n", tries[i].name, strerror(errno));
        }
    }
    return 0;
}
