/* exit(3) from inside a function. */
#include <stdio.h>
#include <stdlib.h>
void quit(int code) {
    printf("bye\n");
    exit(code);
}
int main(void) {
    quit(3);
    return 0;
}
