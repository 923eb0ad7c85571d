/* memcheck: write(2) of a buffer whose bytes were never set (line 8). */
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    char *buf = malloc(10);
    buf[0] = 'a';
    write(1, buf, 10);
    free(buf);
    return 0;
}
