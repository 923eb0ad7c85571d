/* memcheck: the same block freed twice (line 9); natively glibc aborts
   there, under Valgrind the program goes on to line 10. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    char *s = malloc(16);
    free(s);
    free(s);
    puts("after");
    return 0;
}
