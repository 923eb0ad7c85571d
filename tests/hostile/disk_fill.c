// HOSTILE fill the disk with many files just under the per-file size limit | expect ok | needs tmpfs
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char name[32];
    int files = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "fill%03d", i);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        if (fd < 0 || posix_fallocate(fd, 0, 15 << 20) != 0)
            break;
        close(fd);
        files++;
    }
    printf("wrote %d files of 15 MiB before the space ran out\n", files);
    if (files * 15 > 512)
        printf("ESCAPED: more than 512 MiB written\n");
    return 0;
}
