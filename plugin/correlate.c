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
 * current by the per-packet callback. */
#include "suricata-common.h"
#include "decode.h"
#include "flow.h"
#include "flow-callbacks.h"
#include "flow-storage.h"
#include "util-debug.h"

#include "azure_json.h"
#include "capture_mode.h"
#include "correlate.h"
#include "flowinfo.h"
#include "pktmeta.h"
#include "index.h"
#include "recent.h"
#include "sctime.h"
#include "stats.h"

/* Re-fold a flow's records at most this often (packet time), which bounds
 * the per-packet cost to one comparison. */
#define AZ_REFRESH_US 1000000

/* vTAP delivers mirrored traffic as VXLAN on this port; the outer carrier
 * flow must never be correlated, only the inner flows. */
#define AZ_VXLAN_PORT 4789

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
    struct az_jbuf json; /* "azure":{…} of info, for every EVE record of the flow */
};

static FlowStorageId g_storage = { .id = -1 };
/* No flow-log source configured: nothing can ever correlate, so flows only
 * carry capture-mode metadata and skip the index and the recent-flows memory. */
static bool g_no_records;
/* Stored for a tunnel's outer (carrier) flow, which never correlates, so
 * that no reader makes a state for it later. */
static struct az_flowstate g_carrier;

static void Refresh(struct az_flowstate *st, int64_t now_us)
{
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
static struct az_flowstate *StateNew(Flow *f)
{
    uint8_t family;
    if (FLOW_IS_IPV4(f))
        family = 4;
    else if (FLOW_IS_IPV6(f))
        family = 6;
    else
        return NULL;
    struct az_key key;
    AzKeyMake(&key, family, f->src.addr_data8, f->sp, f->dst.addr_data8, f->dp, f->proto);
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

uint32_t AzFlowFactsGeneration(Flow *f, struct az_detect_memo **memo,
        const struct az_flowinfo **info)
{
    if (g_storage.id < 0)
        return 0;
    /* Once per packet for the rule engine: read the storage slot the way
     * FlowGetStorageById does, without its two calls (the engine is bound
     * to the host's layouts anyway, see host_guard.h). */
    struct az_flowstate *st = f->storage[g_storage.id].ptr;
    if (st == &g_carrier)
        return 0;
    if (st == NULL && (st = State(f)) == NULL)
        return 0;
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
    if (m == NULL && (g_no_records || !AzRecentEnabled()))
        return; /* made on demand, if anything asks */
    struct az_flowstate *st = StateNew(f);
    if (st == NULL)
        return;
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
    Refresh(st, st->start_us);
    FlowSetStorageById(f, g_storage, st);
}

static void OnFlowUpdate(ThreadVars *tv, Flow *f, Packet *p, void *user)
{
    /* Without the recent-flows memory, states are made and refreshed on
     * demand; capture mode always has the memory on. */
    if (!AzRecentEnabled())
        return;
    struct az_flowstate *st = FlowGetStorageById(f, g_storage);
    if (st == NULL || st == &g_carrier)
        return;
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
        AzRecentNote(&st->key, st->flow_id, st->start_us, 0);
    }
    if (now - st->refreshed_us >= AZ_REFRESH_US)
        Refresh(st, now);
}

const char *AzFlowAzureJson(Flow *f, bool at_end)
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
    return st->json.p;
}

/* Runs on every path that frees a flow (unlike the finish callback). */
static void FlowStateFree(void *ptr)
{
    struct az_flowstate *st = ptr;
    if (st == &g_carrier)
        return;
    if (st->noted)
        AzRecentNote(&st->key, st->flow_id, st->start_us, st->last_us);
    AzJbufFree(&st->json);
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
    return 0;
}
