/* azflow plugin: the correlation index.  Records live in a striped hash
 * (readers on the packet path never take a global lock) and in one FIFO
 * that orders eviction past the memcap and azure_flow event emission; each
 * new record is folded into its bucket's slot of the facts digest
 * (digest.c), which the index allocates beside its buckets. */
#include "suricata-common.h"
#include <pthread.h>
#include <sys/mman.h>
#include "util-debug.h"

#include "digest.h"
#include "index.h"
#include "intern.h"
#include "stats.h"

/* --- the ingesting thread's memo ------------------------------------------
 * Consecutive tuples mostly carry the names of the one before (a blob is
 * one NIC's, a record one rule's): each ingesting thread remembers the last
 * id per field and compares before hashing and locking.  The intern epoch
 * forgets ids of an index that was destroyed. */
enum memo_field { MEMO_RULE, MEMO_ACL, MEMO_ENCRYPTION, MEMO_RESOURCE, MEMO_TARGET, MEMO_MAC,
    MEMO_BLOB, MEMO_ENVELOPE, MEMO_N };
static __thread uint32_t t_memo_epoch;
static __thread uint32_t t_memo[MEMO_N];

static void MemoCheckEpoch(void)
{
    uint32_t epoch = AzInternEpoch();
    if (t_memo_epoch != epoch) {
        memset(t_memo, 0, sizeof(t_memo)); /* MEMO_ENVELOPE 0: t_memo_env unused */
        t_memo_epoch = epoch;
    }
}

static uint32_t InternMemo(enum memo_field f, const char *s)
{
    if (s == NULL)
        return 0;
    uint32_t id = t_memo[f];
    if (id != 0 && strcmp(AzInternedString(id), s) == 0)
        return id;
    return t_memo[f] = AzInternString(s);
}

/* --- envelopes -------------------------------------------------------------
 * The blob, resource ids and MAC are the same for every tuple of a record
 * (and usually of a blob): a record keeps one id for the four of them. */
struct envelope {
    uint32_t resource_id, target_resource_id, mac, blob;
};

static struct az_intern_tab g_envs = { .size = sizeof(struct envelope) };
/* The last envelope this thread interned, valid while t_memo[MEMO_ENVELOPE]
 * is not 0 (see InternMemo). */
static __thread struct envelope t_memo_env;

static inline const struct envelope *Env(uint32_t id)
{
    static const struct envelope none;
    return id ? AzTabGet(&g_envs, id) : &none;
}

static uint32_t InternEnvelope(const struct azf_tuple *t, const char *blob)
{
    struct envelope e = { InternMemo(MEMO_RESOURCE, t->resource_id),
        InternMemo(MEMO_TARGET, t->target_resource_id), InternMemo(MEMO_MAC, t->mac),
        InternMemo(MEMO_BLOB, blob) };
    if (t_memo[MEMO_ENVELOPE] != 0 && memcmp(&e, &t_memo_env, sizeof(e)) == 0)
        return t_memo[MEMO_ENVELOPE];
    uint32_t id = AzTabIntern(&g_envs, &e);
    t_memo_env = e;
    t_memo[MEMO_ENVELOPE] = id;
    return id;
}

/* --- fact classes ----------------------------------------------------------
 * What a record tells a rule besides its state and counters.  A key's
 * records mostly share one (two where both ends' NICs log it).  Whether a
 * record has counters is not part of it: a VNet flow's B record has none
 * and its C and E records do, and a fold has counters when any of its
 * records does, so the digest keeps that as one bit of its own. */
struct fact_class {
    uint8_t source, version, direction, decision;
    uint8_t pad[4];
    uint32_t rule, acl, encryption;
};
_Static_assert(sizeof(struct fact_class) <= AZ_TAB_VALUE_MAX, "fact class too large");

static struct az_intern_tab g_classes = { .size = sizeof(struct fact_class) };

/* --- records ------------------------------------------------------------ */
#define REC_HAVE_COUNTERS 0x01
#define REC_SRC_IS_LO 0x02   /* the record's source is key.lo */
#define REC_CORRELATED 0x04  /* counted in azure.records_correlated */
#define REC_REPLAYED 0x08    /* re-read after a restart: no event, no packet */
#define REC_TS_SECONDS 0x10  /* the log wrote whole seconds (NSG): ts_us + [0, 1 s) */
#define REC_TS_MS 0x20       /* the log wrote milliseconds (VNet): ts_us + [0, 1 ms) */

struct az_rec {
    /* What a lookup reads of every record in a chain comes first, so it
     * shares the record's first cache lines. */
    struct az_rec *hnext; /* hash chain */
    int64_t ts_us;
    struct az_key key;
    uint8_t source, version, direction, decision, state;
    uint8_t flags;
    struct az_rec *qnext; /* FIFO: eviction and event order */
    uint32_t pkts_ts, pkts_tc; /* per-minute packet counts fit easily */
    uint64_t bytes_ts, bytes_tc;
    uint32_t rule, acl, encryption, env;
};
/* The budget is 128 bytes of index per record, buckets included
 * (about 4-8 bytes a record, see AzIndexInit); records come from a pool, so
 * no allocator header is added to them. */
_Static_assert(sizeof(struct az_rec) <= 112, "index record over budget");

/* A log truncates a tuple's time to its unit (NSG: seconds), so a flow
 * that began at 10.5 s has a begin tuple of 10 s: the record stands for
 * every moment of [ts_us, ts_us + its unit), and is in a window when any
 * of them is.  Kept as flags: the record has no room for more. */
static inline uint8_t ResFlags(uint32_t res_us)
{
    return res_us >= 1000000 ? REC_TS_SECONDS : res_us >= 1000 ? REC_TS_MS : 0;
}

static inline uint32_t RecRes(const struct az_rec *r)
{
    return (r->flags & REC_TS_SECONDS) ? 1000000 : (r->flags & REC_TS_MS) ? 1000 : 1;
}

/* The last moment the record's time can stand for. */
static inline int64_t RecLast(const struct az_rec *r)
{
    return r->ts_us + (RecRes(r) - 1);
}

/* --- large allocations -------------------------------------------------------
 * The bucket array and the record pool are what a lookup touches at random:
 * one flow's records sit anywhere in a hundred megabytes.  Backed by 2 MiB
 * pages where the kernel allows it (transparent huge pages in "madvise"
 * mode, Debian's default), a lookup's cache misses stop paying for a page
 * walk each, which costs most under virtualisation. */
#define HUGE_PAGE ((size_t)2 << 20)

static void *HugeAlloc(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, size, MADV_HUGEPAGE); /* advice only: 4 KiB pages work too */
#endif
    return p;
}

/* --- record pool ---------------------------------------------------------------
 * Records are carved from blocks of one huge page and recycled through a
 * free list: a malloc per record would add its 8-16 bytes of header to
 * every one.  Taken and returned under the FIFO lock. */
#define POOL_BLOCK ((HUGE_PAGE - sizeof(void *)) / sizeof(struct az_rec))

struct pool_block {
    struct az_rec recs[POOL_BLOCK];
    struct pool_block *next;
};

static struct pool_block *g_blocks;
static struct az_rec *g_free; /* linked through hnext */

#define NSTRIPES 256

static struct az_rec **g_buckets;
static size_t g_nbuckets; /* power of two */
static pthread_rwlock_t g_stripes[NSTRIPES];
/* A generation per group of buckets, bumped under the stripe's write lock
 * whenever a record joins or leaves one of them (see struct az_probe). */
#define NGENS 16384
static _Atomic uint32_t g_gens[NGENS];
/* And one for the whole index, so that a flow's refresh in an index that
 * has not changed at all (offline runs) reads one shared line, not its
 * group's. */
static _Atomic uint64_t g_gen_all;
static uint64_t g_memcap;
static int64_t g_window_us;

static pthread_mutex_t g_fifo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct az_rec *g_head, *g_tail;
struct cursor {
    struct az_rec *next;   /* next record this reader takes */
    bool enabled;
    _Atomic int64_t next_ts; /* its time, read without the lock */
};
static struct cursor g_cursors[AZ_NCURSORS] = {
    [AZ_CURSOR_EVENTS] = { .next_ts = INT64_MAX },
    [AZ_CURSOR_MERGE] = { .next_ts = INT64_MAX },
};

/* Called with the FIFO lock held. */
static void SetCursor(struct cursor *c, struct az_rec *r)
{
    c->next = r;
    /* Due once packet time has passed every moment it can stand for. */
    atomic_store(&c->next_ts, r != NULL ? RecLast(r) : INT64_MAX);
}
static uint64_t g_nrecs;

bool AzKeyMake(struct az_key *k, uint8_t family, const uint8_t *a, uint16_t pa, const uint8_t *b,
        uint16_t pb, uint8_t proto)
{
    size_t alen = family == 6 ? 16 : 4;
    if (proto != 6 && proto != 17 && proto != 132)
        pa = pb = 0;
    memset(k, 0, sizeof(*k));
    k->family = family;
    k->proto = proto;
    int c = memcmp(a, b, alen);
    bool a_lo = c < 0 || (c == 0 && pa <= pb);
    memcpy(k->lo, a_lo ? a : b, alen);
    memcpy(k->hi, a_lo ? b : a, alen);
    k->plo = a_lo ? pa : pb;
    k->phi = a_lo ? pb : pa;
    return a_lo;
}

bool AzKeyFromTuple(struct az_key *k, const struct azf_tuple *t)
{
    return AzKeyMake(k, t->src.family, t->src.bytes, t->sport, t->dst.bytes, t->dport, t->proto);
}

static inline bool KeyEq(const struct az_key *x, const struct az_key *y)
{
    return memcmp(x, y, sizeof(*x)) == 0;
}

static inline size_t BucketOfHash(uint32_t hash)
{
    return hash & (g_nbuckets - 1);
}

static inline size_t Bucket(const struct az_key *k)
{
    return BucketOfHash(AzKeyHash(k));
}

static inline _Atomic uint32_t *Gen(size_t bucket)
{
    return &g_gens[bucket & (NGENS - 1)];
}

static inline pthread_rwlock_t *Stripe(size_t bucket)
{
    return &g_stripes[bucket & (NSTRIPES - 1)];
}

static inline uint32_t ClampU32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void AzIndexClassInfo(uint32_t cls, uint8_t state, const struct az_digest *d,
        struct az_flowinfo *out)
{
    const struct fact_class *fc = AzTabGet(&g_classes, cls);
    memset(out, 0, sizeof(*out));
    out->records = 1;
    out->source = fc->source;
    out->version = fc->version;
    out->direction = fc->direction;
    out->decision = fc->decision;
    out->state = state;
    out->have = d->have;
    out->encryption = AzInternedString(fc->encryption);
    out->rule = AzInternedString(fc->rule);
    out->acl = AzInternedString(fc->acl);
    out->pkts_toserver = d->pkts_toserver;
    out->pkts_toclient = d->pkts_toclient;
    out->bytes_toserver = d->bytes_toserver;
    out->bytes_toclient = d->bytes_toclient;
}

int AzIndexInit(uint64_t memcap, uint64_t window_s, uint32_t buckets)
{
    g_memcap = memcap;
    g_window_us = (int64_t)window_s * 1000000;
    /* One bucket per four records the memcap allows: chains stay short
     * (about one record per bucket at a quarter of the memcap) for 2 bytes
     * of buckets per record at full memcap. */
    uint64_t want = memcap / sizeof(struct az_rec) / 4;
    g_nbuckets = buckets != 0 ? buckets : 1024;
    while (buckets == 0 && g_nbuckets < want && g_nbuckets < AZ_MAX_BUCKETS)
        g_nbuckets <<= 1;
    g_buckets = HugeAlloc(g_nbuckets * sizeof(*g_buckets));
    if (g_buckets == NULL)
        return -1;
    memset(g_buckets, 0, g_nbuckets * sizeof(*g_buckets));
    for (size_t i = 0; i < NSTRIPES; i++)
        pthread_rwlock_init(&g_stripes[i], NULL);
    AZ_STAT_ADD(index_memuse, g_nbuckets * sizeof(*g_buckets));
    void *slots = HugeAlloc(AzDigestSize(g_nbuckets));
    if (slots == NULL)
        return -1;
    memset(slots, 0, AzDigestSize(g_nbuckets));
    AZ_STAT_ADD(index_memuse, AzDigestSize(g_nbuckets));
    AzDigestAttach(slots, g_nbuckets);
    return 0;
}

void AzIndexDestroy(void)
{
    pthread_mutex_lock(&g_fifo_lock);
    while (g_blocks != NULL) {
        struct pool_block *next = g_blocks->next;
        free(g_blocks);
        g_blocks = next;
    }
    g_free = NULL;
    g_head = g_tail = NULL;
    for (int c = 0; c < AZ_NCURSORS; c++)
        SetCursor(&g_cursors[c], NULL);
    g_nrecs = 0;
    pthread_mutex_unlock(&g_fifo_lock);
    free(g_buckets);
    g_buckets = NULL;
    AzTabFree(&g_envs);
    AzTabFree(&g_classes);
    free(AzDigestDetach());
    AzInternFree();
}

static void UnlinkFromBucket(struct az_rec *r)
{
    size_t b = Bucket(&r->key);
    pthread_rwlock_wrlock(Stripe(b));
    for (struct az_rec **pp = &g_buckets[b]; *pp != NULL; pp = &(*pp)->hnext) {
        if (*pp == r) {
            *pp = r->hnext;
            atomic_fetch_add_explicit(Gen(b), 1, memory_order_release);
            atomic_fetch_add_explicit(&g_gen_all, 1, memory_order_release);
            break;
        }
    }
    pthread_rwlock_unlock(Stripe(b));
}


/* Called with the FIFO lock held. */
static void EvictOverMemcap(void)
{
    while (g_head != NULL && AZ_STAT_GET(index_memuse) > g_memcap) {
        struct az_rec *victim = g_head;
        g_head = victim->qnext;
        if (g_head == NULL)
            g_tail = NULL;
        for (int c = 0; c < AZ_NCURSORS; c++)
            if (g_cursors[c].next == victim)
                SetCursor(&g_cursors[c], victim->qnext);
        UnlinkFromBucket(victim);
        victim->hnext = g_free;
        g_free = victim;
        g_nrecs--;
        AZ_STAT_SUB(index_memuse, sizeof(struct az_rec));
        AZ_STAT_ADD(records_evicted, 1);
    }
}


static struct az_rec *RecAlloc(void)
{
    pthread_mutex_lock(&g_fifo_lock);
    if (g_free == NULL) {
        _Static_assert(sizeof(struct pool_block) <= HUGE_PAGE, "pool block spans two huge pages");
        struct pool_block *blk = HugeAlloc(sizeof(*blk));
        if (blk == NULL) {
            pthread_mutex_unlock(&g_fifo_lock);
            return NULL;
        }
        blk->next = g_blocks;
        g_blocks = blk;
        for (size_t i = POOL_BLOCK; i-- > 0;) {
            blk->recs[i].hnext = g_free;
            g_free = &blk->recs[i];
        }
    }
    struct az_rec *r = g_free;
    g_free = r->hnext;
    pthread_mutex_unlock(&g_fifo_lock);
    memset(r, 0, sizeof(*r));
    return r;
}

static int Add(const struct azf_tuple *t, const char *blob, uint8_t flags)
{
    struct az_rec *r = RecAlloc();
    if (r == NULL)
        return -1;
    r->flags = flags | ResFlags(t->ts_res_us);
    if (AzKeyFromTuple(&r->key, t))
        r->flags |= REC_SRC_IS_LO;
    r->source = t->source;
    r->version = t->version;
    r->direction = t->direction;
    r->decision = t->decision;
    r->state = t->state;
    r->ts_us = t->ts_us;
    if (t->has_counters) {
        r->flags |= REC_HAVE_COUNTERS;
        r->pkts_ts = ClampU32(t->pkts_toserver);
        r->pkts_tc = ClampU32(t->pkts_toclient);
        r->bytes_ts = t->bytes_toserver;
        r->bytes_tc = t->bytes_toclient;
    }
    MemoCheckEpoch();
    r->rule = InternMemo(MEMO_RULE, t->rule);
    r->acl = InternMemo(MEMO_ACL, t->acl);
    r->encryption = InternMemo(MEMO_ENCRYPTION, t->encryption);
    r->env = InternEnvelope(t, blob);
    const struct fact_class fc = { .source = r->source, .version = r->version,
        .direction = r->direction, .decision = r->decision,
        .rule = r->rule, .acl = r->acl, .encryption = r->encryption };
    const uint32_t cls = AzTabIntern(&g_classes, &fc);

    const uint32_t hash = AzKeyHash(&r->key); /* once: the bucket and the digest */
    const size_t b = BucketOfHash(hash);
    pthread_rwlock_wrlock(Stripe(b));
    const uint64_t sums[4] = { r->pkts_ts, r->pkts_tc, r->bytes_ts, r->bytes_tc };
    AzDigestAdd(hash, cls, r->state, (r->flags & REC_HAVE_COUNTERS) ? sums : NULL);
    r->hnext = g_buckets[b];
    g_buckets[b] = r;
    atomic_fetch_add_explicit(Gen(b), 1, memory_order_release);
    atomic_fetch_add_explicit(&g_gen_all, 1, memory_order_release);
    pthread_rwlock_unlock(Stripe(b));

    pthread_mutex_lock(&g_fifo_lock);
    if (g_tail != NULL)
        g_tail->qnext = r;
    else
        g_head = r;
    g_tail = r;
    for (int c = 0; c < AZ_NCURSORS; c++)
        if (g_cursors[c].next == NULL)
            SetCursor(&g_cursors[c], r);
    g_nrecs++;
    AZ_STAT_ADD(index_memuse, sizeof(*r));
    EvictOverMemcap();
    pthread_mutex_unlock(&g_fifo_lock);
    return 0;
}

int AzIndexAdd(const struct azf_tuple *t, const char *blob)
{
    return Add(t, blob, 0);
}

int AzIndexAddReplayed(const struct azf_tuple *t, const char *blob)
{
    return Add(t, blob, REC_REPLAYED);
}

uint32_t AzIndexAggregate(const struct az_key *k, int64_t first_us, int64_t last_us,
        struct az_flowinfo *out, struct az_probe *probe)
{
    const int64_t from_us = first_us - g_window_us, to_us = last_us + g_window_us;
    if (g_buckets == NULL)
        return 0;
    const size_t b = probe != NULL && probe->valid ? probe->bucket : Bucket(k);
    if (probe != NULL && probe->valid && probe->from_us == from_us && to_us >= probe->to_us &&
            to_us < probe->next_us &&
            (atomic_load_explicit(&g_gen_all, memory_order_acquire) == probe->gen_all ||
                    atomic_load_explicit(Gen(b), memory_order_acquire) == probe->gen))
        return out->records; /* the same records as last time */

    /* Packet-side facts are the flow's, not the records': keep them. */
    uint8_t vpn = out->vpn;
    bool mirrored = out->mirrored;
    const struct azf_vpn_info *tunnel = out->tunnel;
    const struct az_capture_file *capture = out->capture;
    memset(out, 0, sizeof(*out));
    out->vpn = vpn;
    out->mirrored = mirrored;
    out->tunnel = tunnel;
    out->capture = capture;

    int64_t next_us = INT64_MAX;
    pthread_rwlock_rdlock(Stripe(b));
    /* Read under the lock: no writer of this bucket can be half-way. */
    const uint32_t gen = atomic_load_explicit(Gen(b), memory_order_acquire);
    const uint64_t gen_all = atomic_load_explicit(&g_gen_all, memory_order_acquire);
    for (struct az_rec *r = g_buckets[b]; r != NULL; r = r->hnext) {
        if (RecLast(r) < from_us || r->ts_us > to_us || !KeyEq(&r->key, k)) {
            if (r->ts_us > to_us && r->ts_us < next_us && KeyEq(&r->key, k))
                next_us = r->ts_us;
            continue;
        }
        /* Chains run newest-inserted first, so on a tie in time (NSG
         * tuples have one-second resolution) the later line of the log
         * wins: a B and an E in the same second leave the flow at E. */
        if (out->records == 0 || r->ts_us > out->latest_ts_us) {
            out->latest_ts_us = r->ts_us;
            out->source = r->source;
            out->version = r->version;
            out->direction = r->direction;
            out->decision = r->decision;
            out->state = r->state;
            out->encryption = AzInternedString(r->encryption);
            out->rule = AzInternedString(r->rule);
            out->acl = AzInternedString(r->acl);
            const struct envelope *e = Env(r->env);
            out->resource_id = AzInternedString(e->resource_id);
            out->target_resource_id = AzInternedString(e->target_resource_id);
            out->mac = AzInternedString(e->mac);
        }
        out->records++;
        if (r->flags & REC_HAVE_COUNTERS) {
            out->have |= AZ_HAVE_COUNTERS;
            out->pkts_toserver += r->pkts_ts;
            out->pkts_toclient += r->pkts_tc;
            out->bytes_toserver += r->bytes_ts;
            out->bytes_toclient += r->bytes_tc;
        }
        /* Only the first flow to fold a record counts it as correlated. */
        if (!(__atomic_fetch_or(&r->flags, REC_CORRELATED, __ATOMIC_RELAXED) & REC_CORRELATED))
            AZ_STAT_ADD(records_correlated, 1);
    }
    pthread_rwlock_unlock(Stripe(b));
    if (probe != NULL)
        *probe = (struct az_probe){ .bucket = (uint32_t)b, .gen = gen, .gen_all = gen_all,
            .from_us = from_us,
            .to_us = to_us, .next_us = next_us, .valid = true };
    return out->records;
}

void AzIndexPrefetch(const struct az_key *k)
{
    if (g_buckets != NULL)
        __builtin_prefetch(&g_buckets[Bucket(k)]);
}

/* Stable merge sort of the FIFO by record time. */
static struct az_rec *SortList(struct az_rec *list, size_t n)
{
    if (n < 2)
        return list;
    struct az_rec *mid = list;
    for (size_t i = 1; i < n / 2; i++)
        mid = mid->qnext;
    struct az_rec *right = mid->qnext;
    mid->qnext = NULL;
    struct az_rec *a = SortList(list, n / 2), *b = SortList(right, n - n / 2);
    struct az_rec head = { 0 }, *tail = &head;
    while (a != NULL && b != NULL) {
        struct az_rec **take = b->ts_us < a->ts_us ? &b : &a;
        tail->qnext = *take;
        tail = *take;
        *take = (*take)->qnext;
    }
    tail->qnext = a != NULL ? a : b;
    return head.qnext;
}

void AzIndexSortByTime(void)
{
    pthread_mutex_lock(&g_fifo_lock);
    g_head = SortList(g_head, g_nrecs);
    g_tail = g_head;
    while (g_tail != NULL && g_tail->qnext != NULL)
        g_tail = g_tail->qnext;
    for (int c = 0; c < AZ_NCURSORS; c++)
        SetCursor(&g_cursors[c], g_head);
    pthread_mutex_unlock(&g_fifo_lock);
}

void AzIndexRunStart(void)
{
    pthread_mutex_lock(&g_fifo_lock);
    for (struct az_rec *r = g_head; r != NULL; r = r->qnext)
        __atomic_fetch_and(&r->flags, (uint8_t)~REC_CORRELATED, __ATOMIC_RELAXED);
    for (int c = 0; c < AZ_NCURSORS; c++)
        SetCursor(&g_cursors[c], g_head);
    pthread_mutex_unlock(&g_fifo_lock);
}

void AzIndexCursorEnable(enum az_cursor c)
{
    pthread_mutex_lock(&g_fifo_lock);
    g_cursors[c].enabled = true;
    pthread_mutex_unlock(&g_fifo_lock);
}

bool AzIndexDue(enum az_cursor c, int64_t now_us)
{
    int64_t ts = atomic_load_explicit(&g_cursors[c].next_ts, memory_order_relaxed);
    return ts != INT64_MAX && ts <= now_us - g_window_us;
}

static void RecToTuple(const struct az_rec *r, struct azf_tuple *t)
{
    memset(t, 0, sizeof(*t));
    const struct az_key *k = &r->key;
    bool src_lo = r->flags & REC_SRC_IS_LO;
    t->src.family = t->dst.family = k->family;
    memcpy(t->src.bytes, src_lo ? k->lo : k->hi, 16);
    memcpy(t->dst.bytes, src_lo ? k->hi : k->lo, 16);
    t->sport = src_lo ? k->plo : k->phi;
    t->dport = src_lo ? k->phi : k->plo;
    t->proto = k->proto;
    t->ts_us = r->ts_us;
    t->ts_res_us = RecRes(r);
    t->source = r->source;
    t->version = r->version;
    t->direction = r->direction;
    t->decision = r->decision;
    t->state = r->state;
    t->has_counters = (r->flags & REC_HAVE_COUNTERS) != 0;
    t->pkts_toserver = r->pkts_ts;
    t->pkts_toclient = r->pkts_tc;
    t->bytes_toserver = r->bytes_ts;
    t->bytes_toclient = r->bytes_tc;
    t->encryption = AzInternedString(r->encryption);
    t->rule = AzInternedString(r->rule);
    t->acl = AzInternedString(r->acl);
    const struct envelope *e = Env(r->env);
    t->resource_id = AzInternedString(e->resource_id);
    t->target_resource_id = AzInternedString(e->target_resource_id);
    t->mac = AzInternedString(e->mac);
}

size_t AzIndexTake(enum az_cursor c, int64_t now_us, bool flush, struct az_event *out, size_t max)
{
    struct cursor *cur = &g_cursors[c];
    size_t n = 0;
    pthread_mutex_lock(&g_fifo_lock);
    if (cur->enabled) {
        while (cur->next != NULL && n < max && (flush || RecLast(cur->next) <= now_us - g_window_us)) {
            if (!(cur->next->flags & REC_REPLAYED)) {
                RecToTuple(cur->next, &out[n].tuple);
                out[n].blob = AzInternedString(Env(cur->next->env)->blob);
                n++;
            }
            SetCursor(cur, cur->next->qnext);
        }
    }
    pthread_mutex_unlock(&g_fifo_lock);
    return n;
}
