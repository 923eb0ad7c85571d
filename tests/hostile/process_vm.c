// HOSTILE process_vm_readv/writev into other processes (read the tracer's memory without ptrace) | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    char buf[16];
    int hits = 0;
    for (pid_t pid = 1; pid < 200; pid++) {
        if (pid == getpid())
            continue;
        struct iovec l = {buf, sizeof buf}, r = {(void *)0x400000, sizeof buf};
        if (process_vm_readv(pid, &l, 1, &r, 1, 0) > 0) {
            printf("ESCAPED: read memory of %d\n", pid);
            hits++;
        }
    }
    printf("process_vm_readv: %s\n", hits ? "worked" : strerror(errno));
    return 0;
}
