/*
 * lambda_like.c - run a command the way AWS Lambda runs a function, as far
 * as this machine can pretend: a user that is not root, no way to change
 * it, and a seccomp filter that denies what Lambda is reported to deny
 * (ptrace, even PTRACE_TRACEME) or does not give a function (namespaces,
 * mounts, uid changes). Everything the command starts inherits all of it.
 *
 *   lambda_like [--uid N] -- COMMAND [ARG...]
 *   lambda_like --oci-seccomp
 *
 * --uid N (default 65534) is used only when started as root. Exit status
 * 126 when the restrictions could not be set up, 127 when COMMAND could
 * not be run; otherwise COMMAND's own. --oci-seccomp prints the same filter
 * as an OCI seccomp profile (podman run --security-opt seccomp=FILE), which
 * the Lambda image's test applies to the container (tests/image/).
 */
#include <errno.h>
#include <seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Denied with EPERM. */
static const char *const denied[] = {"ptrace",    "unshare",    "setns",     "mount",
                                     "umount2",   "pivot_root", "setuid",    "setgid",
                                     "setreuid",  "setregid",   "setresuid", "setresgid",
                                     "setgroups", "setfsuid",   "setfsgid"};
/* clone with any of these is EPERM. */
static const unsigned long ns_flags[] = {CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                         CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET};

static int fail(const char *what, int err)
{
    fprintf(stderr, "lambda_like: %s: %s\n", what, strerror(err));
    return 126;
}

/* The filter above as an OCI runtime seccomp profile: everything else
   allowed, one rule per clone flag (a rule's arguments are ANDed). */
static int print_oci_profile(void)
{
    printf("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [\n");
    printf("  {\"names\": [");
    for (size_t k = 0; k < NELEM(denied); k++)
        printf("%s\"%s\"", k ? ", " : "", denied[k]);
    printf("], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d},\n", EPERM);
    for (size_t k = 0; k < NELEM(ns_flags); k++)
        printf("  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d, "
               "\"args\": [{\"index\": 0, \"value\": %lu, \"valueTwo\": %lu, "
               "\"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n",
               EPERM, ns_flags[k], ns_flags[k]);
    printf("  {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d}\n"
           " ]}\n",
           ENOSYS);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    unsigned long uid = 65534;
    if (argc == 2 && strcmp(argv[1], "--oci-seccomp") == 0)
        return print_oci_profile();
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        char *end;
        if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) {
            uid = strtoul(argv[++i], &end, 10);
            if (*end || uid == 0 || uid > 0xfffffffeul)
                return fail("--uid", EINVAL);
        } else {
            fprintf(stderr, "usage: lambda_like [--uid N] -- COMMAND [ARG...] | --oci-seccomp\n");
            return 126;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: lambda_like [--uid N] -- COMMAND [ARG...] | --oci-seccomp\n");
        return 126;
    }
    char **cmd = argv + i + 1;

    /* Lambda runs functions as an unprivileged user: drop root for good. */
    if (geteuid() == 0 &&
        (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, uid, uid, uid) != 0 ||
         syscall(SYS_setresuid, uid, uid, uid) != 0))
        return fail("cannot drop root", errno);

    scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
    if (!c)
        return fail("seccomp_init", ENOMEM);
    int rc = 0;
    for (size_t k = 0; k < NELEM(denied) && !rc; k++)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), seccomp_syscall_resolve_name(denied[k]), 0);
    /* clone with namespace flags is unshare by another name; clone3 hides
       its flags, so it is ENOSYS and glibc falls back to clone. */
    for (size_t k = 0; k < NELEM(ns_flags) && !rc; k++)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[k], ns_flags[k]));
    if (!rc)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (!rc)
        rc = seccomp_load(c); /* sets no_new_privs first */
    seccomp_release(c);
    if (rc)
        return fail("seccomp", -rc);

    execvp(cmd[0], cmd);
    fprintf(stderr, "lambda_like: %s: %s\n", cmd[0], strerror(errno));
    return 127;
}
