/* forks.c - traced by tests/unit/vg_target.c: a child with a memcheck
   error (its gdbserver must not wait for a debugger), then int3 twice in
   the parent. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t p = fork();
    if (p == 0) {
        int *q = malloc(4);
        q[1] = 2;
        free(q);
        _exit(7);
    }
    int st = 0;
    waitpid(p, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 7) {
        /* the test has a breakpoint right after this int3 */
        __asm__ volatile("int3\n.globl after_int3\nafter_int3:");
        __asm__ volatile("int3");
    }
    return 5;
}
