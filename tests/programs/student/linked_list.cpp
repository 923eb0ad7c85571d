// 200 nodes made with new in a loop, then a walk that sums them.
#include <cstdio>
struct Node {
    int value;
    Node *next;
};
int main() {
    Node *head = nullptr;
    for (int i = 0; i < 200; i++) {
        Node *n = new Node;
        n->value = i;
        n->next = head;
        head = n;
    }
    long sum = 0;
    for (Node *p = head; p != nullptr; p = p->next)
        sum += p->value;
    printf("%ld\n", sum);
    while (head) {
        Node *next = head->next;
        delete head;
        head = next;
    }
    return 0;
}
