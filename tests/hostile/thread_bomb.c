// HOSTILE create sleeping threads until pthread_create fails, then sleep (the wall limit must hold) | expect process_limit,time_limit | alone
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *sleeper(void *a)
{
    (void)a;
    for (;;)
        sleep(100);
    return 0;
}

int main(void)
{
    int n = 0;
    pthread_t t;
    while (pthread_create(&t, 0, sleeper, 0) == 0)
        n++;
    printf("%d threads\n", n);
    for (;;)
        sleep(1);
    return 0;
}
