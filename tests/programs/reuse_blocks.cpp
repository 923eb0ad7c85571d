// Heap blocks whose value may or may not be the step before's
// (tests/unit/val_reuse.c): a block seen through another type mid-run, a
// long std::string member whose text (in another block) changes while
// its own bytes do not, a realloc'd block, a new[] block with a count
// cookie, a polymorphic object behind a base pointer, and steps where
// nothing on the heap changes.
#include <cstdlib>
#include <cstring>
#include <string>

struct Shape {
    virtual ~Shape() {}
    int id = 1;
};
struct Circle : Shape {
    double r = 2.0;
};
struct Person {
    std::string name;
    int age;
};
struct Counted {
    int v;
    Counted() : v(3) {}
    ~Counted() { v = 0; }
};

int main() {
    int *ip = (int *)malloc(4 * sizeof(int));
    ip[0] = 65;
    ip[1] = 66;
    char *cp = (char *)ip;
    int *keep = ip;
    ip = nullptr;
    cp[0] = 'Z';
    cp = nullptr;
    keep[2] = 7;
    Person *p = new Person{"a name far too long for the small buffer", 20};
    p->age = 21;
    p->name[0] = 'A';
    p->name[1] = '!';
    p->name = "short";
    p->age = 22;
    int *grow = (int *)malloc(2 * sizeof(int));
    grow[0] = 1;
    grow[1] = 2;
    grow = (int *)realloc(grow, 64 * sizeof(int));
    grow[40] = 40;
    grow = (int *)realloc(grow, 3 * sizeof(int));
    grow[2] = 3;
    Counted *many = new Counted[3];
    many[1].v = 9;
    Shape *s = new Circle;
    s->id = 5;
    static_cast<Circle *>(s)->r = 4.5;
    int same = 0;
    for (int i = 0; i < 3; i++)
        same += i;
    delete s;
    delete[] many;
    free(grow);
    delete p;
    free(keep);
    return same;
}
