#include <cstdio>
class P {
    int x;
public:
    P(int v) : x(v) {}
    int getX() { return x; }
};
int sq(int v) { return v * v; }
int never_set() { int u; return u; }
int main() {
    P p(7);
    int a = p.getX();
    int b = sq(a);
    int c = never_set();
    printf("%d\n", b);
    return c * 0;
}
