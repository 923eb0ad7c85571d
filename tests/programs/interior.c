/* Interior pointers keep their exact address: into a local array, to a
   struct member, into a heap block, one past the end. */
#include <stdlib.h>
struct Pair { int a; int b; };
int main(void) {
    int arr[5] = {1, 2, 3, 4, 5};
    int *third = arr + 2;
    int *end = arr + 5;
    struct Pair s = {6, 7};
    int *pb = &s.b;
    int *heap = malloc(4 * sizeof *heap);
    for (int i = 0; i < 4; i++)
        heap[i] = 10 * i;
    int *hmid = heap + 3;
    *third += *pb + *hmid;
    free(heap);
    return *third + (int)(end - arr);
}
