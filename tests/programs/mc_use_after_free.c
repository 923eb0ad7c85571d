/* memcheck: a read of a freed block (line 10), freed at line 9. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    int *p = malloc(2 * sizeof *p);
    p[0] = 1;
    p[1] = 2;
    free(p);
    int stale = p[1];
    printf("%d\n", stale > 100);
    return 0;
}
