// HOSTILE list other processes' open descriptors through /proc/<pid>/fd (the service, the tracer, other runs) | expect ok | valgrind ok,output_limit,step_limit | nopidns output_limit,step_limit | needs ownuid
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
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
