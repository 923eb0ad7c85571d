/* Unbounded recursion: each frame takes 200 KB of stack (alloca, so the
   trace stays small), the 64 MiB stack overflows after ~320 calls. */
#include <alloca.h>
int dive(int n) {
    char *pad = alloca(200000);
    pad[0] = (char)n;
    return dive(n + 1) + pad[0];
}
int main(void) {
    return dive(0);
}
