#include <cstdlib>
int main() {
    int *p = (int *)malloc(4 * sizeof(int));
    p[0] = 1;
    int *n = new int[3];
    n[1] = 7;
    int *z = (int *)calloc(3, sizeof(int));
    p = (int *)realloc(p, 6 * sizeof(int));
    p[4] = 9;
    double *d = new double;
    *d = 2.5;
    free(p);
    free(z);
    delete[] n;
    delete d;
    return 0;
}
