/* Pointers to the heap, the stack and globals; pointer to pointer; void*. */
#include <stdlib.h>
int g = 5;
int *gp = &g;
int main(void) {
    int local = 7;
    int *ps = &local;
    int **pps = &ps;
    int *ph = malloc(3 * sizeof(int));
    ph[0] = 1; ph[1] = 2; ph[2] = 3;
    void *pv = ph;
    int *pn = NULL;
    int arr[3] = {4, 5, 6};
    int *pa = &arr[1];
    *ps = 8;
    free(ph);
    return **pps + *pa + (pn == NULL) + (pv != NULL);
}
