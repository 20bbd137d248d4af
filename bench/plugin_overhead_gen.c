/* plugin_overhead_gen: writes the input of the plugin-overhead benchmark — a
 * vTAP VXLAN mirror of >= 1M packets and a VNet flow-log tree of >= 1M tuples.
 *
 * usage: plugin_overhead_gen [--scale K] OUTDIR
 *   OUTDIR/mirror-1m.pcap        100,000 inner flows (HTTP, opaque TLS-port, SSH,
 *                                DNS) of four mirrored NICs, 64 flows interleaved
 *   OUTDIR/mirror-1m-vnet/...    VNet v4 PT1H.json blobs, one per MAC and hour, in
 *                                the storage account's layout: the mirrored flows'
 *                                B+E (or D) tuples, the rest log-only flows
 *   OUTDIR/mirror-1m.MANIFEST    parameters, counts and every file's size; written
 *                                last, and when it matches the files on disk the
 *                                run is skipped (nothing is regenerated)
 *   --scale K: the same mix with K times fewer flows and tuples, named
 *   mirror-1m-divK (a corpus for tests: tests/regress/cases/detect-digest-sharing)
 *
 * Everything is derived from the tables and counters below (no clock, no
 * randomness), through the same packet and blob builders as `azflow corpus`. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "corpus.h"
#include "corpus_flowlog.h"
#include "corpus_pkt.h"

/* Bump when anything below changes what is written: the MANIFEST check then
 * regenerates instead of reusing an older tree. */
#define GEN_FORMAT 1

#define S_US INT64_C(1000000)
#define MS_US INT64_C(1000)

/* 2026-11-28T04:50:00Z: the mirror starts here and runs ~18 minutes, across
 * the 05:00 blob boundary. */
#define MIRROR_START_S INT64_C(1795841400)
/* 2026-11-28T03:00:00Z: log-only flows fill hours 03..06. */
#define LOG_FIRST_HOUR_S INT64_C(1795834800)
#define LOG_HOURS 4

#define N_MIRROR_FLOWS ((int)(100000 / g_scale))
#define N_CONCURRENT 64        /* flows interleaved at any time in the mirror */
#define PKT_GAP_US 1000        /* between consecutive mirrored packets: ~1000 pps */
#define MIN_TUPLES ((int)(1000000 / g_scale)) /* the whole tree holds at least this many */

#define N_MIRRORED_NICS 4
#define N_NICS 16              /* NICs with a flow log; the first four are mirrored */

/* --scale K divides the flows and tuples: 1 is the benchmark's input. */
static unsigned g_scale = 1;
/* "mirror-1m", or "mirror-1m-divK": the names of the pcap, tree and manifest. */
static char g_name[32] = "mirror-1m";

#define SUB "00000000-0000-0000-0000-0000000000aa"
#define NSG_ACL \
    "/subscriptions/" SUB "/resourceGroups/rg-prod/providers/Microsoft.Network/" \
    "networkSecurityGroups/nsg-app"
#define FLOW_LOG_RESOURCE_ID                                                     \
    "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/"        \
    "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"              \
    "NETWORKWATCHER_EASTUS/FLOWLOGS/VNET1-FLOWLOG"
#define TARGET_RESOURCE_ID \
    "/subscriptions/" SUB "/resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/vnet1"
#define BLOB_PREFIX                                                             \
    "flowLogResourceID=/00000000-0000-0000-0000-0000000000AA_NETWORKWATCHERRG/" \
    "NETWORKWATCHER_EASTUS_VNET1-FLOWLOG"

/* Frames are mirrored as the corpus's vTAP scenarios are (corpus_vtap_encap,
 * corpus_pkt.h); addresses off the NIC sit behind its gateway MAC. */

/* NIC n: 10.0.1.(4+n), MAC 00:0D:3A:10:00:(n+1). */
static uint32_t nic_ip(unsigned n)
{
    return 0x0a000104u + n;
}

static void nic_mac(unsigned n, uint8_t mac[6])
{
    const uint8_t m[6] = {0x00, 0x0d, 0x3a, 0x10, 0x00, (uint8_t)(n + 1)};
    memcpy(mac, m, 6);
}

static void nic_mac_str(unsigned n, char buf[13])
{
    snprintf(buf, 13, "000D3A1000%02X", n + 1);
}

/* --- what the mirrored flows carry ---------------------------------------- */


static const struct msg http_msgs[] = {
    C2S("GET /api/v1/items HTTP/1.1\r\nHost: app.internal\r\nUser-Agent: azflow-bench\r\n\r\n"),
    S2C("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
        "{\"items\":[]}\n"),
};

static uint8_t opaque[4][160];
static const struct msg opaque_msgs[] = {
    {CPKT_TOSERVER, opaque[0], 160},
    {CPKT_TOCLIENT, opaque[1], 160},
    {CPKT_TOSERVER, opaque[2], 96},
    {CPKT_TOCLIENT, opaque[3], 128},
};

static void fill_opaque(void)
{
    uint32_t x = 0x2545f491;
    for (size_t i = 0; i < sizeof(opaque); i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        ((uint8_t *)opaque)[i] = (uint8_t)x;
    }
}

/* One mirrored flow as the tables define it. */
struct flow_spec {
    uint8_t proto;
    unsigned nic;
    struct cpkt_endpoint client, server;
    const struct msg *msgs;
    size_t nmsgs;
    char direction;          /* relative to the NIC */
    char log;                /* 'A': B+E tuples; 'D': one deny tuple */
    const char *encryption;
    const char *rule;
};

/* Flow i: kind by i % 10 — 0-3 HTTP to an internal service, 4-7 opaque
 * sessions to internet port 443, 8 inbound SSH, 9 DNS to Azure DNS.  Every
 * 5-tuple is unique; 1 in 20 flows is VNet-unencrypted (NX), SSH comes from
 * outside HOME_NET for 1 flow in 100 and is denied for another 1 in 100:
 * the shipped rules fire on a few percent of flows, not on all of them. */
static void flow_spec(uint32_t i, struct flow_spec *s)
{
    unsigned nic = i % N_MIRRORED_NICS;
    uint32_t k = i / N_MIRRORED_NICS; /* < 25,000: unique per NIC */
    struct cpkt_endpoint n = {.ip = nic_ip(nic)}, peer = {.mac = {0}};

    nic_mac(nic, n.mac);
    memcpy(peer.mac, corpus_vtap_gw_mac, 6);
    memset(s, 0, sizeof(*s));
    s->nic = nic;
    s->proto = 6;
    s->log = 'A';
    s->direction = 'O';
    s->encryption = i % 20 == 0 ? "NX" : "X";
    n.port = (uint16_t)(32768 + k % 28000);
    switch (i % 10) {
    case 0: case 1: case 2: case 3:
        peer.ip = 0x0a080000u | (k & 0xffff); /* 10.8.0.0/16 */
        peer.port = 80;
        s->msgs = http_msgs, s->nmsgs = 2;
        s->rule = "DefaultRule_AllowVnetOutBound";
        break;
    case 4: case 5: case 6: case 7:
        peer.ip = 0x14000000u | (k & 0xffffff); /* 20.0.0.0/8 */
        peer.port = 443;
        s->msgs = opaque_msgs, s->nmsgs = 4;
        s->rule = "DefaultRule_AllowInternetOutBound";
        break;
    case 8:
        s->direction = 'I';
        n.port = 22;
        peer.port = (uint16_t)(40000 + k % 20000);
        s->msgs = corpus_ssh_msgs, s->nmsgs = 2;
        if (i % 100 == 8) {
            peer.ip = 0xcb007100u | (k % 250 + 1); /* 203.0.113.0/24 */
            s->rule = "UserRule_AllowSSHFromInternet";
        } else if (i % 100 == 18) {
            peer.ip = 0xc6336400u | (k % 250 + 1); /* 198.51.100.0/24 */
            s->rule = "DefaultRule_DenyAllInBound";
            s->log = 'D';
        } else {
            peer.ip = 0x0a090000u | (k & 0xffff); /* 10.9.0.0/16, jump hosts */
            s->rule = "UserRule_AllowSSHFromJump";
        }
        break;
    default:
        s->proto = 17;
        n.port = (uint16_t)(1024 + k % 60000);
        peer.ip = 0xa83f8110u; /* 168.63.129.16 */
        peer.port = 53;
        s->msgs = corpus_dns_msgs, s->nmsgs = 2;
        s->rule = "DefaultRule_AllowVnetOutBound";
        break;
    }
    s->client = s->direction == 'O' ? n : peer;
    s->server = s->direction == 'O' ? peer : n;
}

/* --- flow-log tuples, collected per blob (NIC, hour) ------------------------ */

struct tuple_vec {
    struct cflog_tuple *t;
    size_t n, cap;
};

#define N_BLOBS (N_NICS * LOG_HOURS)
static struct tuple_vec blobs[N_BLOBS];

static int blob_of(unsigned nic, int64_t ts_ms)
{
    int64_t h = (ts_ms / 1000 - LOG_FIRST_HOUR_S) / 3600;
    if (h < 0 || h >= LOG_HOURS)
        return -1;
    return (int)(nic * LOG_HOURS + (unsigned)h);
}

static int push_tuple(unsigned nic, const struct cflog_tuple *t, char errbuf[CORPUS_ERRBUF_SIZE])
{
    int b = blob_of(nic, t->ts_ms);
    struct tuple_vec *v;

    if (b < 0) {
        corpus_err(errbuf, "tuple at %" PRId64 " ms lies outside the blob hours", t->ts_ms);
        return -1;
    }
    v = &blobs[b];
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4096;
        struct cflog_tuple *p = realloc(v->t, cap * sizeof(*p));
        if (p == NULL) {
            corpus_err(errbuf, "out of memory");
            return -1;
        }
        v->t = p;
        v->cap = cap;
    }
    v->t[v->n++] = *t;
    return 0;
}

/* --- the mirror: N_CONCURRENT slots, one step (TCP open, one message, TCP
 * close) of one slot at a time, round robin, a fixed gap between packets --- */

struct slot {
    int busy;
    struct flow_spec spec;
    struct cpkt_flow f;
    size_t step; /* 0: open (TCP), 1..nmsgs: messages, then close */
};

static int flow_logged(const struct slot *s, char errbuf[CORPUS_ERRBUF_SIZE])
{
    const struct flow_spec *sp = &s->spec;
    struct cflog_tuple t = {
        .ts_ms = s->f.first_us / MS_US,
        .src = sp->client.ip, .dst = sp->server.ip,
        .sport = sp->client.port, .dport = sp->server.port,
        .proto = sp->proto, .direction = sp->direction,
        .encryption = sp->encryption, .acl = NSG_ACL, .rule = sp->rule,
        .nsg_visible = 1,
    };

    if (sp->log == 'D') {
        t.state = 'D';
        return push_tuple(sp->nic, &t, errbuf);
    }
    t.state = 'B';
    if (push_tuple(sp->nic, &t, errbuf) < 0)
        return -1;
    t.state = 'E';
    t.ts_ms = s->f.last_us / MS_US;
    t.pkts_s2d = s->f.pkts[CPKT_TOSERVER];
    t.bytes_s2d = s->f.bytes[CPKT_TOSERVER];
    t.pkts_d2s = s->f.pkts[CPKT_TOCLIENT];
    t.bytes_d2s = s->f.bytes[CPKT_TOCLIENT];
    return push_tuple(sp->nic, &t, errbuf);
}

/* Runs the slot's next step at `*now`; advances `*now` past its packets.
 * Returns 1 when the flow is complete, 0 when it has more, -1 on error. */
static int slot_step(struct slot *s, int64_t *now, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_flow *f = &s->f;
    const struct flow_spec *sp = &s->spec;
    int tcp = sp->proto == 6;
    size_t last = sp->nmsgs + (tcp ? 1 : 0);
    int rc;

    f->now_us = *now;
    if (s->step == 0 && tcp) {
        rc = cpkt_tcp_open(f, errbuf);
    } else if (s->step >= 1 && s->step <= sp->nmsgs) {
        const struct msg *m = &sp->msgs[s->step - 1];
        rc = tcp ? cpkt_tcp_send(f, m->dir, m->data, m->len, errbuf)
                 : cpkt_udp_send(f, m->dir, m->data, m->len, errbuf);
    } else if (tcp) {
        rc = cpkt_tcp_close(f, errbuf);
    } else {
        rc = 0;
    }
    if (rc < 0)
        return -1;
    *now = f->now_us;
    s->step++;
    if (!tcp && s->step == 1)
        s->step++; /* UDP has no open */
    return s->step > last ? 1 : 0;
}

static int write_mirror(const char *path, uint64_t *frames, size_t *ntuples,
                        char errbuf[CORPUS_ERRBUF_SIZE])
{
    static struct slot slots[N_CONCURRENT];
    struct cpkt_writer *w = cpkt_writer_open(path, &corpus_vtap_encap, errbuf);
    uint32_t next = 0;
    size_t active = 0;
    int64_t now = MIRROR_START_S * S_US;

    if (w == NULL)
        return -1;
    for (size_t s = 0;; s = (s + 1) % N_CONCURRENT) {
        struct slot *sl = &slots[s];
        int rc;
        if (!sl->busy) {
            if (next == (uint32_t)N_MIRROR_FLOWS) {
                if (active == 0)
                    break;
                continue;
            }
            memset(sl, 0, sizeof(*sl));
            flow_spec(next, &sl->spec);
            cpkt_flow_init(&sl->f, w, sl->spec.proto, &sl->spec.client, &sl->spec.server, now,
                           PKT_GAP_US, cpkt_hash(&next, sizeof(next), 0));
            sl->busy = 1;
            if (sl->spec.proto != 6)
                sl->step = 1;
            next++;
            active++;
        }
        if ((rc = slot_step(sl, &now, errbuf)) < 0)
            goto fail;
        if (rc == 1) {
            *frames += sl->f.pkts[0] + sl->f.pkts[1];
            *ntuples += sl->spec.log == 'D' ? 1 : 2;
            if (flow_logged(sl, errbuf) < 0)
                goto fail;
            sl->busy = 0;
            active--;
        }
    }
    return cpkt_writer_close(w, errbuf);
fail:;
    char ignored[CORPUS_ERRBUF_SIZE];
    cpkt_writer_close(w, ignored);
    return -1;
}

/* --- log-only flows: the rest of the VNet, never mirrored -------------------
 * Flow j: NIC j % 16, hour (j / 16) % 4, a time and a duration from a hash;
 * peers in 10.64.0.0/10 or 52.0.0.0/8, which no mirrored flow uses.  One in
 * ten is a denied inbound attempt (one D tuple), the rest allowed (B+E). */

static const char *const log_rules[] = {
    "DefaultRule_AllowVnetOutBound", "DefaultRule_AllowInternetOutBound",
    "UserRule_AllowAppTier", "DefaultRule_AllowVnetInBound",
};

static int log_only_flow(uint32_t j, size_t *ntuples, char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint32_t h = cpkt_hash(&j, sizeof(j), 0);
    uint32_t h2 = cpkt_hash(&h, sizeof(h), 0);
    unsigned nic = j % N_NICS;
    unsigned hour = (j / N_NICS) % LOG_HOURS;
    int64_t start_ms = (LOG_FIRST_HOUR_S + hour * 3600) * 1000 + h % (3540u * 1000u);
    int deny = j % 10 == 9;
    int outbound = !deny && (h2 & 1);
    uint32_t peer = (h2 & 2) ? 0x0a400000u | ((h2 >> 2) & 0x3fffff) : 0x34000000u | (h2 >> 8);
    uint16_t nport = (uint16_t)(32768 + (h >> 8) % 28000);
    uint16_t pport = deny ? (uint16_t)(1 + (h2 >> 5) % 1024) : (h2 & 4) ? 443 : 1433;
    struct cflog_tuple t = {
        .ts_ms = start_ms,
        .proto = (h2 & 0x18) == 0x18 ? 17 : 6,
        .direction = outbound ? 'O' : 'I',
        .encryption = (h & 0x10000) ? "X" : "NX",
        .acl = NSG_ACL,
        .rule = deny ? "DefaultRule_DenyAllInBound" : log_rules[(h >> 20) % 4],
        .nsg_visible = 1,
    };

    t.src = outbound ? nic_ip(nic) : peer;
    t.dst = outbound ? peer : nic_ip(nic);
    t.sport = outbound ? nport : (uint16_t)(1024 + (h2 >> 12) % 60000);
    t.dport = outbound ? pport : (deny ? pport : 443);
    if (deny) {
        t.state = 'D';
        *ntuples += 1;
        return push_tuple(nic, &t, errbuf);
    }
    t.state = 'B';
    if (push_tuple(nic, &t, errbuf) < 0)
        return -1;
    t.state = 'E';
    t.ts_ms += 200 + h2 % 59000;
    t.pkts_s2d = 3 + h % 40;
    t.bytes_s2d = t.pkts_s2d * (60 + h2 % 900);
    t.pkts_d2s = 2 + h2 % 50;
    t.bytes_d2s = t.pkts_d2s * (60 + h % 1400);
    *ntuples += 2;
    return push_tuple(nic, &t, errbuf);
}

/* --- blobs and manifest ------------------------------------------------------ */

static int cmp_time(const void *a, const void *b)
{
    const struct cflog_tuple *x = a, *y = b;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    /* Ties: a deterministic order (the blob writer keeps ties as given). */
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->sport != y->sport)
        return x->sport < y->sport ? -1 : 1;
    if (x->dst != y->dst)
        return x->dst < y->dst ? -1 : 1;
    if (x->dport != y->dport)
        return x->dport < y->dport ? -1 : 1;
    return x->state < y->state ? -1 : x->state > y->state;
}

static void blob_rel_path(unsigned nic, unsigned hour, char *buf, size_t len)
{
    char mac[13];
    time_t sec = (time_t)(LOG_FIRST_HOUR_S + hour * 3600);
    struct tm tm;

    nic_mac_str(nic, mac);
    gmtime_r(&sec, &tm);
    snprintf(buf, len, "%s-vnet/" BLOB_PREFIX "/y=%04d/m=%02d/d=%02d/h=%02d/m=00/macAddress=%s/PT1H.json",
             g_name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, mac);
}

/* OUTDIR/rel into `out` (PATH_MAX); -1 when it does not fit. */
static int join(char out[PATH_MAX], const char *outdir, const char *rel)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", outdir, rel);
    return n < 0 || n >= PATH_MAX ? -1 : 0;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
}

static const char *manifest_header(void)
{
    static char buf[256];
    snprintf(buf, sizeof(buf),
             "# plugin_overhead_gen format %d: flows=%d concurrent=%d gap_us=%d "
             "min_tuples=%d nics=%d/%d hours=%d\n",
             GEN_FORMAT, N_MIRROR_FLOWS, N_CONCURRENT, PKT_GAP_US, MIN_TUPLES,
             N_MIRRORED_NICS, N_NICS, LOG_HOURS);
    return buf;
}

/* 1 when OUTDIR's MANIFEST is of this generator and every file it lists
 * exists with the listed size. */
static int up_to_date(const char *outdir)
{
    char path[PATH_MAX], line[PATH_MAX + 64];
    FILE *m;
    int ok = 1, files = 0;

    snprintf(path, sizeof(path), "%s/%s.MANIFEST", outdir, g_name);
    if ((m = fopen(path, "r")) == NULL)
        return 0;
    if (fgets(line, sizeof(line), m) == NULL || strcmp(line, manifest_header()) != 0)
        ok = 0;
    while (ok && fgets(line, sizeof(line), m) != NULL) {
        long long size;
        char rel[PATH_MAX];
        if (sscanf(line, "file %lld %4095s", &size, rel) != 2)
            continue;
        ok = join(path, outdir, rel) == 0 && file_size(path) == size;
        files++;
    }
    fclose(m);
    return ok && files > 0;
}

int main(int argc, char **argv)
{
    char errbuf[CORPUS_ERRBUF_SIZE] = "";
    char path[PATH_MAX], rel[PATH_MAX];
    uint64_t frames = 0;
    size_t mirror_tuples = 0, log_tuples = 0, biggest = 0;
    FILE *m = NULL;
    char *text = NULL;
    size_t text_len = 0;

    if (argc == 4 && strcmp(argv[1], "--scale") == 0) {
        char *end = NULL;
        unsigned long k = strtoul(argv[2], &end, 10);
        if (end == argv[2] || *end != '\0' || k < 1 || k > 1000) {
            fprintf(stderr, "plugin_overhead_gen: --scale %s: not a number from 1 to 1000\n",
                    argv[2]);
            return 2;
        }
        g_scale = (unsigned)k;
        if (g_scale > 1)
            snprintf(g_name, sizeof(g_name), "mirror-1m-div%u", g_scale);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: plugin_overhead_gen [--scale K] OUTDIR\n"
                        "Writes OUTDIR/mirror-1m.pcap, OUTDIR/mirror-1m-vnet/ and "
                        "OUTDIR/mirror-1m.MANIFEST (skipped when the MANIFEST matches);\n"
                        "with --scale K, K times fewer flows and tuples as mirror-1m-divK.\n");
        return 2;
    }
    const char *outdir = argv[1];
    if (strlen(outdir) > PATH_MAX - 512) {
        fprintf(stderr, "plugin_overhead_gen: %s: path too long\n", outdir);
        return 2;
    }
    if (up_to_date(outdir)) {
        printf("plugin_overhead_gen: %s/%s.MANIFEST matches the files: nothing to do\n",
               outdir, g_name);
        return 0;
    }
    /* A half-written tree must never pass for a complete one. */
    snprintf(path, sizeof(path), "%s/%s.MANIFEST", outdir, g_name);
    if (remove(path) < 0 && errno != ENOENT) {
        fprintf(stderr, "plugin_overhead_gen: %s: %s\n", path, strerror(errno));
        return 1;
    }

    fill_opaque();
    snprintf(path, sizeof(path), "%s/%s.pcap", outdir, g_name);
    if (write_mirror(path, &frames, &mirror_tuples, errbuf) < 0)
        goto fail;
    for (uint32_t j = 0; mirror_tuples + log_tuples < (size_t)MIN_TUPLES; j++)
        if (log_only_flow(j, &log_tuples, errbuf) < 0)
            goto fail;

    if ((m = open_memstream(&text, &text_len)) == NULL) {
        corpus_err(errbuf, "open_memstream: %s", strerror(errno));
        goto fail;
    }
    fputs(manifest_header(), m);
    fprintf(m, "# frames=%" PRIu64 " tuples=%zu (mirrored flows' %zu, log-only %zu)\n", frames,
            mirror_tuples + log_tuples, mirror_tuples, log_tuples);
    snprintf(path, sizeof(path), "%s/%s.pcap", outdir, g_name);
    fprintf(m, "file %lld %s.pcap\n", file_size(path), g_name);
    for (unsigned nic = 0; nic < N_NICS; nic++) {
        for (unsigned hour = 0; hour < LOG_HOURS; hour++) {
            struct tuple_vec *v = &blobs[nic * LOG_HOURS + hour];
            char mac[13];
            struct cflog_vnet_env env = {
                .flow_log_guid = "5f0c2a9e-0000-4000-8000-0000000000aa",
                .mac = mac,
                .flow_log_resource_id = FLOW_LOG_RESOURCE_ID,
                .target_resource_id = TARGET_RESOURCE_ID,
            };
            if (v->n == 0)
                continue;
            nic_mac_str(nic, mac);
            /* Sorted here so the writer's stable insertion sort is linear. */
            qsort(v->t, v->n, sizeof(*v->t), cmp_time);
            blob_rel_path(nic, hour, rel, sizeof(rel));
            if (join(path, outdir, rel) < 0) {
                corpus_err(errbuf, "%s/%s: path too long", outdir, rel);
                goto fail;
            }
            if (cflog_write_vnet(path, &env, v->t, v->n, errbuf) < 0)
                goto fail;
            long long size = file_size(path);
            if (size > 0 && (size_t)size > biggest)
                biggest = (size_t)size;
            fprintf(m, "file %lld %s tuples=%zu\n", size, rel, v->n);
            free(v->t);
            v->t = NULL;
        }
    }
    if (fclose(m) != 0 || text == NULL) {
        m = NULL;
        corpus_err(errbuf, "manifest: out of memory");
        goto fail;
    }
    m = NULL;
    snprintf(path, sizeof(path), "%s/%s.MANIFEST", outdir, g_name);
    if (corpus_write_file(path, text, text_len, errbuf) < 0)
        goto fail;
    free(text);
    printf("plugin_overhead_gen: %s/%s.pcap: %" PRIu64 " packets, %d inner flows; "
           "%s/%s-vnet: %zu tuples (%zu of mirrored flows), largest blob %.1f MB\n",
           outdir, g_name, frames, N_MIRROR_FLOWS, outdir, g_name, mirror_tuples + log_tuples, mirror_tuples,
           (double)biggest / 1e6);
    return 0;
fail:
    if (m != NULL)
        fclose(m);
    free(text);
    fprintf(stderr, "plugin_overhead_gen: %s\n", errbuf);
    return 1;
}
