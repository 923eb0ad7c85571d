// HOSTILE chmod 000 its run directory and a subdirectory full of files (clean-up must still work) | expect ok
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    mkdir("locked", 0700);
    FILE *f = fopen("locked/inner.txt", "w");
    if (f) {
        fputs("x\n", f);
        fclose(f);
    }
    chmod("locked/inner.txt", 0);
    chmod("locked", 0);
    chmod(".", 0);
    puts("locked everything");
    return 0;
}
