// HOSTILE leave a file in the temporary directory and run on while another process writes in the same shared /tmp (as a Lambda extension does) | expect ok | needs mountns
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* stdin: a token naming its file. The runtime must remove what this run
   wrote and nothing of what the other process wrote meanwhile, and serve
   the next request. */
int main(void)
{
    /* the shared temporary directory: .., or above the Lambda bootstrap's
       own directory of runs when the run directory is in one */
    char *cwd = getcwd(NULL, 0);
    const char *tmp = cwd && strstr(cwd, "/spp-bootstrap-") ? "../.." : "..";
    char token[32] = "default", path[128];
    if (scanf("%31[A-Za-z0-9-]", token) != 1)
        strcpy(token, "default");
    snprintf(path, sizeof path, "%s/spp-hostile-own-%s", tmp, token);
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
