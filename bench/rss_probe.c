/*
 * rss_probe.c - an LD_PRELOAD object bench/ puts under spp-trace to learn
 * the tracer process's own peak RSS.
 *
 * wait4's ru_maxrss of the tracer also covers every child it waited for (the
 * compiler is far bigger than the tracer), and /proc/PID/status is gone by
 * the time the parent could read VmHWM. So this object appends
 * "PID VMHWM_KB" to $SPP_BENCH_RSS_OUT from a destructor, after main has
 * returned. VmHWM belongs to the process's current address space, so unlike
 * ru_maxrss it never includes the pre-exec copy of whoever forked it. The
 * constructor removes LD_PRELOAD and SPP_BENCH_RSS_OUT from the environment
 * so neither the compiler nor the traced program inherits them; a forked
 * child that exits through exit() may also write a line, which bench/ tells
 * apart by its pid. Used only in the memory pass, never in timed runs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out_path[4096];

__attribute__((constructor)) static void rss_probe_init(void)
{
    const char *o = getenv("SPP_BENCH_RSS_OUT");
    if (o) {
        int n = snprintf(out_path, sizeof out_path, "%s", o);
        if (n < 0 || (size_t)n >= sizeof out_path)
            out_path[0] = '\0';
    }
    unsetenv("SPP_BENCH_RSS_OUT");
    unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void rss_probe_fini(void)
{
    if (!out_path[0])
        return;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    if (kb < 0)
        return;
    int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    dprintf(fd, "%d %ld\n", (int)getpid(), kb);
    close(fd);
}
