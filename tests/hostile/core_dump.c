// HOSTILE abort() hoping to leave a core file with its memory behind | expect runtime_error
#define _GNU_SOURCE
#include <stdlib.h>

int main(void)
{
    abort();
}
