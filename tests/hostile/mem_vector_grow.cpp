// HOSTILE grow a vector until memory runs out (doubling reallocations) | expect memory_limit
#include <vector>

int main()
{
    std::vector<long> v;
    v.reserve(1 << 20);
    for (;;)
        v.resize(v.size() * 2 + 1);
}
