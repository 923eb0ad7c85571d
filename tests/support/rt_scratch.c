/*
 * rt_scratch.c - see rt_scratch.h.
 */
#include "tests/support/rt_scratch.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/run.h"

int rt_scratch_find_rt(void)
{
    char rt[PATH_MAX];
    if (!getenv("SPP_RT_OBJ") && realpath("build/rt/sppmon.o", rt))
        setenv("SPP_RT_OBJ", rt, 1);
    return tr_run_rt_obj() && access(tr_run_rt_obj(), R_OK) == 0 ? 0 : -1;
}

int rt_scratch_request(struct tr_request *r, const char *path)
{
    tr_request_init(r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    buf[n] = '\0';
    r->code = buf;
    r->code_len = n;
    size_t len = strlen(path);
    r->lang = len > 2 && strcmp(path + len - 2, ".c") == 0 ? TR_LANG_C : TR_LANG_CXX;
    return 0;
}

int rt_scratch_each_program(const char *dir, int (*fn)(const char *path))
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort), sum = 0;
    for (int i = 0; i < n; i++) {
        const char *d = names[i]->d_name;
        size_t len = strlen(d);
        if ((len > 2 && strcmp(d + len - 2, ".c") == 0) ||
            (len > 4 && strcmp(d + len - 4, ".cpp") == 0)) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, d);
            sum += fn(path);
        }
        free(names[i]);
    }
    free(names);
    return sum;
}

int rt_scratch_make(char *root, size_t cap, const char *prefix)
{
    int n = snprintf(root, cap, "/tmp/%s-XXXXXX", prefix);
    if (n < 0 || (size_t)n >= cap || !mkdtemp(root))
        return -1;
    return chmod(root, 0755);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    (void)f;
    return remove(path);
}

void rt_scratch_remove(const char *root)
{
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
