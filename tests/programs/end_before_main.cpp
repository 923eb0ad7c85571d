#include <cstdio>
struct Spin { Spin() { volatile unsigned long n = 0; for (;;) n++; } };
Spin spin;
int main() {
    printf("never\n");
    return 0;
}
