/* C: variable-length arrays (1-D and 2-D, bounds read from the frame), a
   union (members share one address) and an array of structs. */
struct Item { int id; double w; };
union Word { unsigned int u; unsigned char bytes[4]; };
int sum(int n, int a[n]) {
    int total = 0;
    for (int i = 0; i < n; i++)
        total += a[i];
    return total;
}
int main(void) {
    int n = 4, rows = 2, cols = 3;
    int vla[n];
    for (int i = 0; i < n; i++)
        vla[i] = i * i;
    int grid[rows][cols];
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
            grid[r][k] = r * 10 + k;
    union Word w;
    w.u = 0x01020304u;
    struct Item items[2] = {{1, 0.5}, {2, 1.5}};
    int s = sum(n, vla);
    return s + grid[1][2] + w.bytes[0] + items[1].id;
}
