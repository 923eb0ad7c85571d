/* basic.c - traced by tests/unit/vg_target.c: globals, an int argument on
   the stack, floating-point returns, a one-instruction loop, a hot
   function. The asm labels give the test exact addresses through nm. */
#include <stdio.h>

int counter = 0x12345678;
int exit_code = 3;
int *arg_addr;
int ticks;
char scratch[10000]; /* written by the test across packet boundaries */

int add(int a, int b)
{
    arg_addr = &a;
    __asm__ volatile(".globl add_body\nadd_body:");
    return a + b;
}

double half(double x)
{
    return x / 2;
}

long double three_halves(void)
{
    return 1.5L;
}

void spin(int n)
{
    /* `loop` jumps to itself: each arrival must be reported */
    __asm__ volatile("mov %0, %%ecx\n.globl spin_loop\nspin_loop: loop spin_loop"
                     :
                     : "r"(n)
                     : "ecx");
}

/* rax holds 0x1111 at precise_bp, though the same block overwrites it */
long precise(void)
{
    long r;
    __asm__ volatile("mov $0x1111, %%rax\n.globl precise_bp\nprecise_bp:\n"
                     "mov $0x2222, %%rax\nmov %%rax, %0"
                     : "=r"(r)
                     :
                     : "rax");
    return r;
}

int tick(int i)
{
    ticks++;
    return i * 2;
}

int main(int argc, char **argv)
{
    (void)argv;
    int s = add(3, 4);
    double h = half(5.0);
    long double l = three_halves();
    spin(3);
    s += (int)precise() & 1;
    for (int i = 0; i < 500 * (argc > 0); i++)
        s += tick(i) & 1;
    printf("%d %g %Lg %d\n", s, h, l, ticks);
    return exit_code;
}
