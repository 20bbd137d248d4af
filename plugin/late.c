/* azflow plugin: late records — the worker registry, the surrogate packets
 * and the thread that sends them (see late.h for why).
 *
 * A record the follower indexes is matched against the history; every flow
 * it belongs to gets an entry in the pending queue.  Records of one commit
 * arrive in one poll, so the queue waits a moment (AZ_LATE_SETTLE_US) and
 * then sends one surrogate per flow and direction the flow has used: the
 * rules' own direction (`flow:to_client`) must be able to match.  The
 * surrogate is built as Suricata's own flow-timeout pseudo packets are
 * (flow-timeout.c), but without the pseudo flag, so packet rules run on it;
 * its timestamp is the flow's start, which leaves the flow's last-seen time
 * and age as they were.  It is queued on the owning worker's injection
 * queue (ThreadVars.stream_pq), which the worker drains after every packet
 * and on every capture timeout. */
#include "suricata-common.h"
#include <pthread.h>
#include "decode.h"
#include "flow.h"
#include "flow-private.h"
#include "output-packet.h"
#include "packet-queue.h"
#include "suricata.h"
#include "threadvars.h"
#include "tm-queues.h"
#include "tm-threads.h"
#include "util-debug.h"
#include "util-time.h"

#include "correlate.h"
#include "late.h"
#include "recent.h"
#include "sctime.h"
#include "stats.h"
#include "ticker.h"

/* How long records of one poll are gathered before their flows are sent a
 * surrogate; and how often the sender looks. */
#define AZ_LATE_SETTLE_US 250000
#define AZ_LATE_TICK_MS 100
/* How far back a new record looks for its flow among the pending ones. */
#define AZ_LATE_COALESCE 16
/* Flows of the history one record may belong to (port reuse). */
#define AZ_LATE_FLOWS_PER_RECORD 4

struct az_worker {
    ThreadVars *tv;
    bool alive; /* under g_workers_lock */
    struct az_worker *next;
};

/* The surrogate's data area: the headers first (Packet.ext_pkt points at
 * them and PacketFree frees it), then what the worker needs to know. */
struct surrogate_buf {
    uint8_t hdr[64];
    uint64_t flow_id; /* the mirrored flow it was sent for */
    int64_t end_us;   /* and that flow's last packet, 0 when not known */
};

struct pending {
    int64_t due_us;
    struct az_flow_seen seen;
};

static uint64_t g_delay_s;
static bool g_follow;
static _Atomic int g_active; /* 0: no, 1: yes; decided by the first worker */

static pthread_mutex_t g_workers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct az_worker *g_workers;
static __thread struct az_worker *t_worker;

static pthread_mutex_t g_pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending *g_pending;
static size_t g_npending, g_pending_cap;


bool AzLateActive(void)
{
    return atomic_load_explicit(&g_active, memory_order_relaxed) == 1;
}

uint64_t AzLateDelay(void)
{
    return g_delay_s;
}

struct az_worker *AzLateWorker(void)
{
    return t_worker;
}

/* The pending queue's clock: monotonic, so that a step of the wall clock
 * neither holds queued records back for as long as it stepped nor sends
 * them before their poll settled. */
static int64_t NowUs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- surrogate packets ------------------------------------------------------ */
static void SurrogateRelease(Packet *p)
{
    PacketFree(p); /* frees the data area too */
}

bool AzLateIsSurrogate(const Packet *p)
{
    return p != NULL && p->ReleasePacket == SurrogateRelease;
}

uint64_t AzLateSurrogateFlowId(const Packet *p)
{
    if (!AzLateIsSurrogate(p))
        return 0;
    return ((const struct surrogate_buf *)(const void *)p->ext_pkt)->flow_id;
}

int64_t AzLateSurrogateFlowEnd(const Packet *p)
{
    if (!AzLateIsSurrogate(p))
        return 0;
    return ((const struct surrogate_buf *)(const void *)p->ext_pkt)->end_us;
}

static void SetAddress(Address *a, uint8_t family, const uint8_t *bytes)
{
    memset(a, 0, sizeof(*a));
    a->family = family == 4 ? AF_INET : AF_INET6;
    memcpy(a->addr_data8, bytes, family == 4 ? 4 : 16);
}

/* The flow had left the table when its record came (the history knows its
 * end), so what the table holds under its 5-tuple now is another flow: a
 * reused port.  Looked up in the 5-tuple's bucket, the surrogate would be
 * handled as that flow's packet (the late record's alert lost, the new
 * flow refreshed for nothing), and a stand-in made there would take in
 * the tuple's next real packets.  In another bucket, picked by the
 * original's id, the stand-in is found by that original's surrogates
 * only: the real flow's packets never look there, and the stand-ins of
 * two connections that used the 5-tuple in turn do not meet. */
static void AwayFromTheTuple(Packet *p, uint64_t flow_id)
{
    const uint32_t n = flow_config.hash_size;
    if (n < 2)
        return;
    const uint64_t spread = flow_id * 0x9E3779B97F4A7C15ULL;
    const uint32_t step = 1 + (uint32_t)((spread >> 32) % (n - 1)); /* 1 .. n-1 */
    p->flow_hash = (uint32_t)(((uint64_t)(p->flow_hash % n) + step) % n);
}

/* A header-only packet of the flow `s` going toserver or toclient, or NULL
 * (a protocol whose flow lookup needs more than the history keeps, or out
 * of memory). */
static Packet *SurrogateBuild(const struct az_flow_seen *s, bool toclient)
{
    const struct az_live *l = &s->live;
    const bool icmp = l->proto == IPPROTO_ICMP || l->proto == IPPROTO_ICMPV6;
    if (l->proto != IPPROTO_TCP && l->proto != IPPROTO_UDP && !icmp)
        return NULL;
    Packet *p = PacketGetFromAlloc();
    if (p == NULL)
        return NULL;
    struct surrogate_buf *b = SCCalloc(1, sizeof(*b));
    if (b == NULL) {
        PacketFree(p);
        return NULL;
    }
    _Static_assert(offsetof(struct surrogate_buf, hdr) == 0, "ext_pkt must be the allocation");
    p->ext_pkt = b->hdr;
    p->ReleasePacket = SurrogateRelease;
    b->flow_id = s->flow_id;
    b->end_us = s->end_us;

    /* Suricata's direction is toserver when the packet comes from f->src,
     * flipped for a flow it reversed. */
    bool from_src = toclient == l->reversed;
    const uint8_t *sa = from_src ? l->src : l->dst, *da = from_src ? l->dst : l->src;
    const int side = from_src ? 0 : 1; /* az_live's per-host arrays */
    uint16_t sp = from_src ? l->sp : l->dp, dp = from_src ? l->dp : l->sp;
    size_t l4len = l->proto == IPPROTO_TCP ? 20 : 8, l3len;
    const uint8_t ttl = l->ttl[side] != 0 ? l->ttl[side] : 64;
    if (l->family == 4) {
        IPV4Hdr *ip4h = PacketSetIPV4(p, b->hdr);
        ip4h->ip_verhl = 0x45;
        ip4h->ip_len = htons((uint16_t)(20 + l4len));
        ip4h->ip_ttl = ttl;
        ip4h->ip_proto = l->proto;
        memcpy(&ip4h->s_ip_src.s_addr, sa, 4);
        memcpy(&ip4h->s_ip_dst.s_addr, da, 4);
        l3len = 20;
    } else {
        IPV6Hdr *ip6h = PacketSetIPV6(p, b->hdr);
        ip6h->s_ip6_vfc = 0x60;
        ip6h->s_ip6_nxt = l->proto;
        ip6h->s_ip6_plen = htons((uint16_t)l4len);
        ip6h->s_ip6_hlim = ttl;
        memcpy(ip6h->s_ip6_src, sa, 16);
        memcpy(ip6h->s_ip6_dst, da, 16);
        l3len = 40;
    }
    if (l->proto == IPPROTO_TCP) {
        /* No flags, no payload: every TCP state takes its default path. */
        TCPHdr *tcph = PacketSetTCP(p, b->hdr + l3len);
        tcph->th_sport = htons(sp);
        tcph->th_dport = htons(dp);
        tcph->th_offx2 = 0x50;
        tcph->th_win = htons(10);
    } else if (l->proto == IPPROTO_UDP) {
        /* An empty datagram: the app-layer parser is not called. */
        UDPHdr *udph = PacketSetUDP(p, b->hdr + l3len);
        udph->uh_sport = htons(sp);
        udph->uh_dport = htons(dp);
        udph->uh_len = htons(8);
    } else {
        /* Suricata's flow lookup for ICMP compares the addresses and the
         * two types (a reply carries the request's counterpart): the
         * message is the one this side of the flow sent, with nothing in
         * its last four bytes. */
        p->icmp_s.type = l->icmp_type[side];
        p->icmp_s.code = l->icmp_code[side];
        p->icmp_d.type = l->icmp_type[1 - side];
        p->icmp_d.code = l->icmp_code[1 - side];
        uint8_t *m = b->hdr + l3len;
        m[0] = p->icmp_s.type;
        m[1] = p->icmp_s.code;
        if (l->proto == IPPROTO_ICMP) {
            PacketSetICMPv4(p, m);
            p->l4.vars.icmpv4.hlen = ICMPV4_HEADER_LEN;
        } else {
            PacketSetICMPv6(p, m);
        }
    }
    SET_PKT_LEN(p, l3len + l4len);
    SetAddress(&p->src, l->family, sa);
    SetAddress(&p->dst, l->family, da);
    if (!icmp) { /* sp and dp share their bytes with icmp_s and icmp_d */
        p->sp = sp;
        p->dp = dp;
    }
    p->proto = l->proto;
    p->payload = NULL;
    p->payload_len = 0;
    /* What the flow hash compares besides the 5-tuple. */
    _Static_assert(sizeof(p->vlan_id) == sizeof(l->vlan_id), "vlan layers");
    memcpy(p->vlan_id, l->vlan_id, sizeof(p->vlan_id));
    p->vlan_idx = l->vlan_idx;
    p->recursion_level = l->recursion_level;
    p->livedev = l->livedev;
    p->datalink = LINKTYPE_RAW;
    p->ts = AzUsToTime(s->start_us);
    p->flags |= PKT_IGNORE_CHECKSUM | PKT_STREAM_NO_EVENTS;
    PKT_SET_SRC(p, PKT_SRC_WIRE);
    FlowSetupPacket(p);
    if (s->end_us != 0)
        AwayFromTheTuple(p, s->flow_id);
    return p;
}

/* Queues p on the worker's injection queue; false when the worker is gone
 * or Suricata is stopping (the caller frees p).
 *
 * The stop flag alone is not enough: read just before Suricata sets it, it
 * lets a packet through that lands after the worker's last drain, and
 * Suricata frees a workers-mode queue with BUG_ON(len).  A thread sets
 * THV_FLOW_LOOP before its last drain (SCTmThreadsSlotPacketLoopFinish),
 * whose every look at the queue's length takes the queue's mutex: tested
 * under that mutex, a packet queued before the flag is set is one the
 * drain sees. */
static bool Enqueue(struct az_worker *w, Packet *p)
{
    bool ok = false;
    pthread_mutex_lock(&g_workers_lock);
    if (w->alive && suricata_ctl_flags == 0) {
        ThreadVars *tv = w->tv;
        PacketQueue *q = tv->stream_pq;
        if (q != NULL) {
            SCMutexLock(&q->mutex_q);
            if (!TmThreadsCheckFlag(tv, THV_FLOW_LOOP | THV_KILL | THV_RUNNING_DONE)) {
                PacketEnqueue(q, p);
                /* autofp workers wait on their input queue, which this is;
                 * a workers-mode thread polls its private queue, whose
                 * condition variable Suricata never initialised. */
                if (tv->inq != NULL && q == tv->inq->pq)
                    SCCondSignal(&q->cond_q);
                ok = true;
            }
            SCMutexUnlock(&q->mutex_q);
        }
    }
    pthread_mutex_unlock(&g_workers_lock);
    return ok;
}

static void Send(const struct az_flow_seen *s)
{
    /* Toserver, and toclient where the flow went that way; the direction
     * of its first established packet first (see az_live). */
    bool order[2] = { false, true };
    /* A flow that has left the table is made anew by the first surrogate,
     * whose source becomes its client: that must be the original's.  Only
     * a held flow is sure to be there when its surrogates arrive. */
    if (s->live.first_established == 2 && s->live.held && s->end_us == 0) {
        order[0] = true;
        order[1] = false;
    }
    for (int i = 0; i < 2; i++) {
        bool toclient = order[i];
        if (toclient && !s->live.toclient_seen)
            continue;
        Packet *p = SurrogateBuild(s, toclient);
        if (p == NULL) {
            /* Out of memory, or a protocol the flow lookup needs more
             * than a header-only packet for (ESP, GRE, …): the record
             * reaches no packet rule (README, azure.late_dropped). */
            AZ_STAT_ADD(late_dropped, 1);
            return;
        }
        if (!Enqueue(s->live.worker, p)) {
            PacketFree(p);
            AZ_STAT_ADD(late_dropped, 1);
            return;
        }
        AZ_STAT_ADD(late_surrogates, 1);
    }
}

/* --- the pending queue --------------------------------------------------- */
void AzLateRecord(const struct azf_tuple *t)
{
    if (!AzLateActive())
        return;
    struct az_key key;
    AzKeyFromTuple(&key, t);
    struct az_flow_seen seen[AZ_LATE_FLOWS_PER_RECORD];
    size_t n = AzRecentFindAll(&key, t->ts_us, t->ts_res_us, seen, AZ_LATE_FLOWS_PER_RECORD);
    if (n == 0)
        return;
    int64_t due = NowUs() + AZ_LATE_SETTLE_US;
    pthread_mutex_lock(&g_pending_lock);
    for (size_t i = 0; i < n; i++) {
        if (seen[i].live.worker == NULL) /* not noted live: no worker to reach */
            continue;
        /* The tuples of one record (begin, end) come one after the other:
         * they make one surrogate, sent once the last of them settled. */
        bool merged = false;
        for (size_t j = g_npending; j > 0 && j + AZ_LATE_COALESCE > g_npending; j--) {
            if (g_pending[j - 1].seen.flow_id == seen[i].flow_id) {
                g_pending[j - 1].due_us = due;
                merged = true;
                break;
            }
        }
        if (merged)
            continue;
        if (g_npending == g_pending_cap) {
            size_t cap = g_pending_cap ? g_pending_cap * 2 : 256;
            struct pending *q = realloc(g_pending, cap * sizeof(*q));
            if (q == NULL) {
                AZ_STAT_ADD(late_dropped, 1);
                continue;
            }
            g_pending = q;
            g_pending_cap = cap;
        }
        g_pending[g_npending].due_us = due;
        g_pending[g_npending].seen = seen[i];
        g_npending++;
    }
    pthread_mutex_unlock(&g_pending_lock);
}

static int ByFlowId(const void *a, const void *b)
{
    uint64_t x = ((const struct pending *)a)->seen.flow_id, y = ((const struct pending *)b)->seen.flow_id;
    return x < y ? -1 : x > y;
}

/* Sends one surrogate per flow for every entry due by `now_us`. */
static void SendDue(int64_t now_us)
{
    pthread_mutex_lock(&g_pending_lock);
    /* Due times grow along the queue, but for entries a later record of
     * the same flow moved on: take the prefix up to the last due entry and
     * leave those for the next round. */
    size_t n = 0;
    while (n < g_npending && g_pending[n].due_us <= now_us)
        n++;
    struct pending *due = NULL;
    if (n > 0 && (due = malloc(n * sizeof(*due))) != NULL) {
        memcpy(due, g_pending, n * sizeof(*due));
        memmove(g_pending, g_pending + n, (g_npending - n) * sizeof(*due));
        g_npending -= n;
    }
    pthread_mutex_unlock(&g_pending_lock);
    if (due == NULL)
        return;
    /* Several records of one flow in one poll make one surrogate. */
    qsort(due, n, sizeof(*due), ByFlowId);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || due[i].seen.flow_id != due[i - 1].seen.flow_id)
            Send(&due[i].seen);
    free(due);
}

static void SendTick(void)
{
    SendDue(NowUs());
}

/* Named so ps and the bench (bench/late_scale.py) see it. */
static struct az_ticker g_sender = AZ_TICKER_INIT(AZ_LATE_TICK_MS, SendTick, NULL, "AZ#late");

/* --- the per-worker hook ----------------------------------------------------
 * A packet logger, because loggers run after stream and detection with the
 * flow still locked: the last word on the flow's timeout policy for this
 * packet.  It never logs. */
static TmEcode WorkerInit(ThreadVars *tv, const void *initdata, void **data)
{
    /* The runmode has set the time mode by the time threads start. */
    if (g_follow && TimeModeIsLive())
        atomic_store(&g_active, 1);
    if (AzLateActive())
        AzRecentEnable();
    struct az_worker *w = SCCalloc(1, sizeof(*w));
    if (w == NULL)
        return TM_ECODE_FAILED;
    w->tv = tv;
    w->alive = true;
    pthread_mutex_lock(&g_workers_lock);
    w->next = g_workers;
    g_workers = w;
    pthread_mutex_unlock(&g_workers_lock);
    t_worker = w;
    *data = w;
    return TM_ECODE_OK;
}

static TmEcode WorkerDeinit(ThreadVars *tv, void *data)
{
    struct az_worker *w = data;
    if (w != NULL) {
        pthread_mutex_lock(&g_workers_lock);
        w->alive = false; /* kept: the history may still name it */
        pthread_mutex_unlock(&g_workers_lock);
    }
    t_worker = NULL;
    return TM_ECODE_OK;
}

static bool AfterPacket(ThreadVars *tv, void *data, const Packet *p)
{
    if (p->flow != NULL && AzLateActive())
        AzCorrelateAfterPacket(p->flow, p);
    return false;
}

static int NeverLog(ThreadVars *tv, void *data, const Packet *p)
{
    return 0;
}

int AzLateRegister(uint64_t delay_s, bool follow)
{
    g_delay_s = delay_s;
    g_follow = follow;
    return SCOutputRegisterPacketLogger(LOGGER_USER, "azflow-late", NeverLog, AfterPacket, NULL,
            WorkerInit, WorkerDeinit);
}

int AzLateStart(void)
{
    if (!g_follow)
        return 0;
    return AzTickerStart(&g_sender);
}

void AzLateStop(void)
{
    AzTickerStop(&g_sender);
    free(g_pending);
    g_pending = NULL;
    g_npending = g_pending_cap = 0;
    pthread_mutex_lock(&g_workers_lock);
    while (g_workers != NULL) {
        struct az_worker *next = g_workers->next;
        SCFree(g_workers);
        g_workers = next;
    }
    pthread_mutex_unlock(&g_workers_lock);
}
