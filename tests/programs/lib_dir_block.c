/* opendir allocates its DIR itself; readdir's dirent* points inside it.
   Reads entries until one sits at a whole number of dirents from the DIR's
   start (where a pointer inside a block could type all of it), in the
   first directory that has one. */
#include <dirent.h>
#include <stdlib.h>

int main(void)
{
    const char *dirs[] = {"/proc", "/usr/include", "/usr/lib", "/"};
    int *mine = malloc(4 * sizeof *mine);
    int *mid = mine + 2;
    mine = NULL;
    for (int k = 0; k < 4; k++) {
        DIR *d = opendir(dirs[k]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL)
            if (((char *)e - (char *)d) % sizeof *e == 0)
                return mid[0] * 0; /* here: d, e and mid all point into blocks */
        if (d)
            closedir(d);
    }
    return 1;
}
