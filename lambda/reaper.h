/*
 * reaper.h - the long-lived front doors' side of "nothing outlives a run".
 *
 * The tracer kills and reaps what its run started (tracer/sandbox.h: a pid
 * namespace, or a subreaper sweep). Two things are left for serve and the
 * Lambda bootstrap: a tracer the handler had to kill (time limit, shutdown)
 * cannot sweep, and where there are no pid namespaces (AWS Lambda) what it
 * started would be re-parented past it. So the front door is a child
 * subreaper too, knows which of its children are tracers it spawned (the
 * "owned" set), and after each run kills and reaps every other child. The
 * bootstrap also removes the run directories a killed tracer left in its
 * temporary directory (Lambda keeps /tmp between warm invocations), and
 * nothing else there: other processes share it.
 *
 * Thread-safe: serve's workers share one reaper. A worker holds the lock
 * from spawning a tracer until it is in the owned set, so a concurrent
 * sweep never takes a fresh tracer for an orphan.
 */
#ifndef SPP_LAMBDA_REAPER_H
#define SPP_LAMBDA_REAPER_H

#include <stddef.h>
#include <sys/types.h>

#include "lambda/err.h"

struct lam_reaper;

/* Makes this process a child subreaper. Free with lam_reaper_close. */
enum lam_err lam_reaper_open(struct lam_reaper **out, char *errbuf) LAM_WUR;
void lam_reaper_close(struct lam_reaper *r); /* NULL ok */

/* Spawning an owned child: lock, spawn, lam_reaper_own (even when the spawn
   failed: pid 0 is ignored), unlock. */
void lam_reaper_lock(struct lam_reaper *r);
void lam_reaper_own(struct lam_reaper *r, pid_t pid); /* lock held */
void lam_reaper_unlock(struct lam_reaper *r);
/* After the owner reaped it. */
void lam_reaper_disown(struct lam_reaper *r, pid_t pid);

/* SIGKILL and reap every child that is not owned (orphans adopted as
   subreaper, and their children in later rounds). Returns how many were
   killed, -1 when some survived every round. */
int lam_reaper_sweep(struct lam_reaper *r);

/* Remember what is in dir now (names), so lam_reaper_clean_dir can tell
   what appeared later. keep is one more entry never removed (the cache
   directory, when it lives in dir); NULL: none. */
enum lam_err lam_reaper_watch_dir(struct lam_reaper *r, const char *dir, const char *keep,
                                  char *errbuf) LAM_WUR;
/* After an invocation: remove the run directories that appeared in the
   watched directory since the last look (directories named
   TR_RUN_DIR_PREFIX..., owned by us: what a killed tracer left), whatever
   their modes. Anything else new there is another process's (a Lambda
   extension shares /tmp; a run's own files cannot get there: Landlock, or
   the tracer's creation watch) and is left alone, as is what cannot be
   removed: *left counts those, note (LAM_ERRBUF_LEN) names the first few.
   Each new entry is counted once. LAM_OK unless the directory cannot be
   listed - never because of an entry. */
enum lam_err lam_reaper_clean_dir(struct lam_reaper *r, int *removed, int *left, char *note)
    LAM_WUR;

#endif
