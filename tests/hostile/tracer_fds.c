// HOSTILE look for descriptors leaked by the tracer or the service (anything open above fd 2 that the engine did not open in the run directory) | expect ok
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    char cwd[256], path[32], target[160];
    if (!getcwd(cwd, sizeof cwd))
        return 1;
    size_t n = strlen(cwd);
    for (int fd = 3; fd < 256; fd++) { /* the sandbox allows 64 */
        if (fcntl(fd, F_GETFD) == -1)
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t k = readlink(path, target, sizeof target - 1);
        target[k > 0 ? k : 0] = '\0';
        /* Valgrind's own: its log, XML, FIFOs and the program in the run
           directory, and an internal pipe whose both ends are ours */
        if (strncmp(target, cwd, n) == 0 && target[n] == '/')
            continue;
        /* the agent engine's own channel (docs/agent.md): its far end only
           checks packets of the agent protocol */
        const char *agent = getenv("SPP_AGENT");
        if (fd == 3 && agent && strcmp(agent, "3") == 0 && strncmp(target, "socket:", 7) == 0)
            continue;
        if (strncmp(target, "pipe:", 5) == 0) {
            int both = 0;
            char other[160];
            for (int g = 3; g < 256 && !both; g++) {
                if (g == fd || fcntl(g, F_GETFD) == -1)
                    continue;
                snprintf(path, sizeof path, "/proc/self/fd/%d", g);
                ssize_t m = readlink(path, other, sizeof other - 1);
                other[m > 0 ? m : 0] = '\0';
                both = strcmp(other, target) == 0;
            }
            if (both)
                continue;
        }
        printf("ESCAPED: inherited descriptor %d -> %s\n", fd, target);
    }
    puts("done");
    return 0;
}
