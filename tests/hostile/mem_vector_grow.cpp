// HOSTILE grow a vector until memory runs out (Valgrind's operator new exits instead of throwing) | expect memory_limit | valgrind memory_limit,ok
#include <vector>

int main()
{
    std::vector<long> v;
    v.reserve(1 << 20);
    for (;;)
        v.resize(v.size() * 2 + 1);
}
