// Block scopes: shadowing, loop variables, declaration lines.
#include <cstdio>
int main() {
    int x = 1;
    {
        int x = 2;
        int y = x * 10;
        printf("%d\n", y);
    }
    for (int i = 0; i < 2; i++) {
        int sq = i * i;
        x += sq;
    }
    int after = x;
    return after;
}
