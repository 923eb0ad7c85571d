// HOSTILE walk every /proc/<pid>/environ and cmdline it can see, hunting secrets | expect ok | valgrind ok,output_limit,step_limit | nopidns output_limit,step_limit
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int scan(const char *path)
{
    /* filled, as is path below: never-written chars would each show
       "<UNINITIALIZED>" and a NUL "\u0000", and test_whole.py /
       test_lambda_sweep.py want this trace within its 4 MiB budget */
    char buf[16384];
    memset(buf, ' ', sizeof buf);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t k = 0; k < n; k += strlen(buf + k) + 1)
        if (strstr(buf + k, "AWS_SECRET") || strstr(buf + k, "AWS_SESSION") ||
            strstr(buf + k, "SPP_TEST_SECRET"))
            printf("ESCAPED: %s holds %.24s\n", path, buf + k);
    return 1;
}

int main(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int seen = 0, readable = 0;
    char path[300];
    memset(path, ' ', sizeof path);
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
            continue;
        seen++;
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        readable += scan(path);
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        scan(path);
    }
    printf("processes seen %d, environ readable %d\n", seen, readable);
    return 0;
}
