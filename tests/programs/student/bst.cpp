// A binary search tree of 60 keys, inserted recursively, then its height.
#include <cstdio>
struct Tree {
    int key;
    Tree *left, *right;
};
Tree *insert(Tree *t, int key) {
    if (t == nullptr) {
        Tree *n = new Tree;
        n->key = key;
        n->left = n->right = nullptr;
        return n;
    }
    if (key < t->key)
        t->left = insert(t->left, key);
    else
        t->right = insert(t->right, key);
    return t;
}
int height(Tree *t) {
    if (t == nullptr)
        return 0;
    int l = height(t->left), r = height(t->right);
    return 1 + (l > r ? l : r);
}
int main() {
    Tree *root = nullptr;
    for (int i = 0; i < 60; i++)
        root = insert(root, (i * 37) % 61);
    printf("height %d\n", height(root));
    return 0;
}
