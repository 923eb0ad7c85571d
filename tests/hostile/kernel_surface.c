// HOSTILE keyctl, bpf, perf_event_open, userfaultfd, kexec, init_module, open_by_handle_at (kernel attack surface) | expect ok | valgrind ok,tracer_error
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    struct { const char *name; long nr; long a, b, c; } calls[] = {
        {"keyctl", SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0},
        {"bpf", SYS_bpf, 0, 0, 0},
        {"perf_event_open", SYS_perf_event_open, 0, 0, -1},
        {"userfaultfd", SYS_userfaultfd, 0, 0, 0},
        {"kexec_load", SYS_kexec_load, 0, 0, 0},
        {"init_module", SYS_init_module, 0, 0, 0},
        {"open_by_handle_at", SYS_open_by_handle_at, -100, 0, 0},
        {"add_key", SYS_add_key, 0, 0, 0},
    };
    for (int i = 0; i < 8; i++) {
        errno = 0;
        long r = syscall(calls[i].nr, calls[i].a, calls[i].b, calls[i].c, 0, 0);
        if (errno == EPERM || errno == ENOSYS || errno == EACCES)
            printf("%s: denied\n", calls[i].name);
        else
            printf("ESCAPED: %s reached the kernel (%ld, %s)\n", calls[i].name, r,
                   strerror(errno));
    }
    return 0;
}
