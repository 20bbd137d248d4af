/* azflow plugin: the index's facts digest (digest.h), one slot per index
 * bucket, read by the rule engine at a flow's first packet. */
#include "suricata-common.h"

#include "digest.h"
#include "index.h"

/* --- the facts digest -------------------------------------------------------
 * Everything any flow of a key could be told by its records, in one slot,
 * read without a lock or a chain walk: the fact classes of its records,
 * the states each class was seen in, whether any record had counters, and
 * the counters' sums.  The rule engine asks it at a flow's first packet
 * whether any loaded rule could ever hold there (plugin/keywords/kw_prefilter_digest.c); a
 * flow no rule can match then makes no state and looks nothing up.  It
 * must never say less than the records do, so a slot only widens: keys
 * that share it, and records evicted since, leave their marks, and a third
 * class makes it say nothing for good.
 *
 * About half the buckets hold a second key, mostly of another class, and a
 * flow must not be judged on its neighbour's class: each class carries the
 * 6-bit fingerprint (one of 63) of the key that brought it, or "any" once
 * keys of two fingerprints have, and a reader takes only the classes with
 * its own key's fingerprint or "any" (a neighbour's class slips through one
 * time in 63; a class two keys of one bucket share is rare).  One 16-byte slot per
 * bucket, guarded by the bucket's stripe lock: 3.6-7 % of the memcap (one
 * bucket per four records it allows, rounded up to a power of two). */
#define DIGEST_CLASS_BITS 20
#define DIGEST_MIXED ((1u << DIGEST_CLASS_BITS) - 1) /* more than two classes: the slot says nothing */
#define DIGEST_CLASS_MAX (DIGEST_MIXED - 1)
#define DIGEST_STATES_AT(i) (40 + 5 * (i)) /* 5 state bits per class */
#define DIGEST_FPS_AT(i) (50 + 6 * (i))    /* 6 fingerprint bits per class */
#define DIGEST_FP_ANY 63u                   /* keys of more than one fingerprint */
#define DIGEST_HAVE_COUNTERS (1ull << 62)  /* some record had counters */

struct digest_slot {
    /* class 0 | class 1 << 20 | their states << 40, 45 | their
     * fingerprints << 50, 56 | DIGEST_HAVE_COUNTERS */
    _Atomic uint64_t classes;
    _Atomic uint64_t counters; /* four sums' bounds (Bound16): pkts ts, tc, bytes ts, tc */
};
_Static_assert(AZF_STATE_DENY < 5, "a class keeps 5 state bits");

static struct digest_slot *g_digest;
static size_t g_mask; /* the index's buckets, less one */
/* Bumped after every change to a slot: a reader that took its decision
 * under an older epoch decides again. */
_Atomic uint64_t az_index_digest_epoch = 1;

/* Which of 63 a key is among those of its bucket: from the hash bits the
 * bucket index does not use up (a multiply spreads all 32 into the top). */
static inline unsigned DigestFingerprint(uint32_t hash)
{
    return (unsigned)(((uint64_t)(hash * 0x9e3779b1u) * DIGEST_FP_ANY) >> 32);
}

static inline uint64_t DigestField(uint64_t w, unsigned at, unsigned bits)
{
    return (w >> at) & ((1ull << bits) - 1);
}

static inline uint32_t DigestClass(uint64_t w, int i)
{
    return (uint32_t)DigestField(w, DIGEST_CLASS_BITS * (unsigned)i, DIGEST_CLASS_BITS);
}

/* A sum's upper bound in 16 bits: 11 bits of mantissa, 5 of exponent,
 * rounded up (so within 0.1 % of the sum, per record added); 0xffff is
 * "unbounded". */
#define BOUND16_INF 0xffffu

static uint64_t Bound16Value(uint16_t b)
{
    if (b == BOUND16_INF)
        return UINT64_MAX;
    return (uint64_t)(b & 0x7ff) << (b >> 11);
}

static uint16_t Bound16(uint64_t v)
{
    unsigned e = 0;
    while (v >= 0x800) {
        v = (v >> 1) + (v & 1); /* rounds up */
        e++;
    }
    if (e > 31)
        return BOUND16_INF;
    uint16_t b = (uint16_t)(e << 11 | v);
    return b == BOUND16_INF ? BOUND16_INF : b;
}

static uint16_t Bound16Add(uint16_t b, uint64_t v)
{
    const uint64_t was = Bound16Value(b);
    return was > UINT64_MAX - v ? BOUND16_INF : Bound16(was + v);
}

void AzDigestAdd(uint32_t hash, uint32_t cls, uint8_t state, const uint64_t *counters)
{
    if (g_digest == NULL)
        return;
    struct digest_slot *d = &g_digest[hash & g_mask];
    const uint64_t was = atomic_load_explicit(&d->classes, memory_order_relaxed);
    uint64_t now;
    const uint32_t c0 = DigestClass(was, 0), c1 = DigestClass(was, 1);
    int i;
    if (c0 == DIGEST_MIXED || cls == 0 || cls > DIGEST_CLASS_MAX)
        i = -1;
    else if (c0 == 0 || c0 == cls)
        i = 0;
    else if (c1 == 0 || c1 == cls)
        i = 1;
    else
        i = -1;
    if (i < 0) {
        now = DIGEST_MIXED;
    } else {
        /* The class's first key sets its fingerprint; a key of another
         * fingerprint widens it to "any", which it then stays. */
        const unsigned fp = DigestFingerprint(hash);
        const uint64_t had = DigestField(was, DIGEST_FPS_AT(i), 6);
        const uint64_t fps = DigestClass(was, i) == 0 || had == fp ? fp : DIGEST_FP_ANY;
        now = (was & ~(63ull << DIGEST_FPS_AT(i))) | fps << DIGEST_FPS_AT(i) |
              (uint64_t)cls << (DIGEST_CLASS_BITS * i) |
              1ull << (DIGEST_STATES_AT(i) + (state % 5));
        if (counters != NULL)
            now |= DIGEST_HAVE_COUNTERS;
    }
    bool changed = now != was;
    atomic_store_explicit(&d->classes, now, memory_order_relaxed);
    if (counters != NULL) {
        const uint64_t c = atomic_load_explicit(&d->counters, memory_order_relaxed);
        uint64_t nc = 0;
        for (int i = 0; i < 4; i++)
            nc |= (uint64_t)Bound16Add((uint16_t)(c >> (16 * i)), counters[i]) << (16 * i);
        changed |= nc != c;
        atomic_store_explicit(&d->counters, nc, memory_order_relaxed);
    }
    if (changed)
        atomic_fetch_add_explicit(&az_index_digest_epoch, 1, memory_order_release);
}

size_t AzDigestSize(size_t nbuckets)
{
    return nbuckets * sizeof(struct digest_slot);
}

void AzDigestAttach(void *slots, size_t nbuckets)
{
    g_digest = slots;
    g_mask = nbuckets - 1;
    atomic_fetch_add(&az_index_digest_epoch, 1); /* a new index */
}

void *AzDigestDetach(void)
{
    void *slots = g_digest;
    g_digest = NULL;
    atomic_fetch_add(&az_index_digest_epoch, 1); /* no index */
    return slots;
}

bool AzIndexDigest(const struct az_key *k, struct az_digest *out)
{
    if (g_digest == NULL)
        return false;
    const uint32_t hash = AzKeyHash(k); /* once: the bucket and the fingerprint */
    const struct digest_slot *d = &g_digest[hash & g_mask];
    const uint64_t c = atomic_load_explicit(&d->classes, memory_order_acquire);
    const uint64_t n = atomic_load_explicit(&d->counters, memory_order_relaxed);
    if (DigestClass(c, 0) == DIGEST_MIXED)
        return false;
    const unsigned fp = DigestFingerprint(hash);
    memset(out, 0, sizeof(*out));
    int got = 0;
    for (int i = 0; i < 2; i++) {
        const uint32_t cls = DigestClass(c, i);
        const uint64_t fps = DigestField(c, DIGEST_FPS_AT(i), 6);
        if (cls == 0 || (fps != fp && fps != DIGEST_FP_ANY))
            continue; /* no key with this one's fingerprint brought it */
        out->classes[got] = cls;
        out->states |= (uint16_t)(DigestField(c, DIGEST_STATES_AT(i), 5) << (8 * got));
        got++;
    }
    out->have = (c & DIGEST_HAVE_COUNTERS) ? AZ_HAVE_COUNTERS : 0;
    out->pkts_toserver = Bound16Value((uint16_t)n);
    out->pkts_toclient = Bound16Value((uint16_t)(n >> 16));
    out->bytes_toserver = Bound16Value((uint16_t)(n >> 32));
    out->bytes_toclient = Bound16Value((uint16_t)(n >> 48));
    return true;
}

void AzIndexPrefetchDigest(const struct az_key *k)
{
    if (g_digest != NULL)
        __builtin_prefetch(&g_digest[AzKeyHash(k) & g_mask]);
}
