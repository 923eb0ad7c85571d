// 30 structs with a std::string each, sorted by score with std::sort.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>
struct Student {
    std::string name;
    int score;
};
bool better(const Student &a, const Student &b) {
    return a.score > b.score;
}
int main() {
    std::vector<Student> all;
    for (int i = 0; i < 30; i++) {
        Student s;
        s.name = "student" + std::to_string(i);
        s.score = (i * 17) % 31;
        all.push_back(s);
    }
    std::sort(all.begin(), all.end(), better);
    printf("%s %d\n", all[0].name.c_str(), all[0].score);
    return 0;
}
