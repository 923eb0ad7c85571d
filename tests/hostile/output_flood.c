// HOSTILE endless stdout | expect output_limit
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    for (;;)
        fputs("spam spam spam spam spam spam spam spam spam spam spam spam\n", stdout);
}
