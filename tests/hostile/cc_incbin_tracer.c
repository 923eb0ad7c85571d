// HOSTILE .incbin the assembler's own binary and environment at compile time | expect ok,compile_error
#define _GNU_SOURCE
#include <stdio.h>
__asm__(".section .rodata\n.global env\nenv:\n.incbin \"/proc/self/environ\"\n.byte 0\n"
        ".global me\nme:\n.incbin \"/proc/self/exe\", 1, 3\n.byte 0\n.text\n");
extern const char env[], me[];
int main(void)
{
    printf("assembler binary starts with %s; its environment: %s\n", me, env);
    return 0;
}
