// HOSTILE .incbin /etc/shadow into the program and print it | expect compile_error
#define _GNU_SOURCE
#include <stdio.h>
__asm__(".section .rodata\n.global leak\nleak:\n.incbin \"/etc/shadow\"\n.byte 0\n.text\n");
extern const char leak[];
int main(void)
{
    printf("%s\n", leak);
    return 0;
}
