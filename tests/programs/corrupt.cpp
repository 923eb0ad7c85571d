// Library objects overwritten with garbage that points back into itself
// (cycles, huge counts): the trace must still come out, quickly. Globals,
// so that no traced constructor runs and only a few steps show them.
#include <algorithm>
#include <deque>
#include <iterator>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>
template <class T> union Raw {
    T obj;
    unsigned long words[sizeof(T) / sizeof(unsigned long)];
    Raw() {}
    ~Raw() {}
};
Raw<std::map<int, int>> m;
Raw<std::list<int>> l;
Raw<std::unordered_map<int, int>> h;
Raw<std::deque<int>> d;
Raw<std::vector<int>> v;
Raw<std::string> s;
#define POISON(r, delta) std::fill(std::begin(r.words), std::end(r.words), (unsigned long)&r + delta)
int main() {
    POISON(m, 8); POISON(l, 8); POISON(h, 0); POISON(d, 16); POISON(v, 0); POISON(s, 0);
    int done = 1;
    return done - 1;
}
