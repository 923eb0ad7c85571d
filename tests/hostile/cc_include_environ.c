// HOSTILE #include the compiler's and pid 1's environment: the diagnostics would quote them | expect compile_error
#define _GNU_SOURCE
#include "/proc/self/environ"
#include "/proc/1/environ"
int main(void) { return 0; }
