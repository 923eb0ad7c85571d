/* memcheck: leaks. A two-node list whose head pointer is dropped: the head
   (16 bytes, line 13) is definitely lost and the node it points to
   (16 bytes, line 14) indirectly lost; a 40-byte array (line 16) definitely
   lost; one 8-byte block freed (no leak). */
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

int main(void) {
    struct node *head = malloc(sizeof *head);
    head->next = malloc(sizeof *head->next);
    head->next->next = NULL;
    int *arr = malloc(10 * sizeof *arr);
    long *tmp = malloc(sizeof *tmp);
    free(tmp);
    head = NULL;
    arr = NULL;
    return head == NULL && arr == NULL ? 0 : 1;
}
