/* memcheck: malloc with a negative size turned huge (line 8). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    int n = -1;
    size_t bytes = (size_t)n;
    void *p = malloc(bytes);
    printf("%d\n", p == NULL);
    return 0;
}
