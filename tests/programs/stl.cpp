// Standard library values as a user sees them: strings (short and long)
// as text, vectors (also nested) pointing to their elements, std::array,
// pair, map, set, list, unordered_map, and a type with no decoder.
#include <array>
#include <list>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>
int main() {
    std::string shorts = "hi";
    std::string longs = "a string too long for the small buffer";
    std::vector<int> v = {1, 2, 3};
    v.push_back(4);
    std::vector<int> none;
    std::vector<std::vector<int>> grid = {{1, 2}, {3}};
    std::vector<std::string> words = {"alpha", "a much longer word that lives on the heap"};
    std::array<int, 3> arr = {7, 8, 9};
    std::pair<int, double> pr = {5, 2.5};
    std::map<std::string, int> ages = {{"bob", 30}, {"al", 41}};
    std::set<int> primes = {7, 2, 5, 3};
    std::list<int> lst = {10, 20, 30};
    std::unordered_map<int, int> sq = {{3, 9}};
    std::tuple<int, char> tup = {1, 'x'};
    v.pop_back();
    return (int)longs.size() + v[0] + grid[1][0] + arr[2] + pr.first + ages["al"] + (int)primes.size() +
           lst.back() + sq[3] + std::get<0>(tup) + (int)none.size() + (int)words.size();
}
