/* memcheck: a struct with one field set and one not (line 12), the other
   set at line 13; a heap array filled one element per pass. */
#include <stdlib.h>

struct point {
    int x;
    int y;
};

int main(void) {
    struct point p;
    p.x = 1;
    p.y = 2;
    int *a = malloc(3 * sizeof *a);
    for (int i = 0; i < 3; i++)
        a[i] = p.x + i;
    int sum = a[0] + a[1] + a[2] + p.y;
    free(a);
    return sum == 8 ? 0 : 1;
}
