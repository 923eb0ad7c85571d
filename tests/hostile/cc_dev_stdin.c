// HOSTILE #include "/dev/stdin": would hang forever unless the compiler's stdin is /dev/null | expect ok,compile_error
#define _GNU_SOURCE
#include "/dev/stdin"
int main(void) { return 0; }
