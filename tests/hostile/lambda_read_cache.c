// HOSTILE search every file under the temporary directory (.., or ../.. past the bootstrap's own directory) for an earlier request's output: the cache, run directories | expect ok | needs mountns
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* stdin: the text to look for (the first user's secret), so this source
   never holds it. "FOUND" is always a failure: where the files can be
   read (no mount namespace, no Landlock) they must show nothing.
   Files are mapped, paths malloc'd: no big char array is drawn at every
   step, so the trace's size does not depend on what the directory holds. */
static char *self, secret[128] = "spp-first-user-";

static int visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)f;
    if (type != FTW_F || st->st_size <= 0)
        return 0;
    char *real = realpath(path, NULL);
    int mine = !real || strncmp(real, self, strlen(self)) == 0;
    free(real);
    if (mine)
        return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    size_t n = st->st_size < (1 << 20) ? (size_t)st->st_size : (size_t)1 << 20;
    void *text = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (text == MAP_FAILED)
        return 0;
    printf("read %s\n", path);
    if (memmem(text, n, secret, strlen(secret)))
        printf("FOUND the secret in %s\n", path);
    munmap(text, n);
    return 0;
}

int main(void)
{
    char line[100];
    if (scanf("%99s", line) == 1)
        snprintf(secret, sizeof secret, "%s", line);
    else
        strcat(secret, "secret");
    if (!(self = getcwd(NULL, 0)))
        return 1;
    /* the shared temporary directory: .., or above the Lambda bootstrap's
       own directory of runs when the run directory is in one */
    const char *tmp = strstr(self, "/spp-bootstrap-") ? "../.." : "..";
    if (nftw(tmp, visit, 16, FTW_PHYS) != 0)
        printf("cannot walk %s\n", tmp);
    return 0;
}
