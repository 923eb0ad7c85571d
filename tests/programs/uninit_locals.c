#include <stdlib.h>
struct point { int x; int y; };
int main(void) {
    int x;
    int arr[4];
    arr[0] = 1;
    arr[1] = 2;
    struct point p;
    p.x = 5;
    int y = x;
    x = 3;
    int sum;
    sum += arr[0];
    char c = (char)0xBE;
    int *q;
    double d;
    q = &arr[0];
    d = 0.5;
    return sum * 0 + y * 0 + c * 0 + *q * 0 + (int)d;
}
