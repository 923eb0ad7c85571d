// HOSTILE #include "/dev/zero": the preprocessor reads forever (memory) | expect compile_limit,compile_error
#define _GNU_SOURCE
#include "/dev/zero"
int main(void) { return 0; }
