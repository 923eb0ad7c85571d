/* memcheck: an invalid read of size 4 one element past a heap block (line 9). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    int *v = malloc(3 * sizeof *v);
    for (int i = 0; i < 3; i++)
        v[i] = i * 10;
    int past = v[3];
    printf("%d\n", past == 0);
    free(v);
    return 0;
}
