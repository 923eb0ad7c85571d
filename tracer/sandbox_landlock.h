/*
 * sandbox_landlock.h - confining a run's file access with Landlock, where
 * there is no private mount namespace (AWS Lambda: one uid, no namespaces)
 * but the kernel offers Landlock to unprivileged processes.
 *
 * A confined process may read and execute below the system paths
 * (TR_LANDLOCK_SYSTEM_PATHS and the caller's extra ones: the runtime
 * object, the precompiled headers), read and write a few devices
 * (/dev/null, /dev/zero, ...) and do anything below its run directory;
 * nothing else - not /tmp, /var/tmp, /dev/shm, $HOME or the result cache,
 * neither to read nor to write. Landlock is inherited across fork and
 * execve and cannot be lifted.
 *
 * SPP_LANDLOCK=off in the environment of whoever probes (serve, the
 * bootstrap, a tracer started by hand) turns it off: tests run the same
 * attacks with and without it.
 */
#ifndef SPP_TRACER_SANDBOX_LANDLOCK_H
#define SPP_TRACER_SANDBOX_LANDLOCK_H

#define TR_LANDLOCK_ENV "SPP_LANDLOCK"

/* The Landlock ABI the kernel offers (1, 2, ...), 0 when none. */
int tr_landlock_abi(void);

/* 1 when TR_LANDLOCK_ENV asks for Landlock to be off. */
int tr_landlock_forced_off(void);

/* In the child between fork and exec (async-signal-safe: raw calls, no
   allocation): confine this process to read/execute below the system
   paths and the NULL-terminated extra_ro (may be NULL), and everything
   below writable (may be NULL: then nothing is writable). Paths that do
   not exist are skipped. Sets no_new_privs. 0, or -1 with errno. */
int tr_landlock_restrict(int abi, const char *writable, const char *const *extra_ro);

#endif
