// Input shorter than what the program asks for: the reads that find data
// succeed, the rest see EOF at once (no hang).
#include <cstdio>
#include <iostream>
int main() {
    int a = -1, b = -1, c = -1;
    std::cin >> a >> b;
    bool cin_failed = std::cin.fail();
    int got = scanf("%d", &c);
    std::cout << a << " " << cin_failed << " " << got << std::endl;
    return 0;
}
