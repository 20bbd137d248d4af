/* azflow plugin: the correlation index — flow-log records keyed by their
 * direction-normalised 5-tuple and time, bounded by correlation.memcap. */
#ifndef AZFLOW_INDEX_H
#define AZFLOW_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "flowlog.h"
#include "flowinfo.h"

/* A 5-tuple with the lower (address, port) end first, so both directions of
 * a conversation share one key.  Protocols without ports key on 0. */
struct az_key {
    uint8_t lo[16], hi[16];
    uint16_t plo, phi;
    uint8_t proto;
    uint8_t family; /* 4 or 6 */
};

/* The key's hash, for the index and the recent-flows memory: five 64-bit
 * multiply-mix rounds instead of a byte-at-a-time loop (this runs once or
 * twice per flow on the packet path). */
static inline uint32_t AzKeyHash(const struct az_key *k)
{
    uint64_t w[5] = { 0 };
    _Static_assert(sizeof(struct az_key) <= sizeof(w), "key hash reads 40 bytes");
    __builtin_memcpy(w, k, sizeof(*k));
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 5; i++) {
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

/* Builds the key of one end pair; returns true when (a, pa) became `lo`.
 * Ports count only for TCP, UDP and SCTP: for other protocols Suricata's
 * flow keeps ICMP types or an ESP SPI there, which no flow log carries. */
bool AzKeyMake(struct az_key *k, uint8_t family, const uint8_t *a, uint16_t pa, const uint8_t *b,
        uint16_t pb, uint8_t proto);
/* The key of a flow-log tuple (its source as `a`). */
bool AzKeyFromTuple(struct az_key *k, const struct azf_tuple *t);

/* The most hash buckets the index makes (a power of two). */
#define AZ_MAX_BUCKETS (1u << 24)

/* `buckets` (a power of two) overrides the count the memcap gives; 0 keeps it. */
int AzIndexInit(uint64_t memcap, uint64_t window_s, uint32_t buckets);
void AzIndexDestroy(void);

/* Adds one tuple; interns its strings; evicts the oldest records past the
 * memcap (counted in azure.records_evicted).  Thread-safe. */
int AzIndexAdd(const struct azf_tuple *t, const char *blob);
/* Adds a record already delivered before a restart (follow-mode replay):
 * it correlates, but yields no azure_flow event and no synthetic packet
 * again. */
int AzIndexAddReplayed(const struct azf_tuple *t, const char *blob);

/* What a flow's last aggregate saw, so that the next one can tell, without
 * walking the index, that it would fold exactly the same records: nothing
 * was added to or evicted from the key's bucket since (its generation), and
 * no record of the key lies between the old and the new end of the window.
 * Zero-initialised means "never aggregated". */
struct az_probe {
    uint32_t bucket;
    uint32_t gen;
    uint64_t gen_all;       /* the whole index's generation then */
    int64_t from_us, to_us; /* the window folded */
    int64_t next_us;        /* earliest record of the key after to_us */
    bool valid;
};

/* Folds every record of `k` whose time lies within the correlation window of
 * [first_us, last_us] (a flow's lifetime so far) into `out` (reset first); a
 * record's time is any moment of the unit its log truncated it to
 * (azf_tuple.ts_res_us: a second for NSG).
 * Records folded here for the first time are counted as correlated.  With a
 * `probe` from the previous call for the same key, returns at once, leaving
 * `out` untouched, when that fold would not change.  Returns the number of
 * records.  Safe from any thread. */
uint32_t AzIndexAggregate(const struct az_key *k, int64_t first_us, int64_t last_us,
        struct az_flowinfo *out, struct az_probe *probe);
/* Starts loading what a first AzIndexAggregate of k reads first, for a
 * caller with other work to do in between (a lookup is a cache miss). */
void AzIndexPrefetch(const struct az_key *k);

/* --- the facts digest (digest.c) ------------------------------------------
 * What every record a key ever had could tell a flow of it, without
 * walking its records: at most two fact classes (source, version,
 * direction, decision, encryption, rule, acl), the states each was seen
 * in, whether any record had counters, and an upper bound of each
 * counter's sum.
 * It only widens (eviction and keys sharing a slot leave their marks), so
 * a rule that cannot hold on any of it cannot hold on the key's flows. */
struct az_digest {
    uint32_t classes[2]; /* 0: none (no record at all when classes[0] is 0) */
    uint16_t states;     /* bit 1 << enum azf_state << 8 * i for each state class i was seen in */
    uint8_t have;        /* AZ_HAVE_COUNTERS when any record had counters */
    uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
};

/* Changes after every change to any key's digest (acquire): a decision
 * taken on a digest read after it holds until it changes. */
static inline uint64_t AzIndexDigestEpoch(void)
{
    /* Inline: the rule engine reads it on every packet of a ruled-out flow. */
    extern _Atomic uint64_t az_index_digest_epoch;
    return atomic_load_explicit(&az_index_digest_epoch, memory_order_acquire);
}
/* The key's digest: only the classes that keys with k's fingerprint
 * brought to its slot (so a neighbour's may remain).  False when it tells
 * nothing (more than two classes share the slot), so the key's records
 * must be looked up. */
bool AzIndexDigest(const struct az_key *k, struct az_digest *d);
/* Starts loading k's digest slot, as AzIndexPrefetch does its bucket. */
void AzIndexPrefetchDigest(const struct az_key *k);
/* The aggregate one record of class `cls` in `state` would fold into, with
 * d's counter bounds and `have`: what a rule would see on the best case of
 * the key. */
void AzIndexClassInfo(uint32_t cls, uint8_t state, const struct az_digest *d,
        struct az_flowinfo *out);

/* Offline: orders records by time once everything is loaded, so azure_flow
 * events come out in time order. */
void AzIndexSortByTime(void);

/* --- records in time order ----------------------------------------------
 * Two independent readers walk the records in time order, each behind its
 * own cursor: the azure_flow event writer, and capture mode's merge of
 * records into the packet stream.  A cursor takes a record once packet time
 * has passed it by the correlation window (so its mirrored flow, if any, is
 * known).  Eviction past the memcap moves cursors on. */
enum az_cursor { AZ_CURSOR_EVENTS = 0, AZ_CURSOR_MERGE = 1, AZ_NCURSORS = 2 };

/* One record, copied out of the index. */
struct az_event {
    struct azf_tuple tuple; /* strings point at interned copies */
    const char *blob;
};

/* A new run (unix-socket mode: the next pcap-file command) starts: the
 * cursors go back to the oldest record and no record counts as correlated
 * yet, so the run's output is what `-r` of its pcap would give.  Call with
 * no packet thread running. */
void AzIndexRunStart(void);
/* Turns a cursor on: only then does it take records. */
void AzIndexCursorEnable(enum az_cursor c);
/* Is the cursor's next record due (its time + window <= now)? */
bool AzIndexDue(enum az_cursor c, int64_t now_us);
/* Takes up to `max` due records (every remaining one when `flush`). */
size_t AzIndexTake(enum az_cursor c, int64_t now_us, bool flush, struct az_event *out, size_t max);

#endif
