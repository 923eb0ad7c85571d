/* Student-size corpus: a linked list of 200 nodes, built then summed. */
#include <stdio.h>
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

int main(void)
{
    struct node *head = NULL;
    for (int i = 0; i < 200; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i;
        n->next = head;
        head = n;
    }
    long sum = 0;
    for (struct node *p = head; p; p = p->next)
        sum += p->value;
    printf("%ld\n", sum);
    return 0;
}
