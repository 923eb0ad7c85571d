/* Thirty forks, one after another: each child exits with its number, the
   parent counts the children it saw exit with the right one. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int right = 0;
    for (int i = 1; i <= 30; i++) {
        pid_t pid = fork();
        if (pid == 0)
            return i;
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == i)
            right++;
    }
    printf("%d of 30 children exited normally\n", right);
    return 0;
}
