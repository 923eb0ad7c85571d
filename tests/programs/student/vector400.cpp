// A vector of 400 ints, filled with push_back, then summed.
#include <cstdio>
#include <vector>
int main() {
    std::vector<int> v;
    for (int i = 0; i < 400; i++)
        v.push_back(i * i % 97);
    long sum = 0;
    for (size_t i = 0; i < v.size(); i++)
        sum += v[i];
    printf("%ld\n", sum);
    return 0;
}
