/*
 * sandbox_watch.h - knowing what a run created outside its directory,
 * where nothing stops it from writing there: it shares the service's uid
 * and has neither a private mount namespace nor Landlock (AWS Lambda on a
 * kernel without Landlock, or with SPP_LANDLOCK=off).
 *
 * Every process of the run loads a seccomp filter that reports each call
 * that makes a new name (open/openat with O_CREAT, creat, mkdir, mknod,
 * symlink, link, rename and their *at forms, bind of a path socket) to a
 * watcher thread in the tracer (SECCOMP_RET_USER_NOTIF; openat2, whose
 * flags a filter cannot see, answers ENOSYS). The watcher resolves the
 * name as the process sees it and, when it lies outside the run directory
 * and does not exist yet, records it; then the call goes on. When the run
 * is over, what was recorded and exists is removed: what the run made in
 * /tmp, /var/tmp, /dev/shm, $HOME or "..", and nothing another process
 * (a Lambda extension sharing /tmp) wrote meanwhile.
 *
 * Limit: the kernel reads the name again after the watcher did, so a
 * program that rewrites the name from a second thread in between can
 * create one name unrecorded. Landlock has no such gap and is used
 * wherever the kernel offers it.
 */
#ifndef SPP_TRACER_SANDBOX_WATCH_H
#define SPP_TRACER_SANDBOX_WATCH_H

#include <stddef.h>

#include "tracer/err.h"

#define TR_WATCH_PATHS_MAX 4096 /* names one run may create outside its directory */

struct tr_watch;

/* Start watching for a run whose directory is run_dir (its files are its
   own business: never recorded). The caller must be the run's only
   launcher; children find the watcher through tr_watch_sock. */
enum tr_err tr_watch_open(const char *run_dir, struct tr_watch **out, char *errbuf) TR_WUR;

/* The socket a launched child sends its filter's listener over (struct
   tr_sandbox's watch_sock). */
int tr_watch_sock(const struct tr_watch *w);

/* In the child between fork and exec (async-signal-safe): load the
   reporting filter and hand its listener to the watcher over sock (which
   is then closed). Sets no_new_privs. 0, or -1 with errno. */
int tr_watch_install(int sock);

/* After every process of the run is gone: stop watching, remove what the
   run created outside its directory. Returns how many names were removed;
   *left counts those that could not be (or were past TR_WATCH_PATHS_MAX),
   note (len bytes) names the first few. NULL ok (returns 0). */
int tr_watch_close(struct tr_watch *w, int *left, char *note, size_t len);

/* Whether this process could install such a filter (for the probe). */
int tr_watch_possible(void);

#endif
