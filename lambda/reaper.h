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

/* The bootstrap's own run root: a fresh directory
   <parent>/LAM_RUN_ROOT_PREFIX<6 random characters> (mode 0711: runs with
   a uid of their own reach their directory inside it, no one else lists
   it), made the tracers' TMPDIR so that every run directory and temporary
   file of theirs lives there and nowhere else. Only what is in it is ever
   swept: the parent (Lambda's /tmp) is shared with other processes of the
   uid, whatever their entries are named. lam_reaper_close removes it. */
#define LAM_RUN_ROOT_PREFIX "spp-bootstrap-"
enum lam_err lam_reaper_make_root(struct lam_reaper *r, const char *parent, char *errbuf)
    LAM_WUR;
const char *lam_reaper_root(const struct lam_reaper *r); /* NULL: none made */

/* After an invocation: remove everything in the run root (what a killed
   tracer left: its run directory, whatever its modes; its temporary
   files). What cannot be removed (a mount point) is left alone and said:
   *left counts those, note (LAM_ERRBUF_LEN) names the first few; each is
   said once, not after every run. LAM_OK unless the root cannot be
   listed - never because of an entry. No root: nothing to do. */
enum lam_err lam_reaper_clean_root(struct lam_reaper *r, int *removed, int *left, char *note)
    LAM_WUR;

/* Shutting down (SIGTERM): SIGKILL and reap every child, owned ones
   included, and remove the run root. From any thread; the caller exits
   next, leaving r as it is. */
void lam_reaper_shutdown(struct lam_reaper *r);

#endif
