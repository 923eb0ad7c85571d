/*
 * proc.h - the one reader of /proc: paths, small files, the fields of a
 * status file, the list of processes. Everything read from /proc about
 * another process is that process's to shape (its comm may hold ')' or
 * newlines), so callers parse it defensively; these helpers only bound it.
 */
#ifndef SPP_TRACER_PROC_H
#define SPP_TRACER_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* "/proc/<pid>/<name>" into buf ("/proc/self/<name>" for pid 0). -1 when
   it does not fit. */
int tr_proc_path(char *buf, size_t len, pid_t pid, const char *name);

/* /proc/<pid>/<name> (pid 0: self) into buf, NUL-terminated: at most
   len - 1 bytes, the rest is cut (the files read here are small). Bytes
   read, or -1 when it cannot be opened or read. */
ssize_t tr_proc_read(pid_t pid, const char *name, char *buf, size_t len);

/* The text after "key:" in a /proc status file's text; NULL if absent. */
const char *tr_proc_status_field(const char *text, const char *key);

/* The leading fields of /proc/<pid>/stat. */
struct tr_proc_stat {
    char state; /* 'R', 'S', ..., 'Z' */
    long ppid, pgrp, session;
};

/* Reads /proc/<pid>/stat into *out (the fields after the comm, which may
   hold ')' itself). 0, or -1 when the process is gone or the text is not
   a stat line. */
int tr_proc_stat(pid_t pid, struct tr_proc_stat *out);

/* fn for each process in /proc (its numeric entries) until fn returns 1. */
void tr_proc_each_pid(int (*fn)(pid_t pid, void *ctx), void *ctx);

/* The path of this program's executable into buf, NUL-terminated; its
   length, or -1 when unknown or too long. */
ssize_t tr_proc_self_exe(char *buf, size_t len);

#endif
