#include <string>
#include <vector>
int main() {
    int k = 1;
    std::string s = "hi";
    std::vector<int> v(3);
    v[0] = k;
    return (int)s.size() - 2;
}
