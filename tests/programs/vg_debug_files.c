/* Lists the separate debuginfo files this process can see, with their
   sizes: under the Valgrind engine, what Valgrind itself was shown
   (targets/valgrind/vg_debuginfo.c). */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>

static int list(const char *path, const struct stat *st, int type, struct FTW *f) {
    return type == FTW_F ? printf("%s %lld\n", path, (long long)st->st_size) < 0 : 0;
}

int main(void) {
    nftw("/usr/lib/debug/.build-id", list, 8, FTW_PHYS);
    return 0;
}
