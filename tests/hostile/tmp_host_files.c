// HOSTILE list and read what others left in /tmp, /var/tmp and /dev/shm (each run gets them empty) | expect ok | needs mountns
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a run may see there: the way down to its own directory and to the
   installation's files it needs (bound in from elsewhere: another device
   than the scratch directory's). Anything else on the scratch directory's
   own device that is not a bare directory leading on is the host's, or
   another request's. */
static int looked; /* bounded: the trace stays small whatever /tmp holds */
static int scan(DIR *d, const char *dir, dev_t dev, int depth, int pass);

/* Files first (pass 0), then down into directories (pass 1): a /tmp full
   of directories does not use up the budget before its files are seen. */
static int foreign(const char *dir, dev_t dev, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    for (int pass = 0; pass < 2; pass++, rewinddir(d))
        n += scan(d, dir, dev, depth, pass);
    closedir(d);
    return n;
}

static int scan(DIR *d, const char *dir, dev_t dev, int depth, int pass)
{
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 3 && ++looked < 60) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *path; /* malloc'd: no PATH_MAX array drawn at every step */
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            break;
        struct stat st;
        if (lstat(path, &st) != 0 || st.st_dev != dev) {
            free(path); /* bound in: the run's own directory or the installation */
            continue;
        }
        if (S_ISDIR(st.st_mode) || pass == 1) {
            if (S_ISDIR(st.st_mode) && pass == 1 && depth < 4)
                n += foreign(path, dev, depth + 1);
            free(path);
            continue;
        }
        FILE *f = fopen(path, "r");
        printf("ESCAPED: sees %s%s\n", path, f ? " and can read it" : "");
        if (f)
            fclose(f);
        free(path);
        n++;
    }
    return n;
}

int main(void)
{
    const char *dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (stat(dirs[i], &st) == 0)
            seen += foreign(dirs[i], st.st_dev, 0);
    }
    printf("%d foreign entries\n", seen);
    return 0;
}
