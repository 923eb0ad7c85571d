// A binary search tree built by a recursive insert whose new node is only
// ever pointed to by the return value (`return new Tree{...}`) until the
// caller stores it: heap typing must count __return__ as a pointer.
struct Tree {
    int key;
    Tree* left;
    Tree* right;
};

Tree* add(Tree* t, int key) {
    if (t == nullptr) {
        return new Tree{key, nullptr, nullptr};
    }
    if (key < t->key) {
        t->left = add(t->left, key);
    } else {
        t->right = add(t->right, key);
    }
    return t;
}

int main() {
    Tree* root = nullptr;
    root = add(root, 5);
    root = add(root, 3);
    root = add(root, 8);
    return 0;
}
