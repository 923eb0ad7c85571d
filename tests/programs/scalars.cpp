// Every scalar kind and its encoding.
#include <cmath>
enum class Mode : short { Off = 0, On = 7 };
int main() {
    long long ll = -9000000000LL;
    unsigned u = 4294967295u;
    unsigned long long ull = 18446744073709551615ULL;
    short sh = -32768;
    char nl = '\n';
    char nul = '\0';
    char hi = (char)0x96;
    bool f = false;
    float fl = 1.5f;
    double dn = NAN;
    double di = INFINITY;
    double dni = -INFINITY;
    double third = 1.0 / 3.0;
    long double ld = 2.5L;
    Mode m = Mode::On;
    Mode odd = (Mode)3;
    return (int)fl + (m == Mode::On);
}
