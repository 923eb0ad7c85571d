/*
 * install.h - what a run reads from the installation (the runtime object
 * linked into every program, the precompiled-header cache), made reachable
 * by the run's uid wherever the checkout or the install prefix lives.
 *
 * The compiler runs as the run's own uid (sandbox.h). Under a 0700 home
 * directory that uid cannot walk to build/; the directories it needs are
 * then bound into the run directory (the jail's mount namespace) for the
 * compile only. Whatever still cannot be read is a failure of the
 * installation, reported as the tracer's error with the file and what to
 * do - never as the student's compile error.
 */
#ifndef SPP_RUN_INSTALL_H
#define SPP_RUN_INSTALL_H

#include <limits.h>

#include "tracer/err.h"

struct tr_jail;
struct tr_sandbox;

struct tr_install {
    char rt_obj[PATH_MAX];     /* the runtime object as the compiler sees it */
    char pch_dir[PATH_MAX];    /* the PCH cache as the compiler sees it; "": none */
    char pch_origin[PATH_MAX]; /* where the PCH cache really is (for messages) */
    char bound[2][PATH_MAX];   /* what tr_install_release takes away */
    int nbound;
};

/* Find the runtime object and the PCH cache (tr_run_rt_obj/tr_run_pch_dir)
   and make both reachable by sb's uid inside run_dir. On failure errbuf
   (TR_ERRBUF_LEN) names the file and the fix. */
enum tr_err tr_install_expose(struct tr_install *in, struct tr_jail *j,
                              const struct tr_sandbox *sb, const char *run_dir,
                              char *errbuf) TR_WUR;

/* Take the bound directories away again (before the program runs: it does
   not see the installation). */
void tr_install_release(struct tr_install *in, struct tr_jail *j);

#endif
