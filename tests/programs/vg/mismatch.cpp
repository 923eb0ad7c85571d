// mismatch.cpp - traced by tests/unit/vg_target.c: C++ with iostream, an
// array new released with scalar delete.
#include <iostream>

int *make(int n)
{
    return new int[n];
}

int main()
{
    int *a = make(3);
    delete a; // should be delete[]
    std::cout << "done" << std::endl;
    return 0;
}
