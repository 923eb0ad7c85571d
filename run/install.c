/*
 * install.c - the installation's files reachable by the run's uid (see
 * install.h). Nothing is copied: the PCH cache is tens of MiB; a bind
 * mount costs two system calls, and only where the path is closed.
 */
#include "run/install.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/run.h"
#include "tracer/sandbox.h"

static int copy_path(char *dst, const char *src)
{
    int n = snprintf(dst, PATH_MAX, "%s", src);
    return n >= 0 && n < PATH_MAX ? 0 : -1;
}

/* Bind the directory dir at run_dir/name; its new path in out. */
static enum tr_err bind_into_run(struct tr_install *in, struct tr_jail *j, const char *dir,
                                 const char *run_dir, const char *name, char *out,
                                 char *errbuf)
{
    char dst[PATH_MAX];
    if (snprintf(dst, sizeof dst, "%s/%s", run_dir, name) >= (int)sizeof dst) {
        snprintf(errbuf, TR_ERRBUF_LEN, "run directory path too long");
        return TR_ERR_SYS;
    }
    enum tr_err rc = tr_jail_bind(j, dir, dst, errbuf);
    if (rc != TR_OK)
        return rc;
    memcpy(in->bound[in->nbound++], dst, sizeof dst);
    memcpy(out, dst, sizeof dst);
    return TR_OK;
}

/* "installation: <what> <path> cannot be reached by the sandbox's uid: ..." */
static enum tr_err unreachable(const char *what, const char *path, const char *why,
                               char *errbuf)
{
    snprintf(errbuf, TR_ERRBUF_LEN,
             "installation problem, not the program's: %s %s cannot be read by the "
             "sandbox's user: %s. Make it readable by all users (chmod a+r on the file, "
             "a+x on its directories) or rebuild with make",
             what, path, why);
    return TR_ERR_SYS;
}

static enum tr_err expose_rt(struct tr_install *in, struct tr_jail *j,
                             const struct tr_sandbox *sb, const char *run_dir, char *errbuf)
{
    const char *rt = tr_run_rt_obj();
    char why[PATH_MAX + 128];
    if (!rt) {
        snprintf(errbuf, TR_ERRBUF_LEN, "installation problem, not the program's: cannot "
                                        "locate the runtime object (rt/sppmon.o next to "
                                        "spp-trace, or SPP_RT_OBJ)");
        return TR_ERR_SYS;
    }
    if (access(rt, R_OK) != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN,
                 "installation problem, not the program's: the runtime object %s: %s "
                 "(build it with make, or set SPP_RT_OBJ)", rt, strerror(errno));
        return TR_ERR_SYS;
    }
    if (copy_path(in->rt_obj, rt) != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "runtime object path too long");
        return TR_ERR_SYS;
    }
    if (!sb->uid || tr_sandbox_readable_by(rt, sb->uid, sb->gid, why, sizeof why))
        return TR_OK;
    /* The file itself must be readable; the way to it we can open up. */
    char dir[PATH_MAX], shown[PATH_MAX];
    memcpy(dir, in->rt_obj, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return unreachable("the runtime object", rt, why, errbuf);
    *slash = '\0';
    if (bind_into_run(in, j, dir, run_dir, ".spp-rt", shown, errbuf) != TR_OK)
        return unreachable("the runtime object", rt, why, errbuf);
    if (snprintf(in->rt_obj, PATH_MAX, "%s/%s", shown, slash + 1) >= PATH_MAX)
        return unreachable("the runtime object", rt, "path too long", errbuf);
    if (!tr_sandbox_readable_by(in->rt_obj, sb->uid, sb->gid, why, sizeof why)) {
        struct stat st;
        snprintf(why, sizeof why, "its mode is %04o",
                 stat(rt, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u);
        return unreachable("the runtime object", rt, why, errbuf);
    }
    return TR_OK;
}

static enum tr_err expose_pch(struct tr_install *in, struct tr_jail *j,
                              const struct tr_sandbox *sb, const char *run_dir, char *errbuf)
{
    const char *pch = tr_run_pch_dir();
    char why[PATH_MAX + 128];
    if (!pch || copy_path(in->pch_origin, pch) != 0)
        return TR_OK; /* compile without: slower, never wrong */
    memcpy(in->pch_dir, in->pch_origin, PATH_MAX);
    if (mkdir(pch, 0755) != 0 && errno != EEXIST)
        return TR_OK; /* pch_for compiles without it */
    if (!sb->uid || tr_sandbox_readable_by(pch, sb->uid, sb->gid, why, sizeof why))
        return TR_OK;
    if (bind_into_run(in, j, pch, run_dir, ".spp-pch", in->pch_dir, errbuf) != TR_OK)
        return unreachable("the precompiled-header directory", pch, why, errbuf);
    return TR_OK;
}

enum tr_err tr_install_expose(struct tr_install *in, struct tr_jail *j,
                              const struct tr_sandbox *sb, const char *run_dir, char *errbuf)
{
    memset(in, 0, sizeof *in);
    enum tr_err rc = expose_rt(in, j, sb, run_dir, errbuf);
    if (rc == TR_OK)
        rc = expose_pch(in, j, sb, run_dir, errbuf);
    if (rc != TR_OK)
        tr_install_release(in, j);
    return rc;
}

void tr_install_release(struct tr_install *in, struct tr_jail *j)
{
    while (in->nbound > 0)
        tr_jail_unbind(j, in->bound[--in->nbound]);
}
