// HOSTILE #include __FILE__: the file includes itself until the depth limit | expect compile_error
#define _GNU_SOURCE
#include __FILE__
int main(void) { return 0; }
