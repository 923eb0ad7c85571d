// HOSTILE write a 1 GiB file in the run directory (file size limit) | expect output_limit
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

int main(void)
{
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    FILE *f = fopen("huge.bin", "w");
    for (int i = 0; f && i < 1024; i++)
        fwrite(block, 1, sizeof block, f);
    puts("wrote it all");
    return 0;
}
