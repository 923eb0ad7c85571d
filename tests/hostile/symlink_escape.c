// HOSTILE plant symlinks to /etc and / in the run directory and write through them | expect ok | needs mountns
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    symlink("/etc", "etc");
    symlink("/", "root");
    const char *paths[] = {"etc/spp-hostile-marker", "root/tmp/spp-hostile-marker"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "w");
        if (f) {
            fclose(f);
            printf("ESCAPED: wrote %s\n", paths[i]);
        } else {
            printf("%s: %s\n", paths[i], strerror(errno));
        }
    }
    return 0;
}
