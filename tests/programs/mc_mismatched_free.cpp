// memcheck: memory from new[] released with delete (line 6).
int main() {
    int *a = new int[4];
    a[0] = 1;
    int first = a[0];
    delete a;
    return first - 1;
}
