#include <stdio.h>
#include <stdlib.h>
int main(void) {
    int *p = malloc(4 * sizeof(int));
    p[0] = 1;
    if (p[1] == 7)
        puts("seven");
    free(p);
    return 0;
}
