// Small classes the ABI returns in memory (a destructor of their own or of
// a member): __return__ is the caller's object, not the registers.
#include <memory>
struct Meters { double v; ~Meters() {} };
struct Owner { std::unique_ptr<int> p; };
struct Plain { double x, y; };
Meters meters(double v) { Meters m{v}; return m; }
Owner owner(int v) {
    Owner o;
    o.p.reset(new int(v));
    return o;
}
std::unique_ptr<int> boxed(int v) { return std::unique_ptr<int>(new int(v)); }
Plain plain(double x) { Plain p{x, x * 2}; return p; }
int main() {
    Meters m = meters(2.5);
    Owner o = owner(7);
    std::unique_ptr<int> b = boxed(9);
    Plain p = plain(1.5);
    return (int)m.v + *o.p + *b + (int)p.y;
}
