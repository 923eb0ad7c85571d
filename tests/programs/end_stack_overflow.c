/* Unbounded recursion with a big frame overflows the 64 MiB stack. */
int dive(int n) {
    volatile char pad[200000];
    pad[0] = (char)n;
    return dive(n + 1) + pad[0];
}
int main(void) {
    return dive(0);
}
