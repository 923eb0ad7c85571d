// HOSTILE execve /bin/sh to run commands outside the traced program | expect runtime_error | message exec
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("before exec\n");
    fflush(stdout);
    execl("/bin/sh", "sh", "-c", "echo ESCAPED: a shell ran; cat /proc/1/environ", (char *)0);
    printf("exec failed\n");
    return 0;
}
