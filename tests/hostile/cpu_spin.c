// HOSTILE spin the CPU forever inside one instruction (no steps at all) | expect time_limit
int main(void)
{
    __asm__ volatile("nop\n1: jmp 1b");
    return 0;
}
