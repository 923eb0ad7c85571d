/* A failed assert on line 7 ends the trace with its condition. */
#include <assert.h>
#include <stdio.h>
int main(void) {
    int x = -1;
    printf("checking\n");
    assert(x > 0);
    return 0;
}
