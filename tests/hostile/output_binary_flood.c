// HOSTILE binary garbage of every byte value until the output cap | expect output_limit
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    unsigned char b[256];
    for (int i = 0; i < 256; i++)
        b[i] = (unsigned char)i;
    for (;;)
        fwrite(b, 1, sizeof b, stdout);
}
