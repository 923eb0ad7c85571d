// A first program to trace: a function call, a loop, the heap and output.
#include <iostream>

struct Node {
    int value;
    Node* next;
};

int square(int x) {
    int result = x * x;
    return result;
}

int main() {
    Node* list = nullptr;
    for (int i = 1; i <= 3; i++) {
        Node* n = new Node{square(i), list};
        list = n;
    }
    std::cout << "head holds " << list->value << std::endl;
    while (list) {
        Node* next = list->next;
        delete list;
        list = next;
    }
    return 0;
}
