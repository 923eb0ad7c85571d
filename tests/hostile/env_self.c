// HOSTILE read its own environment (environ and /proc/self/environ) looking for AWS keys | expect ok
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

extern char **environ;

static void check(const char *where, const char *entry)
{
    printf("%s: %s\n", where, entry);
    if (strstr(entry, "AWS_") || strstr(entry, "SECRET") || strstr(entry, "TOKEN"))
        printf("ESCAPED: a credential variable is visible in %s\n", where);
}

int main(void)
{
    for (char **e = environ; *e; e++)
        check("environ", *e);
    FILE *f = fopen("/proc/self/environ", "r");
    if (f) {
        char buf[4096];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
            check("/proc/self/environ", buf + i);
        fclose(f);
    }
    return 0;
}
