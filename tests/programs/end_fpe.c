/* Integer division by zero on line 6: SIGFPE. */
int divide(int a, int b) {
    return a / b;
}
int main(void) {
    int zero = 0;
    return divide(10, zero);
}
