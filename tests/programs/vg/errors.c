/* errors.c - traced by tests/unit/vg_target.c: one memcheck error of each
   common kind, in this order, then a leak at exit. */
#include <stdlib.h>

int loop_i; /* fill()'s loop counter, read by the test */
int *x_addr;
char defined_area[3000]; /* zeroed: all its bytes are defined */

int *make(int n)
{
    return malloc(n * sizeof(int));
}

void fill(int *p)
{
    for (loop_i = 0; loop_i < 6; loop_i++)
        p[loop_i] = loop_i; /* the 6th iteration writes past the block */
}

int use_after_free(int *p)
{
    return p[1];
}

void free_twice(int *p)
{
    free(p);
}

int cond(void)
{
    int u;
    __asm__ volatile("" : "=m"(u)); /* u stays uninitialised; no warning */
    if (u > 0)
        return 1;
    return 2;
}

void leak(void)
{
    void *volatile lost = malloc(20);
    lost = 0;
    /* memcheck's malloc returns through a client request that leaves the
       pointer in rdx: clear it so that a leak search now finds the block
       unreachable, as it is */
    __asm__ volatile("xor %%edx, %%edx" ::: "rdx");
}

int vbits(void)
{
    int x;
    x_addr = &x;
    __asm__ volatile(".globl vbits_before\nvbits_before:");
    x = 7;
    __asm__ volatile(".globl vbits_after\nvbits_after:");
    return x;
}

int main(void)
{
    int *p = make(5);
    fill(p);
    free(p);
    int v = use_after_free(p);
    free_twice(p); /* glibc would abort here; memcheck reports and goes on */
    int c = cond();
    leak();
    vbits();
    return (v * 0 + c) == 2 ? 0 : 0;
}
