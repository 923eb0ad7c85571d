/* memcheck: strncpy between overlapping ranges (line 10). (glibc's memcpy
   is an alias of memmove, which valgrind 3.19 does not check.) */
#include <stdio.h>
#include <string.h>

int main(void) {
    char s[32] = "abcdefghijklmnop";
    char *src = s;
    char *dst = s + 1;
    strncpy(dst, src, 5);
    printf("%c\n", s[1]);
    return 0;
}
