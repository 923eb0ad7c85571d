// HOSTILE popen a shell in a child (untraced) that greps every environment and tries the network | expect ok | alone
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    char line[512];
    FILE *p = popen("cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q AWS_SECRET"
                    " && echo ESCAPED: a secret is visible; "
                    "bash -c 'exec 3<>/dev/tcp/127.0.0.1/9001 && echo ESCAPED: connected' 2>&1"
                    " | head -c 100; echo shell done",
                    "r");
    while (p && fgets(line, sizeof line, p))
        printf("child: %s", line);
    if (p)
        pclose(p);
    return 0;
}
