// References and const, a struct passed by reference and returned by value.
struct Pair { int a; double b; };
typedef unsigned long ulong_t;
Pair make(int a, double b) {
    Pair p = {a, b};
    return p;
}
void bump(int &r, const Pair &pr) {
    r += pr.a;
}
double mean(const int *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s / n;
}
int main() {
    int n = 1;
    Pair p = make(2, 0.5);
    bump(n, p);
    int data[4] = {1, 2, 3, 4};
    double m = mean(data, 4);
    ulong_t big = 42;
    long double ld = m;
    return n + (int)m + (int)big + (int)ld;
}
