/* azflow plugin: a background thread that calls one function every so
 * often until it is stopped — the follower's polls and the late-record
 * sender both run on one.  Stopping wakes it at once and joins it. */
#ifndef AZFLOW_TICKER_H
#define AZFLOW_TICKER_H

#include <pthread.h>
#include <stdbool.h>

struct az_ticker {
    unsigned interval_ms;
    void (*tick)(void);
    void (*end)(void); /* in the thread, after its last tick; may be NULL */
    const char *name;  /* thread name, as ps shows it; may be NULL */
    /* private */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool running, stop;
};

#define AZ_TICKER_INIT(ms, tick_fn, end_fn, thread_name)                                          \
    {                                                                                              \
        .interval_ms = (ms), .tick = (tick_fn), .end = (end_fn), .name = (thread_name),            \
        .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER                        \
    }

/* Starts the thread (once; a running ticker is left alone).  0, or -1. */
int AzTickerStart(struct az_ticker *t);
bool AzTickerRunning(const struct az_ticker *t);
/* Wakes the thread, waits for it to end; a stopped ticker may start again. */
void AzTickerStop(struct az_ticker *t);

#endif
