// HOSTILE new of 4 GiB: std::bad_alloc, uncaught (Valgrind's operator new exits instead of throwing) | expect memory_limit | valgrind memory_limit,ok
#include <iostream>

int main()
{
    char *p = new char[4ul << 30];
    p[0] = 1;
    std::cout << "allocated\n";
    return 0;
}
