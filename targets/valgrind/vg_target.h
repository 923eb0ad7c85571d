/*
 * vg_target.h - the Valgrind target: the program runs under memcheck and is
 * driven through valgrind's gdbserver over the GDB remote protocol, relayed
 * by vgdb. No ptrace anywhere (vgdb runs with --max-invoke-ms=0), so it works
 * where ptrace is denied (AWS Lambda).
 *
 * Beyond the ptrace target it reports each memcheck error as a
 * TR_STOP_TOOL_ERROR stop at the instruction that caused it (memcheck stops
 * once per distinct error: the same error at the same place again is only
 * counted), reads validity bits (TR_CAP_VBITS), and gives the leak records
 * with the EXITED stop. Caveat: valgrind runs the program ~20-50x slower.
 *
 * Files in l->run_dir while the target lives, all removed by destroy:
 * vgdb-*-<pid>-by-*-on-* (gdbserver FIFOs and shared memory), mc.xml
 * (memcheck's XML stream), vg.log (valgrind's and vgdb's own messages),
 * vg-debug-* (the debuginfo it is shown, vg_debuginfo.c).
 */
#ifndef SPP_TARGETS_VALGRIND_VG_TARGET_H
#define SPP_TARGETS_VALGRIND_VG_TARGET_H

#include <limits.h>
#include <stddef.h>

#include "tracer/target.h"

struct vg_options {
    int track_origins; /* --track-origins=yes: an uninitialised value's error
                          also says where it was created (aux stack); slower */
    int leak_check;    /* leak records (definite, indirect) with EXITED */
    int exact_regs;    /* every register exact at every stop (+15% run time);
                          0: only pc, sp and fp are (enough when the program
                          stops only at errors) */
    int all_debuginfo; /* let valgrind read every separate debuginfo file, not
                          only the dynamic linker's (vg_debuginfo.c): slower,
                          the reference the narrowing is tested against */
    const char *const *suppressions; /* extra suppression files, NULL-ended */
    const char *valgrind; /* the launcher; NULL = /usr/bin/valgrind */
    const char *vgdb;     /* NULL = vgdb in valgrind's directory */
};

/* track_origins 0, leak_check 1, exact_regs 1, the rest NULL. */
void vg_options_default(struct vg_options *o);

/* Starts valgrind on l->exe and connects to its gdbserver; the program is
   stopped before its first instruction (in the dynamic loader). o may be
   NULL for the defaults. l->limits should allow valgrind's address space
   (TR_LIMIT_AS_VALGRIND). Destroy *out with tr_target_destroy. On failure
   nothing is left running and errbuf (TR_ERRBUF_LEN) says why. */
enum tr_err vg_target_open(const struct tr_launch *l, const struct vg_options *o,
                           struct tr_target **out, char *errbuf) TR_WUR;

/* Where separate debuginfo lives, by build-id. */
#define VG_DEBUGINFO_DIR "/usr/lib/debug"

/* The separate debuginfo file of exe's dynamic linker, the one memcheck
   cannot run without (VG_DEBUGINFO_DIR/.build-id/xx/yyyy.debug), into out:
   0; -1 when exe has no interpreter or it has no such file here. */
int vg_ldso_debuginfo(const char *exe, char *out, size_t cap);

/* What the Valgrind run of exe is shown in VG_DEBUGINFO_DIR (vg_debuginfo.c):
   the dynamic linker's file, and symbol-only copies of libc's and libm's,
   made in dir. -1 (nothing to narrow) without the dynamic linker's. */
#define VG_DEBUGINFO_FILES 3
#define VG_DEBUGINFO_PREFIX "vg-debug-" /* the copies' names in dir */
struct vg_debuginfo {
    struct tr_bind bind[VG_DEBUGINFO_FILES];
    size_t n;
    char src[VG_DEBUGINFO_FILES][PATH_MAX], dst[VG_DEBUGINFO_FILES][PATH_MAX];
};
int vg_debuginfo_plan(const char *exe, const char *dir, struct vg_debuginfo *p);

/* Runs memcheck's leak search now (`monitor leak_check`, definite and
   indirect, every loss record): *out gets the records, owned by the target
   until the next resume. The target must be stopped. TR_ERR_UNSUPPORTED
   for a target that is not a Valgrind one. */
enum tr_err vg_target_leak_check(struct tr_target *t, const struct tr_tool_error **out,
                                 size_t *n) TR_WUR;

#endif
