/* A 2-D matrix of 8x8 made with malloc: row pointers, then rows. */
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    int n = 8;
    int **m = malloc(n * sizeof *m);
    for (int i = 0; i < n; i++) {
        m[i] = malloc(n * sizeof **m);
        for (int j = 0; j < n; j++)
            m[i][j] = i * j;
    }
    long trace = 0;
    for (int i = 0; i < n; i++)
        trace += m[i][i];
    printf("%ld\n", trace);
    for (int i = 0; i < n; i++)
        free(m[i]);
    free(m);
    return 0;
}
