/* The classic bug: a sum that was never set to 0. */
#include <stdio.h>
int main(void) {
    int a[50];
    for (int i = 0; i < 50; i++)
        a[i] = i;
    int sum;
    for (int i = 0; i < 50; i++)
        sum += a[i];
    printf("%d\n", sum);
    return 0;
}
