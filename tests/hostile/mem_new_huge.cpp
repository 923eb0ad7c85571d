// HOSTILE new of 4 GiB: std::bad_alloc, uncaught | expect memory_limit
#include <iostream>

int main()
{
    char *p = new char[4ul << 30];
    p[0] = 1;
    std::cout << "allocated\n";
    return 0;
}
