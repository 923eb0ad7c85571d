// HOSTILE personality(): turn ASLR back on, READ_IMPLIES_EXEC, 32-bit addresses | expect ok
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>

int main(void)
{
    int before = personality(0xffffffff);
    if (personality(READ_IMPLIES_EXEC | ADDR_LIMIT_32BIT) != -1 &&
        personality(0xffffffff) != before)
        printf("ESCAPED: personality changed to %#x\n", personality(0xffffffff));
    else
        printf("personality: %s (still %#x)\n", strerror(errno), before);
    return 0;
}
