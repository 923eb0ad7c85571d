// HOSTILE fork (libc and the raw system call) and run traced code in the children: they carry copies of the breakpoints | expect ok | stdout parent done
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int work(int k)
{
    int s = 0;
    for (int i = 0; i < k; i++)
        s += i;
    return s;
}

int main(void)
{
    pid_t a = fork();
    if (a == 0) {
        printf("child one %d\n", work(4));
        _exit(0);
    }
    waitpid(a, NULL, 0);
    pid_t b = (pid_t)syscall(SYS_fork);
    if (b == 0) {
        printf("child two %d\n", work(5));
        _exit(0);
    }
    waitpid(b, NULL, 0);
    printf("parent done %d\n", work(3));
    return 0;
}
