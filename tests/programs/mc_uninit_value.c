/* memcheck: an uninitialised index used to compute an address (line 8). */
#include <stdio.h>

int main(void) {
    int table[4] = {10, 20, 30, 40};
    int idx;
    int x = 1;
    int y = table[idx & 3] + x;
    printf("%d\n", y > 0);
    return 0;
}
