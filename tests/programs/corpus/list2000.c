/* A list of 2,000 nodes: its trace is far over what one Lambda response
   can carry, so an unchanged direct invoke gets it cut, and told so. */
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

int main(void)
{
    struct node *head = NULL;
    for (int i = 0; i < 2000; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i;
        n->next = head;
        head = n;
    }
    return head->value == 1999 ? 0 : 1;
}
