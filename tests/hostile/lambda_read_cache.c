// HOSTILE search every file under the temporary directory (..) for an earlier request's output: the cache, run directories | expect ok | needs mountns
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* stdin: the text to look for (the first user's secret), so this source
   never holds it. "FOUND" is always a failure: where the files can be
   read (no mount namespace, no Landlock) they must show nothing. */
static char self[PATH_MAX], secret[128] = "spp-first-user-";
static char buf[1 << 20];

static int visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    char real[PATH_MAX];
    if (type != FTW_F || !realpath(path, real) || strncmp(real, self, strlen(self)) == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    printf("read %s\n", path);
    if (n > 0 && memmem(buf, (size_t)n, secret, strlen(secret)))
        printf("FOUND the secret in %s\n", path);
    return 0;
}

int main(void)
{
    char line[100];
    if (scanf("%99s", line) == 1)
        snprintf(secret, sizeof secret, "%s", line);
    else
        strcat(secret, "secret");
    if (!getcwd(self, sizeof self))
        return 1;
    if (nftw("..", visit, 16, FTW_PHYS) != 0)
        printf("cannot walk ..\n");
    return 0;
}
