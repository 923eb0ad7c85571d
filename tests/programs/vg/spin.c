/* spin.c - traced by tests/unit/vg_target.c: runs until killed. */
volatile unsigned long n;

int main(void)
{
    for (;;)
        n++;
}
