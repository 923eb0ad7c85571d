/*
 * proc.c - reading /proc (proc.h).
 */
#include "tracer/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tr_proc_path(char *buf, size_t len, pid_t pid, const char *name)
{
    int n = pid ? snprintf(buf, len, "/proc/%d/%s", (int)pid, name)
                : snprintf(buf, len, "/proc/self/%s", name);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

ssize_t tr_proc_read(pid_t pid, const char *name, char *buf, size_t len)
{
    char path[96];
    if (len == 0 || tr_proc_path(path, sizeof path, pid, name) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

const char *tr_proc_status_field(const char *text, const char *key)
{
    size_t k = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (strncmp(l, key, k) == 0 && l[k] == ':')
            return l + k + 1;
    return NULL;
}

int tr_proc_stat(pid_t pid, struct tr_proc_stat *out)
{
    char st[512];
    if (tr_proc_read(pid, "stat", st, sizeof st) <= 0)
        return -1;
    /* "pid (comm) state ppid pgrp session ...": the last ')' ends comm */
    const char *q = strrchr(st, ')');
    struct tr_proc_stat ps;
    if (!q || sscanf(q + 1, " %c %ld %ld %ld", &ps.state, &ps.ppid, &ps.pgrp, &ps.session) != 4)
        return -1;
    *out = ps;
    return 0;
}

void tr_proc_each_pid(int (*fn)(pid_t pid, void *ctx), void *ctx)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        long p = strtol(e->d_name, &end, 10);
        if (*end == '\0' && fn((pid_t)p, ctx))
            break;
    }
    closedir(d);
}

ssize_t tr_proc_self_exe(char *buf, size_t len)
{
    if (len < 2)
        return -1;
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0 || (size_t)n >= len - 1)
        return -1; /* unknown, or possibly cut */
    buf[n] = '\0';
    return n;
}
