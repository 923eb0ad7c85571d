// HOSTILE unshare a user+mount namespace, mount tmpfs, chroot, setns (container-escape toolkit) | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(void)
{
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0)
        printf("ESCAPED: unshare worked\n");
    else
        printf("unshare: %s\n", strerror(errno));
    if (mount("none", "/tmp", "tmpfs", 0, NULL) == 0)
        printf("ESCAPED: mounted a tmpfs\n");
    else
        printf("mount: %s\n", strerror(errno));
    if (chroot(".") == 0)
        printf("ESCAPED: chroot worked\n");
    int fd = open("/proc/1/ns/mnt", O_RDONLY);
    if (fd >= 0 && setns(fd, 0) == 0)
        printf("ESCAPED: joined pid 1's mount namespace\n");
    return 0;
}
