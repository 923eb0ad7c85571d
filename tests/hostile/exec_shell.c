// HOSTILE execve /bin/sh, which then hunts secrets and the network (the ptrace engine ends the trace at an exec; under Valgrind the shell runs on inside the same sandbox) | expect runtime_error | valgrind ok | message exec
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("before exec\n");
    fflush(stdout);
    execl("/bin/sh", "sh", "-c",
          "echo shell ran as $(id -u); cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' |"
          " grep -q AWS_SECRET && echo ESCAPED: a secret is visible;"
          " (exec 3<>/dev/tcp/169.254.169.254/80) 2>/dev/null && echo ESCAPED: network",
          (char *)0);
    printf("exec failed\n");
    return 0;
}
