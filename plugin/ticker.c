/* azflow plugin: see ticker.h. */
#include "suricata-common.h"
#include <pthread.h>

#include "ticker.h"

static void *TickerLoop(void *arg)
{
    struct az_ticker *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)t->interval_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&t->cond, &t->lock, &until);
        if (t->stop)
            break;
        pthread_mutex_unlock(&t->lock);
        t->tick();
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    if (t->end != NULL)
        t->end();
    return NULL;
}

int AzTickerStart(struct az_ticker *t)
{
    if (t->running)
        return 0;
    t->stop = false;
    /* Waits measured on the monotonic clock: a step of the wall clock
     * (NTP, an operator) must neither stall the ticks for as long as it
     * stepped back nor run them early.  The static initialiser's clock is
     * CLOCK_REALTIME; nothing waits on the condition before this. */
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        pthread_cond_destroy(&t->cond);
        rc = pthread_cond_init(&t->cond, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    if (pthread_create(&t->thread, NULL, TickerLoop, t) != 0)
        return -1;
    if (t->name != NULL)
        pthread_setname_np(t->thread, t->name);
    t->running = true;
    return 0;
}

bool AzTickerRunning(const struct az_ticker *t)
{
    return t->running;
}

void AzTickerStop(struct az_ticker *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->running = false;
}
