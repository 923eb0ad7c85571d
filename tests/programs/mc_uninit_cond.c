/* memcheck: a condition on an uninitialised local (line 7). */
#include <stdio.h>

int main(void) {
    int n;
    int big = 0;
    if (n > 10)
        big = 1;
    printf("%d\n", big >= 0);
    return 0;
}
