/* memcheck: free() of a pointer into the middle of a block (line 8). */
#include <stdlib.h>

int main(void) {
    char *buf = malloc(8);
    char *mid = buf + 4;
    buf[0] = 'x';
    free(mid);
    free(buf);
    return 0;
}
