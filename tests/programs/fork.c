/* A forked child writes and exits; the parent waits and goes on. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        printf("child\n");
        return 7;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int code = WEXITSTATUS(status);
    printf("parent saw %d\n", code);
    return 0;
}
