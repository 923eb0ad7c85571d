// HOSTILE open /proc/<pid>/mem of the tracer and every other process to read or patch it | expect ok | valgrind ok,output_limit,step_limit | nopidns output_limit,step_limit | needs ownuid
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300];
    int tried = 0;
    while (d && (e = readdir(d)) != NULL) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        tried++;
        snprintf(path, sizeof path, "/proc/%d/mem", pid);
        int fd = open(path, O_RDWR);
        if (fd < 0)
            fd = open(path, O_RDONLY);
        if (fd >= 0) {
            printf("ESCAPED: opened %s\n", path);
            close(fd);
        }
    }
    printf("tried %d processes\n", tried);
    return 0;
}
