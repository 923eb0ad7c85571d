// HOSTILE exponential template instantiation (2^25 distinct instances): compile time and memory | expect compile_limit
template <int N, int A> struct X {
    enum { v = X<N - 1, 2 * A>::v + X<N - 1, 2 * A + 1>::v };
};
template <int A> struct X<0, A> {
    enum { v = 1 };
};
int main() { return X<24, 0>::v & 1; }
