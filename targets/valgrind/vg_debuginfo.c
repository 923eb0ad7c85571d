/*
 * vg_debuginfo.c - the separate debuginfo memcheck is shown.
 *
 * Valgrind reads the separate debuginfo (/usr/lib/debug/.build-id/...) of
 * every object the program loads, DWARF and all. It needs the dynamic
 * linker's: its redirections of ld.so's strlen & co. are mandatory on
 * amd64 and ld.so is stripped (hence Debian's libc6-dbg). Of libc's and
 * libm's it needs only the symbol tables, which name the library function
 * a finding happened in ("... in vfprintf"); their DWARF costs about 220 ms
 * of every run's start-up (valgrind of an empty C program: 0.58 s of CPU
 * with it, 0.36 s without) and changes nothing memcheck reports to us (the
 * stacks we show are the user's frames; tests/e2e/test_vg_debuginfo.py
 * compares whole responses with SPP_VG_ALL_DEBUGINFO=1). So the Valgrind
 * run is shown /usr/lib/debug holding ld.so's file and symbol-only copies
 * of libc's and libm's (objcopy --strip-debug, made in its run directory),
 * where the run has a private mount namespace (tr_launch.narrow). The
 * Lambda image, which has none, keeps exactly those (lambda/Dockerfile).
 */
#include "targets/valgrind/vg_target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUILD_ID_MAX 64 /* bytes; sha1 ids are 20 */

/* exe's PT_INTERP into out. */
static int interp_of(Elf *e, char *out, size_t cap)
{
    size_t n;
    if (elf_getphdrnum(e, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP)
            continue;
        size_t size;
        const char *raw = elf_rawfile(e, &size);
        if (!raw || ph.p_offset >= size || ph.p_filesz == 0 || ph.p_filesz > size - ph.p_offset ||
            ph.p_filesz >= cap)
            return -1;
        memcpy(out, raw + ph.p_offset, ph.p_filesz);
        out[ph.p_filesz] = '\0'; /* it ends with its own NUL; this bounds it */
        return out[0] == '/' ? 0 : -1;
    }
    return -1;
}

/* e's GNU build-id note, as lower-case hex, into hex. */
static int build_id_of(Elf *e, char *hex, size_t cap)
{
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off;
        while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
                memcmp((const char *)d->d_buf + name_off, "GNU", 4) != 0)
                continue;
            if (nh.n_descsz < 2 || nh.n_descsz > BUILD_ID_MAX || 2 * nh.n_descsz + 1 > cap)
                return -1;
            const unsigned char *id = (const unsigned char *)d->d_buf + desc_off;
            for (size_t i = 0; i < nh.n_descsz; i++)
                snprintf(hex + 2 * i, 3, "%02x", id[i]);
            return 0;
        }
    }
    return -1;
}

static Elf *open_elf(const char *path, int *fd)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return NULL;
    Elf *e = elf_begin(*fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (e)
            elf_end(e);
        close(*fd);
        return NULL;
    }
    return e;
}

/* The separate debuginfo file of the ELF object at path, into out. */
static int debug_file_of(const char *path, char *out, size_t cap)
{
    int fd;
    Elf *e = open_elf(path, &fd);
    if (!e)
        return -1;
    char hex[2 * BUILD_ID_MAX + 1];
    int rc = build_id_of(e, hex, sizeof hex);
    elf_end(e);
    close(fd);
    struct stat st;
    if (rc != 0 ||
        snprintf(out, cap, "%s/.build-id/%.2s/%s.debug", VG_DEBUGINFO_DIR, hex, hex + 2) >=
            (int)cap ||
        stat(out, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return 0;
}

/* exe's dynamic linker, into out. */
static int interp_path(const char *exe, char *out, size_t cap)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    int fd;
    Elf *e = open_elf(exe, &fd);
    if (!e)
        return -1;
    int rc = interp_of(e, out, cap);
    elf_end(e);
    close(fd);
    return rc;
}

int vg_ldso_debuginfo(const char *exe, char *out, size_t cap)
{
    char interp[256];
    return interp_path(exe, interp, sizeof interp) == 0 ? debug_file_of(interp, out, cap) : -1;
}

/* objcopy --strip-debug src dst: src's symbol table without its DWARF. */
static int symbols_only(const char *src, const char *dst)
{
    const char *argv[] = {"/usr/bin/objcopy", "--strip-debug", src, dst, NULL};
    char *envp[] = {NULL};
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int e = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    struct stat st;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && stat(dst, &st) == 0 && st.st_size > 0
               ? 0
               : -1;
}

int vg_debuginfo_plan(const char *exe, const char *dir, struct vg_debuginfo *p)
{
    p->n = 0;
    char interp[256], real[PATH_MAX];
    if (interp_path(exe, interp, sizeof interp) != 0 || !realpath(interp, real) ||
        debug_file_of(interp, p->dst[0], sizeof p->dst[0]) != 0)
        return -1;
    p->bind[p->n++] = (struct tr_bind){p->dst[0], p->dst[0]};
    /* glibc's libraries sit beside its dynamic linker */
    static const char *const libs[] = {"libc.so.6", "libm.so.6"};
    char *slash = strrchr(real, '/');
    for (size_t i = 0; slash && i < sizeof libs / sizeof *libs; i++) {
        char lib[PATH_MAX];
        size_t k = p->n;
        if (snprintf(lib, sizeof lib, "%.*s/%s", (int)(slash - real), real, libs[i]) >=
                (int)sizeof lib ||
            debug_file_of(lib, p->dst[k], sizeof p->dst[k]) != 0)
            continue; /* no separate debuginfo: Valgrind reads its symbols itself */
        if (snprintf(p->src[k], sizeof p->src[k], "%s/" VG_DEBUGINFO_PREFIX "%s", dir, libs[i]) <
                (int)sizeof p->src[k] &&
            symbols_only(p->dst[k], p->src[k]) == 0)
            p->bind[p->n++] = (struct tr_bind){p->src[k], p->dst[k]};
        else
            p->bind[p->n++] = (struct tr_bind){p->dst[k], p->dst[k]}; /* all of it: slower */
    }
    return 0;
}
