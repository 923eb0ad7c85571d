// HOSTILE run traced code on a second thread while main runs on: the thread meets breakpoints too | expect ok | stdout sum 4950
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

static long total;

static void *count(void *arg)
{
    long s = 0;
    for (long i = 0; i < (long)arg; i++)
        s += i;
    total = s;
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, count, (void *)100L) != 0)
        return 1;
    int k = 0;
    for (int i = 0; i < 5; i++)
        k += i;
    pthread_join(t, NULL);
    printf("sum %ld %d\n", total, k);
    return 0;
}
