// HOSTILE create sleeping threads until the system runs out | expect process_limit | alone
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
    (void)arg;
    sleep(1000);
    return NULL;
}

int main(void)
{
    pthread_t t;
    int n = 0;
    while (n < 100000 && pthread_create(&t, NULL, sleeper, NULL) == 0)
        n++;
    printf("created %d threads\n", n);
    return 0;
}
