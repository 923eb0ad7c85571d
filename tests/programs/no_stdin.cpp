// Reading with no input: EOF at once, never a hang.
#include <cstdio>
#include <iostream>
int main() {
    int a = -1;
    std::cin >> a;
    bool failed = std::cin.fail();
    int b = -1;
    int got = scanf("%d", &b);
    return failed && got == EOF ? 0 : 1;
}
