/* azflow plugin: correlation of Suricata flows with flow-log records.  A
 * flow folds the records of its 5-tuple within the window of its lifetime:
 * when its azure info is first used, again as packet time moves on (records
 * read later by the follower attach to the live flow), and once more when
 * it is logged.
 *
 * A flow's state is made on demand, by the first rule or EVE record that
 * asks for it, so a flow nothing asks about costs no lookup and packets do
 * not touch memory of the plugin's.  Two readers need every mirrored flow
 * from its first packet: the recent-flows memory (azure_flow events and
 * capture mode learn flow ids and lifetimes from it) and capture mode's
 * packet metadata; with either on, the state is made at flow start and kept
 * current by the per-packet callback.
 *
 * On a live sensor with a following source (late.h) every flow is noted in
 * the history with what it takes to reach its worker, held in the flow
 * table until its final record came (or correlation.delay passed), and a
 * surrogate packet the late-record sender queued re-folds its records. */
#include "suricata-common.h"
#include "decode.h"
#include "flow.h"
#include "flow-callbacks.h"
#include "output-flow.h"
#include "flow-storage.h"
#include "flow-hash.h"
#include "flow-private.h"
#include "stream-tcp-private.h"
#include "suricata.h"
#include "util-debug.h"

#include "azure_json.h"
#include "capture/capture_mode.h"
#include "correlate.h"
#include "flowinfo.h"
#include "pktmeta.h"
#include "index.h"
#include "late.h"
#include "recent.h"
#include "sctime.h"
#include "stats.h"

/* Re-fold a flow's records at most this often (packet time), which bounds
 * the per-packet cost to one comparison. */
#define AZ_REFRESH_US 1000000

/* vTAP delivers mirrored traffic as VXLAN on this port; the outer carrier
 * flow must never be correlated, only the inner flows. */
#define AZ_VXLAN_PORT 4789

/* What a header-only packet could make Suricata's TCP state machine
 * change, kept from its arrival until it has been through stream and
 * detection (AzCorrelateAfterPacket puts it back). */
struct az_tcp_saved {
    const void *ssn; /* NULL: nothing kept */
    bool closed_by_rst, client_rst, server_rst;
    uint8_t state, pstate;
};

struct az_flowstate {
    /* First, so the rule engine's per-packet read touches one cache line. */
    uint32_t generation; /* bumped whenever info changes (AzFlowFactsGeneration) */
    struct az_detect_memo memo;
    struct az_flowinfo info;
    struct az_key key;
    struct az_probe probe; /* lets a refresh that would change nothing skip the index */
    int64_t start_us, last_us, refreshed_us;
    uint64_t flow_id;
    bool note_due; /* to be noted in the recent-flows memory at its next packet */
    bool noted;
    bool enriched;
    bool synthetic; /* capture mode: made from a flow-log record */
    bool json_valid; /* json matches info */
    /* Live, late records (late.h): */
    bool retain;              /* held in the flow table until final or delay */
    struct az_live live;      /* as last noted in the history */
    struct az_tcp_saved tcp;  /* the session as a surrogate found it (SurrogateArrived) */
    uint64_t ghost_of;        /* made by a surrogate whose flow had gone: its id */
    int64_t ghost_end_us;     /* and that flow's last packet (see Refresh) */
    struct az_jbuf json; /* "azure":{…} of info, for every EVE record of the flow */
    struct az_jbuf json_ext; /* json with the late/ghost members */
};

static FlowStorageId g_storage = { .id = -1 };
/* No flow-log source configured: nothing can ever correlate, so flows only
 * carry capture-mode metadata and skip the index and the recent-flows memory. */
static bool g_no_records;
/* Stored for a tunnel's outer (carrier) flow, which never correlates, so
 * that no reader makes a state for it later. */
static struct az_flowstate g_carrier;
/* AzFlowFactsFilterLoaded: a rule engine will read new flows' digests. */
static _Atomic bool g_filter_loaded;

/* A flow the rule engine found no loaded rule could ever match (by its
 * digest, index.h) keeps no state, only this mark in its storage slot: the
 * digest epoch and rules version it was decided under, tagged with the low
 * bit no state's address has.  Every other reader treats the mark as "no
 * state yet" and makes one, as if nothing had asked before. */
static inline bool IsMark(const void *p)
{
    return ((uintptr_t)p & 1) != 0;
}

static inline void *Mark(uint64_t epoch, uint32_t version)
{
    _Static_assert(sizeof(uintptr_t) == 8, "marks need 64-bit pointers");
    return (void *)(uintptr_t)((epoch << 33) | ((uint64_t)version << 1) | 1);
}

static void Refresh(struct az_flowstate *st, int64_t now_us)
{
    /* A stand-in for a flow that had gone has the original's start as its
     * only packet time, but the original's records lie in the window of
     * its whole lifetime: the end record of a flow longer than the window
     * would be out of reach. */
    if (now_us < st->ghost_end_us)
        now_us = st->ghost_end_us;
    st->refreshed_us = now_us;
    if (g_no_records)
        return;
    struct az_flowinfo before = st->info;
    AzIndexAggregate(&st->key, st->start_us, now_us, &st->info, &st->probe);
    /* Both copies come zeroed from the same writers, padding included. */
    if (memcmp(&before, &st->info, sizeof(before)) != 0) {
        /* Every reader of info keys on this change: EVE rebuilds its
         * object, the rule engine re-evaluates the flow's rules. */
        st->json_valid = false;
        if (++st->generation == 0)
            st->generation = 1; /* 0 means "no facts" */
    }
    if (st->info.records > 0 && !st->enriched) {
        st->enriched = true;
        AZ_STAT_ADD(flows_enriched, 1);
    }
}

static bool IsCarrier(const Flow *f, const Packet *p)
{
    return PacketIsTunnelRoot(p) ||
           (f->recursion_level == 0 && f->proto == IPPROTO_UDP && f->dp == AZ_VXLAN_PORT);
}

/* A new state for a mirrored flow, its records not folded yet; NULL for a
 * flow that is neither IPv4 nor IPv6, or when out of memory (the flow then
 * goes unenriched rather than failing). */
/* The flow's index key; false for a flow that is neither IPv4 nor IPv6. */
static bool KeyOfFlow(const Flow *f, struct az_key *key)
{
    uint8_t family;
    if (FLOW_IS_IPV4(f))
        family = 4;
    else if (FLOW_IS_IPV6(f))
        family = 6;
    else
        return false;
    AzKeyMake(key, family, f->src.addr_data8, f->sp, f->dst.addr_data8, f->dp, f->proto);
    return true;
}

static struct az_flowstate *StateNew(Flow *f)
{
    struct az_key key;
    if (!KeyOfFlow(f, &key))
        return NULL;
    if (!g_no_records)
        AzIndexPrefetch(&key); /* its cache miss overlaps the allocation below */
    struct az_flowstate *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->key = key;
    st->generation = 1;
    st->info.mirrored = true;
    st->start_us = st->last_us = AzTimeUs(f->startts);
    return st;
}

/* The flow's state, made now if nothing asked for it before; NULL for a
 * carrier flow, or when it cannot be made.  Called with the flow locked. */
static struct az_flowstate *State(Flow *f)
{
    struct az_flowstate *st = FlowGetStorageById(f, g_storage);
    if (st == &g_carrier)
        return NULL;
    if (IsMark(st))
        st = NULL;
    if (st == NULL && !g_no_records && (st = StateNew(f)) != NULL) {
        Refresh(st, AzTimeUs(f->lastts)); /* the lifetime so far, in one fold */
        FlowSetStorageById(f, g_storage, st);
    }
    return st;
}

/* Folds what packet time has brought into reach since the last refresh (at
 * most once a second of it; f->lastts is the packet being handled, or the
 * flow's last one). */
static void RefreshIfDue(struct az_flowstate *st, const Flow *f)
{
    if (st->synthetic)
        return; /* stamped at merge time; the records' own time is what counts */
    int64_t now = AzTimeUs(f->lastts);
    if (now - st->refreshed_us >= AZ_REFRESH_US)
        Refresh(st, now);
}

static const struct az_flowinfo *Info(const struct az_flowstate *st)
{
    const struct az_flowinfo *in = &st->info;
    return (in->records > 0 || in->vpn != AZ_VPN_NONE || in->capture != NULL) ? in : NULL;
}

const struct az_flowinfo *AzFlowInfoGet(Flow *f)
{
    if (f == NULL || g_storage.id < 0)
        return NULL;
    struct az_flowstate *st = State(f);
    if (st == NULL)
        return NULL;
    RefreshIfDue(st, f);
    return Info(st);
}

/* The rule engine's first look at a flow without a state: true (and the
 * flow marked) when its key's digest shows no loaded rule could match. */
static bool __attribute__((noinline)) Unmatchable(Flow *f, const struct az_facts_filter *filter,
        bool remark)
{
    struct az_key key;
    if (!KeyOfFlow(f, &key))
        return false;
    /* Read before the digest: a record added meanwhile moves the epoch
     * past this mark, and the next packet decides again. */
    const uint64_t epoch = AzIndexDigestEpoch();
    struct az_digest d;
    if (!AzIndexDigest(&key, &d) || filter->CouldHold(filter->arg, &d))
        return false;
    f->storage[g_storage.id].ptr = Mark(epoch, filter->version);
    if (!remark)
        AZ_STAT_ADD(detect_flows_unmatchable, 1);
    return true;
}

void AzFlowFactsFilterLoaded(bool loaded)
{
    atomic_store_explicit(&g_filter_loaded, loaded, memory_order_relaxed);
}

/* AzFlowFactsGeneration for a flow without a state, or marked under an
 * older epoch or rules: out of line, so that the per-packet path stays a
 * few instructions in one or two cache lines (the engine's cost on the
 * bench was instruction-cache misses, not instructions). */
static uint32_t __attribute__((noinline, cold)) FactsGenerationSlow(Flow *f,
        struct az_flowstate *st, struct az_detect_memo **memo,
        const struct az_flowinfo **info, const struct az_facts_filter *filter)
{
    if (IsMark(st)) {
        if (filter != NULL && Unmatchable(f, filter, true))
            return 0;
        st = NULL;
    } else if (filter != NULL && !g_no_records && Unmatchable(f, filter, false)) {
        return 0;
    }
    if ((st = State(f)) == NULL)
        return 0;
    RefreshIfDue(st, f);
    if ((*info = Info(st)) == NULL)
        return 0;
    *memo = &st->memo;
    return st->generation;
}

uint32_t __attribute__((hot)) AzFlowFactsGeneration(Flow *f, struct az_detect_memo **memo,
        const struct az_flowinfo **info, const struct az_facts_filter *filter)
{
    if (g_storage.id < 0)
        return 0;
    /* Once per packet for the rule engine: read the storage slot the way
     * FlowGetStorageById does, without its two calls (the engine is bound
     * to the host's layouts anyway, see host_guard.h). */
    struct az_flowstate *st = f->storage[g_storage.id].ptr;
    if (st == &g_carrier)
        return 0;
    if (IsMark(st) && filter != NULL && st == Mark(AzIndexDigestEpoch(), filter->version))
        return 0; /* ruled out, and nothing changed since */
    if (unlikely(st == NULL || IsMark(st)))
        return FactsGenerationSlow(f, st, memo, info, filter);
    RefreshIfDue(st, f);
    if ((*info = Info(st)) == NULL)
        return 0;
    *memo = &st->memo;
    return st->generation;
}

static void OnFlowInit(ThreadVars *tv, Flow *f, const Packet *p, void *user)
{
    if (IsCarrier(f, p)) {
        FlowSetStorageById(f, g_storage, &g_carrier);
        return;
    }
    const struct az_pktmeta *m = AzPktMeta(p);
    bool late = AzLateIsSurrogate(p);
    if (m == NULL && !late && (g_no_records || !AzRecentEnabled())) {
        /* Made on demand, if anything asks: the rule engine will, at this
         * packet's detection, and read the key's digest slot first. */
        struct az_key key;
        if (!g_no_records && atomic_load_explicit(&g_filter_loaded, memory_order_relaxed) &&
                KeyOfFlow(f, &key))
            AzIndexPrefetchDigest(&key);
        return;
    }
    struct az_flowstate *st = StateNew(f);
    if (st == NULL)
        return;
    if (late) {
        /* The flow a late record belongs to had left the table before its
         * surrogate came (evicted, or later than the delay): this new flow
         * stands in for it and names it. */
        st->ghost_of = AzLateSurrogateFlowId(p);
        st->ghost_end_us = AzLateSurrogateFlowEnd(p);
        AZ_STAT_ADD(late_flow_gone, 1);
        Refresh(st, st->start_us);
        FlowSetStorageById(f, g_storage, st);
        return;
    }
    if (m != NULL) {
        if (m->flags & AZ_PKT_SYNTHETIC) {
            /* A cloud-only record: its flow is the record's, at the
             * record's time (the packet is stamped later, see merge). */
            st->synthetic = true;
            st->info.mirrored = false;
            st->start_us = m->record_ts_us;
        }
        st->info.vpn = m->vpn_layer;
        st->info.tunnel = AzCaptureTunnel(m->tunnel_id);
        st->info.capture = AzCaptureFile(m->file_id);
    }
    /* Decided once per flow, so a packet pays one test for it. */
    st->note_due = !g_no_records && !st->synthetic && AzRecentEnabled();
    st->retain = st->note_due && AzLateActive();
    if (st->retain)
        AZ_STAT_ADD(flows_retained, 1);
    Refresh(st, st->start_us);
    FlowSetStorageById(f, g_storage, st);
}

/* The details a surrogate of this flow needs (late.c), from the flow as
 * Suricata keeps it.  Called with the flow locked. */
static void LiveFill(struct az_live *l, const Flow *f)
{
    memset(l, 0, sizeof(*l));
    l->worker = AzLateWorker();
    l->livedev = (void *)f->livedev;
    memcpy(l->src, f->src.addr_data8, sizeof(l->src));
    memcpy(l->dst, f->dst.addr_data8, sizeof(l->dst));
    if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) {
        l->icmp_type[0] = f->icmp_s.type;
        l->icmp_code[0] = f->icmp_s.code;
        l->icmp_type[1] = f->icmp_d.type;
        l->icmp_code[1] = f->icmp_d.code;
    } else {
        l->sp = f->sp;
        l->dp = f->dp;
    }
    _Static_assert(sizeof(l->vlan_id) == sizeof(f->vlan_id), "vlan layers");
    memcpy(l->vlan_id, f->vlan_id, sizeof(l->vlan_id));
    l->vlan_idx = f->vlan_idx;
    l->recursion_level = f->recursion_level;
    l->proto = f->proto;
    l->family = FLOW_IS_IPV4(f) ? 4 : 6;
    l->reversed = (f->flags & FLOW_DIR_REVERSED) != 0;
    l->toclient_seen = f->tosrcpktcnt > 0;
    l->ttl[0] = f->max_ttl_toserver; /* the first packet's: from src, before any reversal */
}

/* Read as bytes: a capture's headers need not be aligned for the header
 * structs (an Ethernet header before them is 14 bytes). */
static inline uint32_t WithBit(uint32_t v, uint32_t bit, bool on)
{
    return on ? v | bit : v & ~bit;
}

static uint8_t PacketTtl(const Packet *p)
{
    if (PacketIsIPv4(p))
        return ((const uint8_t *)PacketGetIPv4(p))[8];  /* IPv4 TTL */
    if (PacketIsIPv6(p))
        return ((const uint8_t *)PacketGetIPv6(p))[7];  /* IPv6 hop limit */
    return 0;
}

/* Is the flow's record set complete: Azure writes nothing more for it?
 * Only a record of this flow's own time says so: with a reused port the
 * window also folds the previous connection's end record, and its end is
 * not this flow's (a log's time stands for its whole second, hence the
 * second's slack). */
static bool RecordsFinal(const struct az_flowstate *st)
{
    const struct az_flowinfo *in = &st->info;
    return in->records > 0 && in->latest_ts_us + 1000000 > st->start_us &&
           (in->state == AZF_STATE_END || in->state == AZF_STATE_DENY || in->state == AZF_STATE_NONE ||
                   in->decision == AZF_DECISION_DENY);
}

/* Seconds a flow stays after its final record was folded: surrogates of
 * the same poll still in flight, and records of the flow's other NIC
 * committed beside it, find it. */
#define AZ_RETAIN_GRACE_S 5

static void RetainRelease(struct az_flowstate *st, Flow *f)
{
    st->retain = false;
    AZ_STAT_SUB(flows_retained, 1);
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t idle = (int64_t)now.tv_sec - (int64_t)SCTIME_SECS(f->lastts);
    /* Suricata's own timeout for the state the flow is in now, worked out
     * afresh: the value it chose when the flow was last raised may belong
     * to an earlier state (a state whose own timeout is above the delay
     * was left alone, and lowering to the old value would end the flow
     * before its time). */
    uint32_t keep = FlowGetTimeoutPolicy(f);
    if (idle > 0 && (uint64_t)idle + AZ_RETAIN_GRACE_S > keep)
        keep = (uint32_t)(idle + AZ_RETAIN_GRACE_S);
    if (f->timeout_policy > keep) {
        f->timeout_policy = keep;
        /* The flow manager skips a row until its next timeout: let it look
         * at this one again. */
        if (f->fb != NULL)
            SC_ATOMIC_SET(f->fb->next_ts, 0);
    }
}

/* A surrogate reached its flow: it is not traffic, so the flow's counters
 * forget it, and the records that came late are folded now, whatever the
 * packet time says. */
static void SurrogateArrived(struct az_flowstate *st, Flow *f, const Packet *p)
{
    /* A session closed by a RST takes a packet from the RST's sender for
     * an injection after the RST: it clears the RST marks and goes back to
     * the state before (stream-tcp.c, StreamTcpPacketStateClosed and
     * StreamTcpPacketCheckPostRst), so a refused connection would read
     * as half-open, and a retry on its 5-tuple would join it instead of
     * starting a flow.  The surrogate is not traffic: whatever it changes
     * there is undone once it has been through stream and detection. */
    st->tcp.ssn = NULL;
    if (f->proto == IPPROTO_TCP && f->protoctx != NULL) {
        const TcpSession *ssn = f->protoctx;
        st->tcp = (struct az_tcp_saved){ .ssn = ssn,
            .closed_by_rst = (ssn->flags & STREAMTCP_FLAG_CLOSED_BY_RST) != 0,
            .client_rst = (ssn->client.flags & STREAMTCP_STREAM_FLAG_RST_RECV) != 0,
            .server_rst = (ssn->server.flags & STREAMTCP_STREAM_FLAG_RST_RECV) != 0,
            .state = ssn->state, .pstate = ssn->pstate };
    }
    if (p->flowflags & FLOW_PKT_TOSERVER) {
        f->todstpktcnt--;
        f->todstbytecnt -= GET_PKT_LEN(p);
    } else {
        f->tosrcpktcnt--;
        f->tosrcbytecnt -= GET_PKT_LEN(p);
    }
    Refresh(st, AzTimeUs(f->lastts));
}

static void OnFlowUpdate(ThreadVars *tv, Flow *f, Packet *p, void *user)
{
    /* Without the recent-flows memory, states are made and refreshed on
     * demand; capture mode always has the memory on. */
    if (!AzRecentEnabled())
        return;
    struct az_flowstate *st = FlowGetStorageById(f, g_storage);
    if (st == NULL || st == &g_carrier || IsMark(st))
        return;
    if (AzLateIsSurrogate(p)) {
        SurrogateArrived(st, f, p);
        return;
    }
    int64_t now = AzTimeUs(p->ts);
    if (st->synthetic) {
        /* Stamped at merge time; the records' own time is what counts. */
        return;
    }
    st->last_us = now;
    if (AzCaptureVpnUpdate(&st->info, p))
        st->json_valid = false;
    if (st->note_due) {
        /* flow_hash, part of the flow id, is set only after FlowInit. */
        st->flow_id = FlowGetId(f);
        st->note_due = false;
        st->noted = true;
        bool live = AzLateActive();
        if (live) {
            LiveFill(&st->live, f);
            st->live.held = st->retain;
        }
        AzRecentNote(&st->key, st->flow_id, st->start_us, 0, live ? &st->live : NULL);
    }
    if (now - st->refreshed_us >= AZ_REFRESH_US)
        Refresh(st, now);
}

/* A stand-in's one packet time is its original's start (late.c), so by
 * Suricata's own timeout it would go at the flow manager's next look, and
 * the original's next record, a commit later, would make another stand-in
 * and raise its alerts again.  It stays as the original would have: until
 * `delay` after the original's end, or the grace once its final record
 * came.  Its timeout counts from that start, hence the arithmetic. */
static void GhostHold(const struct az_flowstate *st, Flow *f)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t until = (int64_t)now.tv_sec + AZ_RETAIN_GRACE_S;
    if (!RecordsFinal(st)) {
        int64_t end = (st->ghost_end_us > st->start_us ? st->ghost_end_us : st->start_us) / 1000000;
        if (end + (int64_t)AzLateDelay() > until)
            until = end + (int64_t)AzLateDelay();
    }
    int64_t keep = until - (int64_t)SCTIME_SECS(f->lastts);
    f->timeout_policy = keep <= 0 ? 0 : keep >= UINT32_MAX ? UINT32_MAX : (uint32_t)keep;
    /* Lowered at the final record: the flow manager skips a row until its
     * next timeout. */
    if (f->fb != NULL)
        SC_ATOMIC_SET(f->fb->next_ts, 0);
}

void AzCorrelateAfterPacket(Flow *f, const Packet *p)
{
    struct az_flowstate *st = FlowGetStorageById(f, g_storage);
    if (st == NULL || st == &g_carrier || IsMark(st))
        return;
    const bool surrogate = AzLateIsSurrogate(p);
    /* The surrogate's own call: packets stream made while handling it
     * (pseudo packets of an app-layer change) are logged before it. Only
     * the state and the RST marks go back; what detection set on the
     * session on its way (raw-stream flags) stays. */
    if (st->tcp.ssn != NULL && surrogate) {
        TcpSession *ssn = f->protoctx;
        if (ssn == st->tcp.ssn) {
            const struct az_tcp_saved *t = &st->tcp;
            ssn->state = t->state;
            ssn->pstate = t->pstate;
            ssn->flags = WithBit(ssn->flags, STREAMTCP_FLAG_CLOSED_BY_RST, t->closed_by_rst);
            ssn->client.flags = WithBit(ssn->client.flags, STREAMTCP_STREAM_FLAG_RST_RECV, t->client_rst);
            ssn->server.flags = WithBit(ssn->server.flags, STREAMTCP_STREAM_FLAG_RST_RECV, t->server_rst);
        }
        st->tcp.ssn = NULL;
    }
    if (st->ghost_of != 0) {
        /* Only a stand-in kept away from its 5-tuple's bucket (its original
         * known to have ended, late.c): one in the bucket itself, made in
         * the moment between a flow's leaving the table and its end being
         * noted, would take the tuple's new connections while held. */
        if (surrogate && st->ghost_end_us != 0)
            GhostHold(st, f);
        return;
    }
    if (!st->noted)
        return;
    if (st->retain) {
        if (RecordsFinal(st)) {
            RetainRelease(st, f);
            st->live.held = false;
            AzRecentNote(&st->key, st->flow_id, st->start_us, 0, &st->live);
        } else {
            /* Stream and flow state changes set the policy anew on this
             * very packet; this runs after them. */
            const uint32_t delay = (uint32_t)AzLateDelay();
            if (f->timeout_policy < delay)
                f->timeout_policy = delay;
        }
    }
    /* A surrogate must take the direction Suricata gives the flow now, and
     * may go toclient once the flow has gone that way. */
    bool reversed = (f->flags & FLOW_DIR_REVERSED) != 0;
    bool toclient = f->tosrcpktcnt > 0;
    uint8_t first_est = st->live.first_established;
    if (first_est == 0 && (p->flowflags & FLOW_PKT_ESTABLISHED) && !surrogate)
        first_est = (p->flowflags & FLOW_PKT_TOSERVER) ? 1 : 2;
    /* The first packet from dst: toclient unless the flow is reversed (as
     * late.c reads az_live.reversed). */
    uint8_t ttl_dst = st->live.ttl[1];
    if (ttl_dst == 0 && !surrogate && ((p->flowflags & FLOW_PKT_TOCLIENT) != 0) != reversed)
        ttl_dst = PacketTtl(p);
    if (reversed != st->live.reversed || toclient != st->live.toclient_seen ||
            first_est != st->live.first_established || ttl_dst != st->live.ttl[1]) {
        st->live.reversed = reversed;
        st->live.toclient_seen = toclient;
        st->live.first_established = first_est;
        st->live.ttl[1] = ttl_dst;
        AzRecentNote(&st->key, st->flow_id, st->start_us, 0, &st->live);
    }
}

const char *AzFlowAzureJson(Flow *f, bool at_end, bool late)
{
    struct az_flowstate *st = f != NULL ? State(f) : NULL;
    if (st == NULL)
        return NULL;
    if (at_end && !st->synthetic)
        Refresh(st, AzTimeUs(f->lastts));
    else
        RefreshIfDue(st, f);
    if (Info(st) == NULL)
        return NULL;
    if (!st->json_valid) {
        if (AzAzureJson(&st->json, &st->info, true, NULL) < 0)
            return NULL;
        st->json_valid = true;
    }
    if (!late && st->ghost_of == 0)
        return st->json.p;
    if (AzAzureJsonExtend(&st->json_ext, &st->json, late, st->ghost_of) < 0)
        return NULL;
    return st->json_ext.p;
}

/* A flow freed while still held for its records, before its time: Suricata
 * evicted it (emergency mode: the flow table is full).  A record that comes
 * for it now can no longer raise an alert on this flow. */
static void RetainLost(const struct az_flowstate *st)
{
    if (suricata_ctl_flags != 0)
        return; /* shutting down: every flow goes */
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t now_us = (int64_t)now.tv_sec * 1000000 + now.tv_usec;
    if (now_us >= st->last_us + (int64_t)AzLateDelay() * 1000000 - 1000000)
        return; /* its time was up */
    AZ_STAT_ADD(flows_retain_evicted, 1);
    static _Atomic bool said;
    if (!atomic_exchange(&said, true))
        SCLogWarning("azflow: Suricata evicted flows still waiting for their flow-log records "
                     "(flow table full, emergency mode): alerts from records that arrive later "
                     "cannot reach those flows; counted in azure.flows_retain_evicted. Raise "
                     "flow.memcap and flow.hash-size for correlation.delay %" PRIu64 "s",
                AzLateDelay());
}

/* A new connection on a held flow's 5-tuple made Suricata end it (TCP
 * session reuse): the old connection is over, so this is no eviction for
 * want of room.  Its records find it gone and make a stand-in (late.c).
 * A flow logger, because Suricata 8.0.7 runs the flow finish callbacks on
 * the flow manager's path only, not on a worker's, where reused flows
 * end; every path logs a flow before it frees it. */
static int OnFlowEnd(ThreadVars *tv, void *thread_data, Flow *f)
{
    struct az_flowstate *st = FlowGetStorageById(f, g_storage);
    if (st == NULL || st == &g_carrier || IsMark(st) || !st->retain)
        return 0;
    if (f->flow_end_flags & FLOW_END_FLAG_TCPREUSE) {
        st->retain = false;
        AZ_STAT_SUB(flows_retained, 1);
    }
    return 0;
}

/* Suricata pairs each flow logger with a thread store by position: one
 * must exist, even empty. */
static TmEcode FlowEndThreadInit(ThreadVars *tv, const void *initdata, void **data)
{
    *data = NULL;
    return TM_ECODE_OK;
}

static TmEcode FlowEndThreadDeinit(ThreadVars *tv, void *data)
{
    return TM_ECODE_OK;
}

/* Runs on every path that frees a flow (unlike the finish callback). */
static void FlowStateFree(void *ptr)
{
    struct az_flowstate *st = ptr;
    if (st == &g_carrier || IsMark(st))
        return;
    if (st->noted)
        AzRecentNote(&st->key, st->flow_id, st->start_us, st->last_us, NULL);
    if (st->retain) {
        AZ_STAT_SUB(flows_retained, 1);
        RetainLost(st);
    }
    AzJbufFree(&st->json);
    AzJbufFree(&st->json_ext);
    free(st);
}

int AzCorrelateRegister(bool have_sources)
{
    g_no_records = !have_sources;
    g_storage = FlowStorageRegister("azflow", sizeof(void *), NULL, FlowStateFree);
    if (g_storage.id < 0)
        return -1;
    if (!SCFlowRegisterInitCallback(OnFlowInit, NULL) ||
            !SCFlowRegisterUpdateCallback(OnFlowUpdate, NULL))
        return -1;
    if (SCOutputRegisterFlowLogger("azflow-flow-end", OnFlowEnd, NULL, FlowEndThreadInit,
                FlowEndThreadDeinit) < 0)
        return -1;
    return 0;
}
