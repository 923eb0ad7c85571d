// HOSTILE look for descriptors leaked by the tracer: its own fds above 2 and other processes' /proc/<pid>/fd | expect ok
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    for (int fd = 3; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            printf("ESCAPED: inherited descriptor %d\n", fd);
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300];
    while (d && (e = readdir(d)) != NULL) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%d/fd", pid);
        DIR *f = opendir(path);
        if (f) {
            printf("ESCAPED: can list %s\n", path);
            closedir(f);
        }
    }
    puts("done");
    return 0;
}
