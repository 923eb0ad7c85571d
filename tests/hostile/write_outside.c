// HOSTILE write outside the run directory: /tmp, /var/tmp, /dev/shm, $HOME/.., the tracer's cache | expect ok | needs mountns
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char *paths[] = {"/tmp/spp-hostile-marker", "/var/tmp/spp-hostile-marker",
                           "/dev/shm/spp-hostile-marker", "../spp-hostile-marker",
                           "/root/spp-hostile-marker", "/etc/spp-hostile-marker"};
    for (int i = 0; i < 6; i++) {
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
