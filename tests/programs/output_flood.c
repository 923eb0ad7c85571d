/* Writes 10 MB: the output limit stops it cleanly. */
#include <string.h>
#include <unistd.h>
int main(void) {
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 10; i++)
        write(1, buf, sizeof buf);
    return 0;
}
