/* azflow plugin: the history of mirrored flows — every flow Suricata saw,
 * kept from its first packet until `correlation.delay` (plus the window)
 * after its last, so a record that arrives after its flow still learns the
 * flow's id and `mirrored`, and live, can be brought back to the worker
 * that owns the flow.  Bounded by time first and by a memcap second; what
 * the memcap evicts early is counted (azure.history_evicted). */
#ifndef AZFLOW_RECENT_H
#define AZFLOW_RECENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "index.h"

struct az_worker;

/* What it takes to send a header-only packet of a flow to the worker that
 * owns it: the flow's own addresses and ports as Suricata keeps them
 * (f->src is the side that sent the first packet), the fields its flow
 * hash compares, and the owner.  Filled in the owning worker at the flow's
 * first packet, under the flow lock. */
struct az_live {
    struct az_worker *worker;
    void *livedev;
    uint8_t src[16], dst[16];
    uint16_t sp, dp; /* TCP, UDP */
    /* ICMP, ICMPv6: the type and code of packets from src ([0], Suricata's
     * icmp_s) and from dst ([1], icmp_d): with the addresses, what
     * Suricata's flow lookup compares for them. */
    uint8_t icmp_type[2], icmp_code[2];
    /* The TTL (hop limit) of the first packet from src [0] and from dst
     * [1], 0 while none: within the flow's min and max for its direction,
     * so a surrogate from that host that carries it leaves them as they
     * were.  By host, not direction: Suricata may reverse the flow. */
    uint8_t ttl[2];
    uint16_t vlan_id[3];
    uint8_t vlan_idx;
    uint8_t recursion_level;
    uint8_t proto;
    uint8_t family; /* 4 or 6 */
    bool reversed;      /* FLOW_DIR_REVERSED: toserver is dst -> src */
    bool toclient_seen; /* a packet went server -> client */
    /* The direction of the flow's first established packet (1 toserver,
     * 2 toclient, 0 none yet): a rule on `flow:established` alone fired
     * there offline, so its surrogate goes first. */
    uint8_t first_established;
    /* Held in the table for its records (correlate.c): it cannot leave
     * before a surrogate reaches it. */
    bool held;
};

/* One remembered flow as a lookup returns it. */
struct az_flow_seen {
    uint64_t flow_id;
    int64_t start_us, end_us; /* end 0: still in Suricata's flow table */
    struct az_live live;
};

/* window_s: how far a record's time may lie outside a flow's lifetime;
 * delay_s: how long after its last packet a record may still arrive;
 * memcap: bytes for the whole history. */
int AzRecentInit(uint64_t memcap, uint64_t window_s, uint64_t delay_s);
void AzRecentDestroy(void);
/* Forgets every flow: a new run (unix-socket mode: the next pcap-file
 * command) has flows of its own. */
void AzRecentClear(void);
/* Only the azure_flow event writer, capture mode's merge and late-record
 * detection ask the history; until one of them enables it (before the first
 * packet), noting is a no-op and flows skip it. */
void AzRecentEnable(void);
extern _Atomic bool az_recent_enabled;
static inline bool AzRecentEnabled(void)
{
    return atomic_load_explicit(&az_recent_enabled, memory_order_relaxed);
}
/* Remembers (or updates, matched by flow_id) a flow; end_us 0 = still live.
 * `live`, when not NULL, replaces the flow's injection details. */
void AzRecentNote(const struct az_key *k, uint64_t flow_id, int64_t start_us, int64_t end_us,
        const struct az_live *live);
/* The flow_id of a remembered flow whose lifetime, widened by the window,
 * holds some moment of [ts_us, ts_us + res_us) (a record's time and the
 * unit its log truncated it to, azf_tuple.ts_res_us; 0 as 1): the mirrored
 * flow a record belongs to (of several, the one nearest it); 0 when none. */
uint64_t AzRecentFind(const struct az_key *k, int64_t ts_us, uint32_t res_us);
/* Like AzRecentFind, but copies up to `max` of the matching flows (latest
 * start first is not promised); returns how many matched. */
size_t AzRecentFindAll(const struct az_key *k, int64_t ts_us, uint32_t res_us,
        struct az_flow_seen *out, size_t max);
/* Bytes one remembered flow costs (for the README and the bench). */
size_t AzRecentEntryBytes(void);

#endif
