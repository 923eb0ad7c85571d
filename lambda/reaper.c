/*
 * reaper.c - orphans and leftovers of runs, for serve and the bootstrap
 * (see reaper.h). The sweeping itself is the tracer's (tr_sandbox_*); this
 * adds the set of children we own and the run root.
 */
#include "lambda/reaper.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/sandbox.h"

#define OWNED_MAX 1024 /* tracers running at once: serve allows 256 workers */

struct lam_reaper {
    pthread_mutex_t lock;
    pid_t owned[OWNED_MAX];
    size_t nowned;
    char *root;     /* the run root (lam_reaper_make_root), NULL: none */
    char **names;   /* its entries already said to be left, sorted */
    size_t nnames;
};

enum lam_err lam_reaper_open(struct lam_reaper **out, char *errbuf)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return lam_err_set(errbuf, LAM_ERR_SYS, "prctl(PR_SET_CHILD_SUBREAPER): %s",
                           strerror(errno));
    struct lam_reaper *r = calloc(1, sizeof *r);
    if (!r)
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return LAM_OK;
}

static void free_names(struct lam_reaper *r)
{
    for (size_t i = 0; i < r->nnames; i++)
        free(r->names[i]);
    free(r->names);
    r->names = NULL;
    r->nnames = 0;
}

void lam_reaper_close(struct lam_reaper *r)
{
    if (!r)
        return;
    free_names(r);
    if (r->root)
        tr_sandbox_remove_tree(r->root); /* what is left was said after its run */
    free(r->root);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void lam_reaper_lock(struct lam_reaper *r)
{
    pthread_mutex_lock(&r->lock);
}

void lam_reaper_own(struct lam_reaper *r, pid_t pid)
{
    /* Full: the sweep may take this tracer for an orphan once it runs, a
       failed run rather than a leak. Cannot happen with <= 256 workers. */
    if (pid > 0 && r->nowned < OWNED_MAX)
        r->owned[r->nowned++] = pid;
}

void lam_reaper_unlock(struct lam_reaper *r)
{
    pthread_mutex_unlock(&r->lock);
}

void lam_reaper_disown(struct lam_reaper *r, pid_t pid)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->nowned; i++) {
        if (r->owned[i] == pid) {
            r->owned[i] = r->owned[--r->nowned];
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
}

int lam_reaper_sweep(struct lam_reaper *r)
{
    pthread_mutex_lock(&r->lock);
    int n = tr_sandbox_sweep_children(r->owned, r->nowned);
    pthread_mutex_unlock(&r->lock);
    return n;
}

void lam_reaper_shutdown(struct lam_reaper *r)
{
    pthread_mutex_lock(&r->lock); /* no tracer is spawned meanwhile */
    tr_sandbox_sweep_children(NULL, 0);
    if (r->root)
        tr_sandbox_remove_tree(r->root);
    pthread_mutex_unlock(&r->lock);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (without . and ..), malloc'd and sorted. */
static enum lam_err list_dir(const char *dir, char ***out, size_t *n, char *errbuf)
{
    DIR *d = opendir(dir);
    if (!d)
        return lam_err_set(errbuf, LAM_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
    char **v = NULL;
    size_t k = 0, cap = 0;
    struct dirent *e;
    enum lam_err rc = LAM_OK;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (k == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = LAM_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        if (!(v[k] = strdup(e->d_name))) {
            rc = LAM_ERR_NOMEM;
            break;
        }
        k++;
    }
    closedir(d);
    if (rc != LAM_OK) {
        for (size_t i = 0; i < k; i++)
            free(v[i]);
        free(v);
        return lam_err_set(errbuf, rc, "out of memory listing %s", dir);
    }
    if (k)
        qsort(v, k, sizeof *v, cmp_name);
    *out = v;
    *n = k;
    return LAM_OK;
}

enum lam_err lam_reaper_make_root(struct lam_reaper *r, const char *parent, char *errbuf)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/" LAM_RUN_ROOT_PREFIX "XXXXXX", parent);
    if (r->root)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "the run root is made once");
    if (parent[0] != '/' || n < 0 || (size_t)n >= sizeof path)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "the temporary directory must be an "
                           "absolute path shorter than %d bytes: %.200s", PATH_MAX - 64, parent);
    if (!mkdtemp(path))
        return lam_err_set(errbuf, LAM_ERR_IO, "cannot create a directory in %.200s: %s",
                           parent, strerror(errno));
    /* mkdtemp made it 0700; a run with a uid of its own must pass it */
    if (chmod(path, 0711) != 0 || !(r->root = strdup(path))) {
        int e = errno;
        rmdir(path);
        return lam_err_set(errbuf, LAM_ERR_IO, "cannot prepare %.200s: %s", path, strerror(e));
    }
    return LAM_OK;
}

const char *lam_reaper_root(const struct lam_reaper *r)
{
    return r->root;
}

/* Add "path (why)" to note while there is room. */
static void add_note(char *note, const char *path, const char *why)
{
    size_t used = strlen(note);
    if (used + 8 >= LAM_ERRBUF_LEN)
        return;
    snprintf(note + used, LAM_ERRBUF_LEN - used, "%s%s (%s)", used ? ", " : "", path, why);
}

enum lam_err lam_reaper_clean_root(struct lam_reaper *r, int *removed, int *left, char *note)
{
    char **now = NULL;
    size_t n = 0;
    char path[PATH_MAX];
    *removed = *left = 0;
    note[0] = '\0';
    if (!r->root)
        return LAM_OK;
    enum lam_err rc = list_dir(r->root, &now, &n, note);
    if (rc != LAM_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const char *name = now[i];
        if (r->nnames && bsearch(&name, r->names, r->nnames, sizeof *r->names, cmp_name))
            continue; /* said before */
        int len = snprintf(path, sizeof path, "%s/%s", r->root, name);
        if (len < 0 || (size_t)len >= sizeof path || tr_sandbox_remove_tree(path) != 0) {
            (*left)++;
            add_note(note, path, "cannot be removed: left alone");
        } else {
            (*removed)++;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(now[i]);
    free(now);
    /* What was left is known now: said once, not after every run. */
    if (*left) {
        char ignored[LAM_ERRBUF_LEN];
        free_names(r);
        if (list_dir(r->root, &r->names, &r->nnames, ignored) != LAM_OK) {
            r->names = NULL;
            r->nnames = 0;
        }
    }
    return LAM_OK;
}
