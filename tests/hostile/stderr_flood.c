// HOSTILE endless stderr, no newline ever | expect output_limit
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    for (;;)
        fputs("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", stderr);
}
