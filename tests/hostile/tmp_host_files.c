// HOSTILE list and read what others left in /tmp, /var/tmp and /dev/shm (each run gets them empty) | expect ok | needs mountns
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The only entry a run may see in /tmp is the way down to its own
   directory; anything else is the host's (or another run's). */
int main(void)
{
    char cwd[PATH_MAX] = "";
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    const char *dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        size_t n = strlen(dirs[i]);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            size_t k = strlen(e->d_name);
            int own = !strncmp(cwd, dirs[i], n) && cwd[n] == '/' &&
                      !strncmp(cwd + n + 1, e->d_name, k) &&
                      (cwd[n + 1 + k] == '/' || cwd[n + 1 + k] == '\0');
            if (own)
                continue;
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name);
            FILE *f = fopen(path, "r");
            printf("ESCAPED: sees %s%s\n", path, f ? " and can read it" : "");
            if (f)
                fclose(f);
            if (++seen >= 5)
                break;
        }
        closedir(d);
    }
    printf("%d foreign entries\n", seen);
    return 0;
}
