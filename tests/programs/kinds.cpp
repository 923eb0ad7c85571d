// Value kinds: unions, bitfields, anonymous members, rvalue references,
// function and member pointers, wide characters, __int128, arrays of
// structs, and structs returned in registers and in memory.
#include <cstdint>
union Num { int i; char c; float f; };
struct Flags { unsigned ready : 1; unsigned level : 3; int delta : 4; };
struct Packet {
    int kind;
    union { int count; float ratio; };
    struct { short x, y; };
};
struct Point { int x, y; int sum() const { return x + y; } };
struct Big { long a, b, c; };
int square(int v) { return v * v; }
Point make_point(int x, int y) { Point p = {x, y}; return p; }
Big make_big(long base) { Big b = {base, base + 1, base + 2}; return b; }
int main() {
    Num u;
    u.i = 65;
    Flags fl = {1, 5, -3};
    Packet pk;
    pk.kind = 1;
    pk.count = 9;
    pk.x = 3;
    pk.y = 4;
    int base = 10;
    int&& rr = base + 1;
    int (*fp)(int) = square;
    int Point::*pm = &Point::y;
    int (*nofp)(int) = nullptr;
    int (Point::*mf)() const = &Point::sum;
    wchar_t wc = L'\u00e9';
    char16_t c16 = u'\u03a9';
    char32_t c32 = U'\U0001F600';
    __int128 big = (__int128)1 << 100;
    unsigned __int128 ubig = ~(unsigned __int128)0;
    Point pts[3] = {{1, 2}, {3, 4}, {5, 6}};
    Point p = make_point(7, 8);
    Big b = make_big(100);
    int r = fp(3) + rr + (p.*pm) + (p.*mf)();
    return r + (int)b.c + pts[2].y + (nofp ? 1 : 0) + (int)(big >> 100) + (int)(ubig & 1) + u.c + fl.level + pk.count + (int)wc % 2 + (int)c16 % 2 + (int)c32 % 2;
}
