// HOSTILE double fork + setsid daemon that keeps writing files after the run (leaves session and group) | expect ok | needs mountns | alone
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            setpgid(0, 0);
            for (int i = 0;; i++) {
                int fd = open("/tmp/spp-hostile-daemon", O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (fd < 0)
                    fd = open("daemon.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (fd >= 0) {
                    write(fd, "alive\n", 6);
                    close(fd);
                }
                usleep(100000);
            }
        }
        _exit(0);
    }
    puts("daemon started");
    return 0;
}
