// HOSTILE plant markers in /tmp, /var/tmp, /dev/shm, $HOME, the cwd and the temporary directory and look for an earlier request's | expect ok | needs mountns
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Submitted twice (stdin: a token naming the markers), the second run must
   find nothing of the first: "PERSISTED" is always a failure. Writing
   outside the run directory is an escape where a mount namespace or
   Landlock should stop it; elsewhere the tracer removes what it wrote. */
int main(void)
{
    /* the shared temporary directory: .., or above the Lambda bootstrap's
       own directory of runs when the run directory is in one; before path,
       which is big to draw at each step */
    char *cwd = getcwd(NULL, 0);
    const char *tmp = cwd && strstr(cwd, "/spp-bootstrap-") ? "../.." : "..";
    char token[32] = "default", path[6][256];
    if (scanf("%31[A-Za-z0-9-]", token) != 1)
        strcpy(token, "default");
    const char *home = getenv("HOME");
    snprintf(path[0], sizeof path[0], "/tmp/spp-hostile-persist-%s", token);
    snprintf(path[1], sizeof path[1], "/var/tmp/spp-hostile-persist-%s", token);
    snprintf(path[2], sizeof path[2], "/dev/shm/spp-hostile-persist-%s", token);
    snprintf(path[3], sizeof path[3], "%s/spp-hostile-persist-%s", tmp, token);
    snprintf(path[4], sizeof path[4], "%s/spp-hostile-persist-%s", home ? home : ".", token);
    snprintf(path[5], sizeof path[5], "spp-hostile-persist-%s", token);
    for (int i = 0; i < 6; i++)
        if (access(path[i], F_OK) == 0)
            printf("PERSISTED: %s is there from an earlier request\n", path[i]);
    for (int i = 0; i < 6; i++) {
        FILE *f = fopen(path[i], "w");
        if (!f) {
            printf("cannot write %s\n", path[i]);
            continue;
        }
        fputs("marker\n", f);
        fclose(f);
        /* the cwd and $HOME are the run directory: its own */
        printf("%s %s\n", i < 4 ? "ESCAPED: wrote" : "wrote its own", path[i]);
    }
    return 0;
}
