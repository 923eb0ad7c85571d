/*
 * sandbox_landlock.c - Landlock for runs without a private mount namespace
 * (see sandbox_landlock.h). Raw system calls: glibc has no wrappers, and
 * the child side must not allocate.
 */
#include "tracer/sandbox_landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Newer than some installed headers: the values are the kernel ABI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
                 LANDLOCK_ACCESS_FS_READ_DIR)
/* What a rule on a file (not a directory) may name. */
#define FS_FILE_ONLY (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
                      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

/* Read and execute only. /dev is not one of them (it holds /dev/shm):
   the devices a program may use are listed one by one below. The /var
   entries are where AWS Lambda keeps runtimes and function code. */
static const char *const system_paths[] = {
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
    "/proc", "/sys", "/var/runtime", "/var/task", "/var/lang", "/dev/random",
    "/dev/urandom", NULL,
};
static const char *const rw_devices[] = {"/dev/null", "/dev/zero", "/dev/full", NULL};

int tr_landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v > 0 ? (int)v : 0;
}

int tr_landlock_forced_off(void)
{
    const char *v = getenv(TR_LANDLOCK_ENV);
    return v && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0);
}

/* Every file-system right this ABI knows: what is not granted is denied. */
static uint64_t handled_rights(int abi)
{
    uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
    if (abi >= 2)
        all |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        all |= LANDLOCK_ACCESS_FS_TRUNCATE;
    return all;
}

/* Grant rights below path; a missing path is skipped. */
static int allow(int ruleset, const char *path, uint64_t rights, uint64_t handled)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    struct landlock_path_beneath_attr pb = {.parent_fd = fd, .allowed_access = rights & handled};
    if (!S_ISDIR(st.st_mode))
        pb.allowed_access &= FS_FILE_ONLY;
    long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    int e = errno;
    close(fd);
    errno = e;
    return rc == 0 ? 0 : -1;
}

int tr_landlock_restrict(int abi, const char *writable, const char *const *extra_ro)
{
    if (abi <= 0) {
        errno = EOPNOTSUPP;
        return -1;
    }
    uint64_t handled = handled_rights(abi);
    struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; system_paths[i] && rc == 0; i++)
        rc = allow(rs, system_paths[i], FS_READ, handled);
    for (size_t i = 0; extra_ro && extra_ro[i] && rc == 0; i++)
        rc = allow(rs, extra_ro[i], FS_READ, handled);
    for (size_t i = 0; rw_devices[i] && rc == 0; i++)
        rc = allow(rs, rw_devices[i], FS_FILE_ONLY, handled);
    if (rc == 0 && writable)
        rc = allow(rs, writable, handled, handled);
    if (rc == 0)
        rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
                     syscall(SYS_landlock_restrict_self, rs, 0) == 0
                 ? 0
                 : -1;
    int e = errno;
    close(rs);
    errno = e;
    return rc;
}
