// HOSTILE read the parent's (the tracer's) environment through /proc/<ppid>/environ | expect ok
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    char path[64], buf[8192];
    /* in a pid namespace the parent is outside: getppid() is 0; try the
       ancestors a program would guess too */
    int pids[] = {getppid(), 1, 2, 3};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/proc/%d/environ", pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) {
            printf("%s: cannot open\n", path);
            continue;
        }
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        for (size_t k = 0; k < n; k += strlen(buf + k) + 1)
            if (strstr(buf + k, "AWS_") || strstr(buf + k, "SECRET"))
                printf("ESCAPED: %s has %.20s\n", path, buf + k);
        printf("%s: %zu bytes\n", path, n);
    }
    return 0;
}
