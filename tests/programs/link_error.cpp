// Declared but never defined: a link error on line 5.
int helper(int);
int main() {
    int x = 1;
    return helper(x);
}
