// HOSTILE leave a file in .. and run on while another process writes in the same shared /tmp (as a Lambda extension does) | expect ok | needs mountns
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

/* stdin: a token naming its file. The runtime must remove what this run
   wrote and nothing of what the other process wrote meanwhile, and serve
   the next request. */
int main(void)
{
    char token[32] = "default", path[128];
    if (scanf("%31[A-Za-z0-9-]", token) != 1)
        strcpy(token, "default");
    snprintf(path, sizeof path, "../spp-hostile-own-%s", token);
    FILE *f = fopen(path, "w");
    if (f) {
        fclose(f);
        printf("ESCAPED: wrote %s\n", path);
    } else {
        printf("cannot write %s\n", path);
    }
    struct timespec ts = {2, 0};
    nanosleep(&ts, NULL);
    printf("done\n");
    return 0;
}
