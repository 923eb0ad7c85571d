/* crash.c - traced by tests/unit/vg_target.c: a write through NULL. */
int main(void)
{
    int *volatile p = 0;
    *p = 3;
    return 0;
}
