/* Bubble sort of 100 ints. */
#include <stdio.h>
int main(void) {
    int a[100];
    for (int i = 0; i < 100; i++)
        a[i] = (i * 73) % 100;
    for (int i = 0; i < 100; i++) {
        for (int j = 0; j + 1 < 100 - i; j++) {
            if (a[j] > a[j + 1]) {
                int t = a[j];
                a[j] = a[j + 1];
                a[j + 1] = t;
            }
        }
    }
    printf("%d %d\n", a[0], a[99]);
    return 0;
}
