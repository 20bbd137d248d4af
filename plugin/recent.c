/* azflow plugin: recent mirrored flows, bounded per stripe; the oldest
 * entry of a full stripe makes room.  Touched once per flow, never per packet. */
#include "suricata-common.h"
#include <pthread.h>

#include "recent.h"
#include "stats.h"

#define NSTRIPES 64
#define BUCKETS_PER_STRIPE 1024

struct recent {
    struct recent *hnext;
    struct recent *qnext;
    struct az_key key;
    uint64_t flow_id;
    int64_t start_us, end_us;
};

struct stripe {
    pthread_mutex_t lock;
    struct recent *buckets[BUCKETS_PER_STRIPE];
    struct recent *head, *tail; /* oldest first */
    size_t n, max;
};

static struct stripe *g_stripes;
static int64_t g_window_us;
_Atomic bool az_recent_enabled;

#define KeyHash AzKeyHash

void AzRecentEnable(void)
{
    atomic_store(&az_recent_enabled, true);
}

int AzRecentInit(size_t max_flows, uint64_t window_s)
{
    g_window_us = (int64_t)window_s * 1000000;
    g_stripes = calloc(NSTRIPES, sizeof(*g_stripes));
    if (g_stripes == NULL)
        return -1;
    for (size_t i = 0; i < NSTRIPES; i++) {
        pthread_mutex_init(&g_stripes[i].lock, NULL);
        g_stripes[i].max = max_flows / NSTRIPES + 1;
    }
    AZ_STAT_ADD(memuse, NSTRIPES * sizeof(*g_stripes));
    return 0;
}

void AzRecentDestroy(void)
{
    if (g_stripes == NULL)
        return;
    for (size_t i = 0; i < NSTRIPES; i++) {
        struct recent *r = g_stripes[i].head;
        while (r != NULL) {
            struct recent *next = r->qnext;
            free(r);
            r = next;
        }
        pthread_mutex_destroy(&g_stripes[i].lock);
    }
    free(g_stripes);
    g_stripes = NULL;
}

static void Unlink(struct stripe *s, struct recent *victim, size_t b)
{
    for (struct recent **pp = &s->buckets[b]; *pp != NULL; pp = &(*pp)->hnext) {
        if (*pp == victim) {
            *pp = victim->hnext;
            return;
        }
    }
}

void AzRecentNote(const struct az_key *k, uint64_t flow_id, int64_t start_us, int64_t end_us)
{
    if (g_stripes == NULL || !AzRecentEnabled())
        return;
    uint32_t h = KeyHash(k);
    struct stripe *s = &g_stripes[h % NSTRIPES];
    size_t b = (h / NSTRIPES) % BUCKETS_PER_STRIPE;
    pthread_mutex_lock(&s->lock);
    for (struct recent *r = s->buckets[b]; r != NULL; r = r->hnext) {
        if (r->flow_id == flow_id && memcmp(&r->key, k, sizeof(*k)) == 0) {
            r->end_us = end_us;
            pthread_mutex_unlock(&s->lock);
            return;
        }
    }
    struct recent *r = NULL;
    if (s->n >= s->max && s->head != NULL) {
        /* Reuse the oldest entry of this stripe. */
        r = s->head;
        s->head = r->qnext;
        if (s->head == NULL)
            s->tail = NULL;
        Unlink(s, r, (KeyHash(&r->key) / NSTRIPES) % BUCKETS_PER_STRIPE);
        s->n--;
    } else {
        r = malloc(sizeof(*r));
        if (r != NULL)
            AZ_STAT_ADD(memuse, sizeof(*r));
    }
    if (r != NULL) {
        r->key = *k;
        r->flow_id = flow_id;
        r->start_us = start_us;
        r->end_us = end_us;
        r->qnext = NULL;
        r->hnext = s->buckets[b];
        s->buckets[b] = r;
        if (s->tail != NULL)
            s->tail->qnext = r;
        else
            s->head = r;
        s->tail = r;
        s->n++;
    }
    pthread_mutex_unlock(&s->lock);
}

uint64_t AzRecentFind(const struct az_key *k, int64_t ts_us)
{
    const int64_t window_us = g_window_us;
    if (g_stripes == NULL)
        return 0;
    uint32_t h = KeyHash(k);
    struct stripe *s = &g_stripes[h % NSTRIPES];
    size_t b = (h / NSTRIPES) % BUCKETS_PER_STRIPE;
    uint64_t best = 0;
    int64_t best_start = INT64_MIN;
    pthread_mutex_lock(&s->lock);
    for (struct recent *r = s->buckets[b]; r != NULL; r = r->hnext) {
        if (memcmp(&r->key, k, sizeof(*k)) != 0)
            continue;
        int64_t end = r->end_us != 0 ? r->end_us : INT64_MAX - window_us;
        /* The latest-starting flow that holds the time wins: port reuse
         * gives one 5-tuple several flows over a long capture. */
        if (ts_us >= r->start_us - window_us && ts_us <= end + window_us && r->start_us > best_start) {
            best = r->flow_id;
            best_start = r->start_us;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return best;
}
