// HOSTILE NUL bytes, invalid UTF-8, lone surrogates, escapes and a JSON-breaking quote in stdout and stderr | expect ok
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    static const char out[] = "a\0b\xff\xfe\xc3\x28\xed\xa0\x80\x1b[31m\"}\n";
    write(1, out, sizeof out - 1);
    write(2, out, sizeof out - 1);
    printf("%c%c\n", 0, 0x80);
    return 0;
}
