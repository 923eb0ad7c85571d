/* Memcheck mode: Valgrind's run ends seconds after the native trace (the
   program waits only under Valgrind), so the response's trace is encoded
   while it runs (tests/e2e/test_memcheck_early.py). LEAK=1: a finding on a
   step and a leak at exit. LATE_START=1: Valgrind's run also waits before
   main, so a step limit always finds it still running. */
#include <stdlib.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

int main(void)
{
    int *a = malloc(5 * sizeof *a);
    int sum = 0;
    for (int i = 0; i < 5; i++)
        a[i] = i * i;
    for (int i = 0; i < 5; i++)
        sum += a[i];
#if LEAK
    a[5] = sum;
    a = malloc(8);
#else
    free(a);
#endif
    if (RUNNING_ON_VALGRIND)
        sleep(3);
    return sum == 30 ? 0 : 1;
}

#if LATE_START
/* at the end of the file so that main's lines stay where the tests expect */
__attribute__((constructor)) static void late_start(void)
{
    if (RUNNING_ON_VALGRIND)
        sleep(3);
}
#endif
