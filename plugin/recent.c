/* azflow plugin: the history of mirrored flows, in stripes of their own
 * lock.  Each stripe keeps its flows in the order they were noted, a flow
 * still in Suricata's flow table going to the back whenever it reaches the
 * front; a flow leaves once it ended longer ago than the window and the
 * delay (judged by the newest flow start the stripe saw, which is packet
 * time offline and the clock live), or, when the memcap is reached, oldest
 * first (counted).  Touched at a flow's start and end and by records,
 * never per packet. */
#include "suricata-common.h"
#include <pthread.h>

#include "recent.h"
#include "stats.h"

#define NSTRIPES 64
/* Work one note may spend on trimming: expiry is lazy but keeps up, since
 * every note can retire more flows than it adds. */
#define TRIM_STEPS 4

struct recent {
    struct recent *hnext;
    struct recent *qnext;
    struct az_key key;
    uint64_t flow_id;
    int64_t start_us, end_us;
    struct az_live live;
};

struct stripe {
    pthread_mutex_t lock;
    struct recent **buckets;
    struct recent *head, *tail; /* oldest first */
    size_t n, max;
    int64_t now_us; /* the newest flow start noted here */
};

static struct stripe *g_stripes;
static size_t g_nbuckets; /* per stripe, a power of two */
static int64_t g_window_us, g_horizon_us;
_Atomic bool az_recent_enabled;

void AzRecentEnable(void)
{
    atomic_store(&az_recent_enabled, true);
}

size_t AzRecentEntryBytes(void)
{
    /* malloc's own header, and the entry's share of the bucket array. */
    return sizeof(struct recent) + 16 + sizeof(struct recent *) / 2;
}

int AzRecentInit(uint64_t memcap, uint64_t window_s, uint64_t delay_s)
{
    g_window_us = (int64_t)window_s * 1000000;
    g_horizon_us = (int64_t)(window_s + delay_s) * 1000000;
    size_t per_stripe = (size_t)(memcap / AzRecentEntryBytes() / NSTRIPES) + 1;
    g_nbuckets = 256;
    while (g_nbuckets < per_stripe / 2 && g_nbuckets < (1u << 20))
        g_nbuckets <<= 1;
    g_stripes = calloc(NSTRIPES, sizeof(*g_stripes));
    if (g_stripes == NULL)
        return -1;
    for (size_t i = 0; i < NSTRIPES; i++) {
        pthread_mutex_init(&g_stripes[i].lock, NULL);
        g_stripes[i].max = per_stripe;
        /* Buckets are touched only as flows arrive: calloc's zero pages
         * cost nothing until then. */
        g_stripes[i].buckets = calloc(g_nbuckets, sizeof(struct recent *));
        if (g_stripes[i].buckets == NULL)
            return -1;
    }
    AZ_STAT_ADD(history_memuse, NSTRIPES * (sizeof(*g_stripes) + g_nbuckets * sizeof(struct recent *)));
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
        free(g_stripes[i].buckets);
        pthread_mutex_destroy(&g_stripes[i].lock);
    }
    free(g_stripes);
    g_stripes = NULL;
}

static struct stripe *StripeOf(const struct az_key *k, size_t *bucket)
{
    uint32_t h = AzKeyHash(k);
    *bucket = (h / NSTRIPES) & (g_nbuckets - 1);
    return &g_stripes[h % NSTRIPES];
}

static void Unlink(struct stripe *s, struct recent *victim)
{
    size_t b;
    (void)StripeOf(&victim->key, &b);
    for (struct recent **pp = &s->buckets[b]; *pp != NULL; pp = &(*pp)->hnext) {
        if (*pp == victim) {
            *pp = victim->hnext;
            return;
        }
    }
}

/* Takes the oldest flow off the stripe's queue and out of its bucket. */
static struct recent *PopHead(struct stripe *s)
{
    struct recent *r = s->head;
    s->head = r->qnext;
    if (s->head == NULL)
        s->tail = NULL;
    Unlink(s, r);
    s->n--;
    AZ_STAT_SUB(history_flows, 1);
    return r;
}

static void PushTail(struct stripe *s, struct recent *r, size_t b)
{
    r->qnext = NULL;
    r->hnext = s->buckets[b];
    s->buckets[b] = r;
    if (s->tail != NULL)
        s->tail->qnext = r;
    else
        s->head = r;
    s->tail = r;
    s->n++;
    AZ_STAT_ADD(history_flows, 1);
}

void AzRecentClear(void)
{
    if (g_stripes == NULL)
        return;
    for (size_t i = 0; i < NSTRIPES; i++) {
        struct stripe *s = &g_stripes[i];
        pthread_mutex_lock(&s->lock);
        while (s->head != NULL) {
            free(PopHead(s));
            AZ_STAT_SUB(history_memuse, sizeof(struct recent));
        }
        s->now_us = 0;
        pthread_mutex_unlock(&s->lock);
    }
}

static bool Expired(const struct stripe *s, const struct recent *r)
{
    return r->end_us != 0 && r->end_us + g_horizon_us < s->now_us;
}

/* Moves the head to the back of the queue (it stays in its bucket); the
 * stripe holds at least two flows. */
static void RotateHead(struct stripe *s)
{
    struct recent *r = s->head;
    s->head = r->qnext;
    r->qnext = NULL;
    s->tail->qnext = r;
    s->tail = r;
}

/* Is the head a flow still in the flow table, with others behind it? */
static bool HeadLive(const struct stripe *s)
{
    return s->head->end_us == 0 && s->head != s->tail;
}

/* Retires expired flows from the head; returns an entry to reuse when the
 * stripe is full (its oldest flow, evicted early and counted), else NULL.
 *
 * A flow at the head that is still in the flow table goes to the back: it
 * may stay there for hours (a long session, or a flow held for records
 * that never come), and at the head it would keep every flow behind it,
 * expired or not, until the stripe reached its memcap share and counted
 * them as early evictions.  An ended flow at the head expires within the
 * window and delay, so waiting for it costs at most that long. */
static struct recent *Trim(struct stripe *s)
{
    for (int i = 0; i < TRIM_STEPS && s->head != NULL; i++) {
        if (Expired(s, s->head)) {
            free(PopHead(s));
            AZ_STAT_SUB(history_memuse, sizeof(struct recent));
        } else if (HeadLive(s)) {
            RotateHead(s);
        } else {
            break;
        }
    }
    if (s->n < s->max || s->head == NULL)
        return NULL;
    /* A flow still live at the head holds no place it will not need: let
     * one such flow go to the back once, so an ended one is evicted. */
    if (HeadLive(s))
        RotateHead(s);
    AZ_STAT_ADD(history_evicted, 1);
    return PopHead(s);
}

void AzRecentNote(const struct az_key *k, uint64_t flow_id, int64_t start_us, int64_t end_us,
        const struct az_live *live)
{
    if (g_stripes == NULL || !AzRecentEnabled())
        return;
    size_t b;
    struct stripe *s = StripeOf(k, &b);
    pthread_mutex_lock(&s->lock);
    if (start_us > s->now_us)
        s->now_us = start_us;
    for (struct recent *r = s->buckets[b]; r != NULL; r = r->hnext) {
        if (r->flow_id == flow_id && memcmp(&r->key, k, sizeof(*k)) == 0) {
            r->end_us = end_us;
            if (live != NULL)
                r->live = *live;
            pthread_mutex_unlock(&s->lock);
            return;
        }
    }
    struct recent *r = Trim(s);
    if (r == NULL) {
        r = malloc(sizeof(*r));
        if (r != NULL)
            AZ_STAT_ADD(history_memuse, sizeof(*r));
    }
    if (r != NULL) {
        memset(r, 0, sizeof(*r));
        r->key = *k;
        r->flow_id = flow_id;
        r->start_us = start_us;
        r->end_us = end_us;
        if (live != NULL)
            r->live = *live;
        PushTail(s, r, b);
    }
    pthread_mutex_unlock(&s->lock);
}

/* The last moment a record's time can stand for: logs truncate it to
 * their unit (NSG: a flow begun at 10.5 s has a begin tuple of 10 s). */
static inline int64_t Last(int64_t ts_us, uint32_t res_us)
{
    return ts_us + (res_us > 0 ? (int64_t)res_us - 1 : 0);
}

static bool Holds(const struct recent *r, int64_t ts_us, uint32_t res_us)
{
    int64_t end = r->end_us != 0 ? r->end_us : INT64_MAX - g_window_us;
    return Last(ts_us, res_us) >= r->start_us - g_window_us && ts_us <= end + g_window_us;
}

/* How far ts_us lies outside the flow's lifetime (0 inside it; a flow
 * still live has no end yet). */
static int64_t Distance(const struct recent *r, int64_t ts_us, uint32_t res_us)
{
    if (Last(ts_us, res_us) < r->start_us)
        return r->start_us - Last(ts_us, res_us);
    if (r->end_us != 0 && ts_us > r->end_us)
        return ts_us - r->end_us;
    return 0;
}

uint64_t AzRecentFind(const struct az_key *k, int64_t ts_us, uint32_t res_us)
{
    if (g_stripes == NULL)
        return 0;
    size_t b;
    struct stripe *s = StripeOf(k, &b);
    uint64_t best = 0;
    int64_t best_start = INT64_MIN, best_dist = INT64_MAX;
    pthread_mutex_lock(&s->lock);
    for (struct recent *r = s->buckets[b]; r != NULL; r = r->hnext) {
        if (memcmp(&r->key, k, sizeof(*k)) != 0 || !Holds(r, ts_us, res_us))
            continue;
        /* Port reuse gives one 5-tuple several flows over a long capture,
         * and a window longer than the gap between them makes each hold
         * the others' records: the flow nearest the record's time wins
         * (the one it lies in, if any), on a tie the latest-starting. */
        const int64_t dist = Distance(r, ts_us, res_us);
        if (dist < best_dist || (dist == best_dist && r->start_us > best_start)) {
            best = r->flow_id;
            best_start = r->start_us;
            best_dist = dist;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return best;
}

size_t AzRecentFindAll(const struct az_key *k, int64_t ts_us, uint32_t res_us,
        struct az_flow_seen *out, size_t max)
{
    if (g_stripes == NULL)
        return 0;
    size_t b, n = 0;
    struct stripe *s = StripeOf(k, &b);
    pthread_mutex_lock(&s->lock);
    for (struct recent *r = s->buckets[b]; r != NULL; r = r->hnext) {
        if (memcmp(&r->key, k, sizeof(*k)) != 0 || !Holds(r, ts_us, res_us))
            continue;
        if (n < max) {
            out[n].flow_id = r->flow_id;
            out[n].start_us = r->start_us;
            out[n].end_us = r->end_us;
            out[n].live = r->live;
        }
        n++;
    }
    pthread_mutex_unlock(&s->lock);
    return n < max ? n : max;
}
