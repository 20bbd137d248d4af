/* azflow plugin: capture mode's receive loop.  Packets come from capture
 * files (pcap, pcapng with mixed link types, Network Monitor) or libpcap on
 * an interface; flow-log records are merged in time order, and a record no
 * mirrored flow matched within the window becomes a synthetic packet. */
#include "suricata-common.h"
#include "suricata.h"
#include "conf.h"
#include "counters.h"
#include "decode.h"
#include "flow.h"
#include "tm-modules.h"
#include "tm-threads.h"
#include "tmqh-packetpool.h"
#include "util-datalink.h"
#include "util-debug.h"
#include "util-device.h"
#include "util-time.h"

#include <pcap/pcap.h>
#include <poll.h>

#include "capture_mode.h"
#include "capture_source.h"
#include "config.h"
#include "index.h"
#include "pktmeta.h"
#include "recent.h"
#include "sctime.h"
#include "synth.h"

const struct az_config *AzPluginConfig(void);

/* Synthetic packets live on their own device so their flows never share a
 * flow key with a mirrored flow (livedev.use-for-tracking, on by default). */
#define AZ_SYNTH_DEVICE "azure-flowlogs"
#define AZ_MERGE_BATCH 64
#define AZ_BPF_CACHE 8
/* A VPN Gateway capture shows IKE/ESP/OpenVPN early (every inner packet
 * leaves or enters through one); a file that has shown none in this many
 * packets is not classified further. */
#define AZ_VPN_SNIFF_PACKETS 1000

static char *g_input;      /* file or folder */
static char *g_interface;  /* or a live interface */
static bool g_skipped_input;

bool AzCaptureSkippedInput(void)
{
    return g_skipped_input;
}

struct bpf_entry {
    int linktype;
    bool ok;
    struct bpf_program prog;
};

struct source {
    ThreadVars *tv;
    TmSlot *slot;
    LiveDevice *synth_dev;
    bool started;        /* thread timestamps initialised */
    int64_t last_us;     /* time of the last packet handed on */
    bool ignore_checksums;
    const char *bpf;     /* bpf-filter expression, or NULL */
    struct bpf_entry bpf_cache[AZ_BPF_CACHE];
    size_t nbpf;
    /* counters for the exit summary */
    uint64_t pkts, truncated, synthetic, matched, filtered, files, files_failed, skipped_records;
};

int AzCaptureSourceInit(const char *args, bool *offline)
{
    const struct az_config *cfg = AzPluginConfig();
    const char *input = cfg->capture_input;
    if (input == NULL && args != NULL && args[0] != '\0')
        input = args; /* --capture-plugin-args=PATH, like -r */
    if (input == NULL && cfg->capture_interface == NULL) {
        SCLogError("azflow: azure.capture.input: missing (a capture file or folder; or set "
                   "azure.capture.interface for live capture)");
        return -1;
    }
    if (input != NULL) {
        struct stat st;
        if (stat(input, &st) != 0) {
            SCLogError("azflow: azure.capture.input: cannot read '%s': %s", input, strerror(errno));
            return -1;
        }
        g_input = SCStrdup(input);
        *offline = true;
    } else {
        g_interface = SCStrdup(cfg->capture_interface);
        *offline = false;
    }
    /* Suricata sizes packets for live run modes from each device's MTU;
     * the synthetic device has none, so size them as pcap-file does. */
    const char *dps = NULL;
    if (SCConfGet("default-packet-size", &dps) != 1 || dps == NULL)
        SCConfSet("default-packet-size", "1514");
    if (LiveRegisterDevice(AZ_SYNTH_DEVICE) < 0) {
        SCLogError("azflow: cannot register the %s device", AZ_SYNTH_DEVICE);
        return -1;
    }
    AzIndexCursorEnable(AZ_CURSOR_MERGE);
    AzRecentEnable(); /* a record some mirrored flow saw is not merged */
    return 0;
}

TmEcode AzCaptureReceiveThreadInit(ThreadVars *tv, const void *initdata, void **data)
{
    struct source *s = SCCalloc(1, sizeof(*s));
    if (s == NULL)
        return TM_ECODE_FAILED;
    s->tv = tv;
    s->synth_dev = LiveGetDevice(AZ_SYNTH_DEVICE);
    /* Flow-log captures are often truncated (VPN gateways default to
     * 120-byte snaps), so checksums are only checked when asked for. */
    const char *ck = NULL;
    s->ignore_checksums = !(SCConfGet("pcap-file.checksum-checks", &ck) == 1 && ck != NULL &&
                            SCConfValIsTrue(ck));
    const char *bpf = NULL;
    if (SCConfGet("bpf-filter", &bpf) == 1 && bpf != NULL && bpf[0] != '\0')
        s->bpf = bpf;
    *data = s;
    return TM_ECODE_OK;
}

TmEcode AzCaptureReceiveThreadDeinit(ThreadVars *tv, void *data)
{
    struct source *s = data;
    if (s != NULL) {
        for (size_t i = 0; i < s->nbpf; i++)
            if (s->bpf_cache[i].ok)
                pcap_freecode(&s->bpf_cache[i].prog);
        SCFree(s);
    }
    return TM_ECODE_OK;
}

void AzCaptureReceiveExitPrintStats(ThreadVars *tv, void *data)
{
    const struct source *s = data;
    SCLogInfo("azflow capture: %" PRIu64 " packets from %" PRIu64 " file(s) (%" PRIu64
              " unreadable), %" PRIu64 " truncated, %" PRIu64 " filtered; %" PRIu64
              " flow-log records injected as synthetic packets, %" PRIu64
              " matched a mirrored flow; %" PRIu64 " capture records skipped",
            s->pkts, s->files, s->files_failed, s->truncated, s->filtered, s->synthetic, s->matched,
            s->skipped_records);
}

/* --- packets -------------------------------------------------------------------- */
static TmEcode Hand(struct source *s, Packet *p, int64_t ts_us)
{
    if (!s->started) {
        TmThreadsInitThreadsTimestamp(AzUsToTime(ts_us));
        s->started = true;
    }
    if (ts_us > s->last_us)
        s->last_us = ts_us;
    return TmThreadsSlotProcessPkt(s->tv, s->slot, p);
}

static TmEcode InjectRecord(struct source *s, const struct az_event *ev)
{
    uint8_t buf[AZ_SYNTH_MAX];
    size_t len = AzSynthBuild(&ev->tuple, buf);
    if (len == 0)
        return TM_ECODE_OK;
    Packet *p = PacketGetFromQueueOrAlloc();
    if (p == NULL)
        return TM_ECODE_FAILED;
    /* The decision is made once packet time has passed the record by the
     * window; the packet is stamped then, keeping packet time monotonic. */
    int64_t ts = ev->tuple.ts_us > s->last_us ? ev->tuple.ts_us : s->last_us;
    PKT_SET_SRC(p, PKT_SRC_WIRE);
    p->ts = AzUsToTime(ts);
    p->datalink = LINKTYPE_RAW;
    p->livedev = s->synth_dev;
    p->flags |= PKT_IGNORE_CHECKSUM;
    struct az_pktmeta *m = (struct az_pktmeta *)(void *)p->plugin_v;
    memset(m, 0, sizeof(*m));
    m->magic = AZ_PKTMETA_MAGIC;
    m->flags = AZ_PKT_SYNTHETIC;
    m->record_ts_us = ev->tuple.ts_us;
    if (PacketCopyData(p, buf, (uint32_t)len) != 0) {
        TmqhOutputPacketpool(s->tv, p);
        return TM_ECODE_FAILED;
    }
    s->synthetic++;
    return Hand(s, p, ts);
}

/* Hands on the records that are due by `now_us` and that no mirrored flow
 * matched; every remaining one when `flush`. */
static TmEcode MergeRecords(struct source *s, int64_t now_us, bool flush)
{
    if (!flush && !AzIndexDue(AZ_CURSOR_MERGE, now_us))
        return TM_ECODE_OK;
    struct az_event evs[AZ_MERGE_BATCH];
    size_t n;
    do {
        n = AzIndexTake(AZ_CURSOR_MERGE, now_us, flush, evs, AZ_MERGE_BATCH);
        for (size_t i = 0; i < n; i++) {
            const struct azf_tuple *t = &evs[i].tuple;
            struct az_key key;
            AzKeyFromTuple(&key, t);
            if (AzRecentFind(&key, t->ts_us) != 0) {
                s->matched++;
                continue;
            }
            if (InjectRecord(s, &evs[i]) != TM_ECODE_OK)
                return TM_ECODE_FAILED;
        }
    } while (n == AZ_MERGE_BATCH);
    return TM_ECODE_OK;
}

/* Offset of the IP header in a frame of this link type, or -1. */
static int IpOffset(uint32_t linktype, const uint8_t *d, uint32_t caplen)
{
    uint32_t off;
    uint16_t type;
    switch (linktype) {
        case AZF_LINKTYPE_ETHERNET:
            off = 12;
            if (caplen < 14)
                return -1;
            type = (uint16_t)(d[off] << 8 | d[off + 1]);
            while ((type == 0x8100 || type == 0x88a8) && caplen >= off + 6) {
                off += 4;
                type = (uint16_t)(d[off] << 8 | d[off + 1]);
            }
            return (type == 0x0800 || type == 0x86dd) ? (int)(off + 2) : -1;
        case AZF_LINKTYPE_LINUX_SLL:
            return caplen >= 16 ? 16 : -1;
        case AZF_LINKTYPE_LINUX_SLL2:
            return caplen >= 20 ? 20 : -1;
        case AZF_LINKTYPE_NULL:
        case AZF_LINKTYPE_LOOP:
            return caplen >= 4 ? 4 : -1;
        case AZF_LINKTYPE_RAW:
        case 12:
        case 14:
        case AZF_LINKTYPE_IPV4:
        case AZF_LINKTYPE_IPV6:
            return 0;
        default:
            return -1;
    }
}

/* Suricata's datalink for a file link type, and bytes to strip in front. */
static bool MapLinkType(uint32_t linktype, int *datalink, uint32_t *strip)
{
    *strip = 0;
    switch (linktype) {
        case AZF_LINKTYPE_ETHERNET:
            *datalink = LINKTYPE_ETHERNET;
            return true;
        case AZF_LINKTYPE_LINUX_SLL:
            *datalink = LINKTYPE_LINUX_SLL;
            return true;
        case AZF_LINKTYPE_LINUX_SLL2:
            *datalink = LINKTYPE_LINUX_SLL2;
            return true;
        case AZF_LINKTYPE_RAW:
        case 12:
        case 14:
        case AZF_LINKTYPE_IPV4:
        case AZF_LINKTYPE_IPV6:
            *datalink = LINKTYPE_RAW;
            return true;
        case AZF_LINKTYPE_NULL:
        case AZF_LINKTYPE_LOOP:
            /* The 4-byte family is host order (NULL) or network order
             * (LOOP); the IP version nibble after it says more. */
            *datalink = LINKTYPE_RAW;
            *strip = 4;
            return true;
        default:
            return false;
    }
}

static bool BpfPass(struct source *s, uint32_t linktype, const struct azf_cappkt *pkt)
{
    if (s->bpf == NULL)
        return true;
    struct bpf_entry *e = NULL;
    for (size_t i = 0; i < s->nbpf; i++)
        if (s->bpf_cache[i].linktype == (int)linktype)
            e = &s->bpf_cache[i];
    if (e == NULL) {
        if (s->nbpf == AZ_BPF_CACHE)
            return true;
        e = &s->bpf_cache[s->nbpf++];
        e->linktype = (int)linktype;
        pcap_t *dead = pcap_open_dead((int)linktype, 65535);
        e->ok = dead != NULL &&
                pcap_compile(dead, &e->prog, s->bpf, 1, PCAP_NETMASK_UNKNOWN) == 0;
        if (!e->ok) {
            SCLogError("azflow: bpf-filter \"%s\" does not compile for link type %u: %s", s->bpf,
                    linktype, dead != NULL ? pcap_geterr(dead) : "out of memory");
            g_skipped_input = true;
        }
        if (dead != NULL)
            pcap_close(dead);
    }
    if (!e->ok)
        return false;
    struct pcap_pkthdr h = { .caplen = pkt->caplen, .len = pkt->len };
    return pcap_offline_filter(&e->prog, &h, pkt->data) != 0;
}

/* A truncated packet (VPN Gateway captures default to 120-byte snaps) has IP
 * and UDP lengths beyond what was captured, and Suricata's decoder drops it
 * as invalid: no flow, no IKE, no rule.  Trim those lengths to the captured
 * bytes so it is inspected as far as it goes; checksums are then unverifiable
 * and ignored for it.  Only the outermost IP header is trimmed. */
static void TrimToCaptured(uint8_t *d, uint32_t caplen, int ip_off)
{
    if (ip_off < 0 || caplen < (uint32_t)ip_off + 20)
        return;
    uint8_t *ip = d + ip_off;
    uint32_t avail = caplen - (uint32_t)ip_off;
    uint32_t l4_off, l4_len;
    uint8_t proto;
    if ((ip[0] >> 4) == 4) {
        uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
        uint32_t total = (uint32_t)(ip[2] << 8 | ip[3]);
        if (hlen < 20 || hlen > avail || total <= avail)
            return;
        ip[2] = (uint8_t)(avail >> 8);
        ip[3] = (uint8_t)avail;
        ip[10] = ip[11] = 0;
        uint32_t sum = 0;
        for (uint32_t i = 0; i < hlen; i += 2)
            sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        ip[10] = (uint8_t)(~sum >> 8);
        ip[11] = (uint8_t)~sum;
        proto = ip[9];
        l4_off = hlen;
        l4_len = avail - hlen;
    } else if ((ip[0] >> 4) == 6 && avail >= 40) {
        uint32_t plen = (uint32_t)(ip[4] << 8 | ip[5]);
        if (plen <= avail - 40)
            return;
        ip[4] = (uint8_t)((avail - 40) >> 8);
        ip[5] = (uint8_t)(avail - 40);
        proto = ip[6]; /* extension headers: the UDP fix below is skipped */
        l4_off = 40;
        l4_len = avail - 40;
    } else {
        return;
    }
    if (proto == 17 && l4_len >= 8) {
        ip[l4_off + 4] = (uint8_t)(l4_len >> 8);
        ip[l4_off + 5] = (uint8_t)l4_len;
    }
}

/* One captured packet: classify, filter, hand on. */
static TmEcode HandleCaptured(struct source *s, const struct azf_cappkt *pkt, uint32_t file_id,
        struct azf_vpn *vpn, bool *vpn_seen)
{
    int datalink;
    uint32_t strip;
    if (!MapLinkType(pkt->linktype, &datalink, &strip) || pkt->caplen < strip) {
        s->skipped_records++;
        g_skipped_input = true;
        return TM_ECODE_OK;
    }
    if (MergeRecords(s, pkt->ts_us, false) != TM_ECODE_OK)
        return TM_ECODE_FAILED;
    if (!BpfPass(s, pkt->linktype, pkt)) {
        s->filtered++;
        return TM_ECODE_OK;
    }
    Packet *p = PacketGetFromQueueOrAlloc();
    if (p == NULL)
        return TM_ECODE_FAILED;
    PKT_SET_SRC(p, PKT_SRC_WIRE);
    p->ts = AzUsToTime(pkt->ts_us);
    p->datalink = datalink;
    if (s->ignore_checksums)
        p->flags |= PKT_IGNORE_CHECKSUM;
    struct az_pktmeta *m = (struct az_pktmeta *)(void *)p->plugin_v;
    memset(m, 0, sizeof(*m));
    m->magic = AZ_PKTMETA_MAGIC;
    m->file_id = file_id;
    if (vpn != NULL) {
        int ip = IpOffset(pkt->linktype, pkt->data, pkt->caplen);
        if (ip >= 0) {
            struct azf_vpn_info vi;
            azf_vpn_classify(vpn, pkt->data + ip, pkt->caplen - (uint32_t)ip,
                    pkt->len > (uint32_t)ip ? pkt->len - (uint32_t)ip : 0, pkt->ts_us, &vi);
            /* Only a file that has shown IKE/ESP/OpenVPN is a VPN capture:
             * elsewhere every packet would look "inner". */
            if (vi.layer == AZF_VPN_OUTER)
                *vpn_seen = true;
            if (*vpn_seen && vi.layer != AZF_VPN_NONE) {
                m->vpn_layer = vi.layer;
                if (vi.have_gateway || vi.have_peer || vi.have_spi)
                    m->tunnel_id = AzCaptureAddTunnel(&vi);
            }
        }
    }
    if (PacketCopyData(p, pkt->data + strip, pkt->caplen - strip) != 0) {
        TmqhOutputPacketpool(s->tv, p);
        return TM_ECODE_FAILED;
    }
    s->pkts++;
    if (pkt->caplen < pkt->len) {
        s->truncated++;
        int ip = IpOffset(pkt->linktype, pkt->data, pkt->caplen);
        TrimToCaptured(GET_PKT_DATA(p), GET_PKT_LEN(p), ip >= 0 ? ip - (int)strip : -1);
        p->flags |= PKT_IGNORE_CHECKSUM;
    }
    return Hand(s, p, pkt->ts_us);
}

/* --- inputs -------------------------------------------------------------------- */
static TmEcode ReadFile(struct source *s, const char *path)
{
    char errbuf[AZF_ERRBUF_SIZE];
    struct azf_capfile *f = azf_capfile_open(path, errbuf);
    if (f == NULL) {
        SCLogError("azflow: %s", errbuf);
        s->files_failed++;
        g_skipped_input = true;
        return TM_ECODE_OK; /* the rest of the input is still read */
    }
    s->files++;
    uint32_t file_id = AzCaptureAddFile(path);
    struct azf_vpn *vpn = azf_vpn_new();
    bool vpn_seen = false;
    TmEcode rc = TM_ECODE_OK;
    struct azf_cappkt pkt;
    int r;
    uint64_t n = 0;
    while ((r = azf_capfile_next(f, &pkt, errbuf)) == 1) {
        if (suricata_ctl_flags & SURICATA_STOP)
            break;
        StatsSyncCountersIfSignalled(s->tv);
        if ((rc = HandleCaptured(s, &pkt, file_id, vpn, &vpn_seen)) != TM_ECODE_OK)
            break;
        if (vpn != NULL && !vpn_seen && ++n >= AZ_VPN_SNIFF_PACKETS) {
            azf_vpn_free(vpn);
            vpn = NULL;
        }
    }
    if (r < 0) {
        SCLogError("azflow: %s", errbuf);
        g_skipped_input = true;
    }
    uint64_t skipped = azf_capfile_skipped(f);
    if (skipped > 0) {
        SCLogWarning("azflow: %s: %" PRIu64 " records skipped (unknown link type or interface)",
                path, skipped);
        s->skipped_records += skipped;
        g_skipped_input = true;
    }
    azf_vpn_free(vpn);
    azf_capfile_close(f);
    return rc;
}

static TmEcode ReadFiles(struct source *s)
{
    char errbuf[AZF_ERRBUF_SIZE];
    char **paths;
    size_t n;
    if (azf_file_list(g_input, NULL, &paths, &n, errbuf) < 0) {
        SCLogError("azflow: azure.capture.input: %s", errbuf);
        g_skipped_input = true;
        return TM_ECODE_OK;
    }
    TmEcode rc = TM_ECODE_OK;
    for (size_t i = 0; i < n && rc == TM_ECODE_OK && !(suricata_ctl_flags & SURICATA_STOP); i++) {
        SCLogInfo("azflow: reading %s", paths[i]);
        rc = ReadFile(s, paths[i]);
    }
    azf_blob_list_free(paths, n);
    return rc;
}

static TmEcode ReadInterface(struct source *s)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_create(g_interface, err);
    /* Immediate mode and a non-blocking handle polled with a timeout: on
     * Linux a blocking read may never time out while no packet arrives, and
     * the loop must see Suricata's stop flag and records coming due. */
    if (pc == NULL || pcap_set_snaplen(pc, 65535) != 0 || pcap_set_promisc(pc, 1) != 0 ||
            pcap_set_timeout(pc, 100) != 0 || pcap_set_immediate_mode(pc, 1) != 0 ||
            pcap_set_buffer_size(pc, 32 * 1024 * 1024) != 0 ||
            pcap_activate(pc) < 0 || pcap_setnonblock(pc, 1, err) < 0) {
        SCLogError("azflow: azure.capture.interface %s: %s", g_interface,
                pc != NULL ? pcap_geterr(pc) : err);
        if (pc != NULL)
            pcap_close(pc);
        g_skipped_input = true;
        return TM_ECODE_FAILED;
    }
    uint32_t linktype = (uint32_t)pcap_datalink(pc);
    uint32_t file_id = 0;
    int fd = pcap_get_selectable_fd(pc);
    TmEcode rc = TM_ECODE_OK;
    while (!(suricata_ctl_flags & SURICATA_STOP)) {
        /* This thread owns its counters: hand them to the stats thread. */
        StatsSyncCountersIfSignalled(s->tv);
        struct pcap_pkthdr *h;
        const u_char *data;
        int r = pcap_next_ex(pc, &h, &data);
        if (r == 0) {
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            if (fd >= 0)
                (void)poll(&pfd, 1, 100);
            /* Idle: records still come due by the clock. */
            struct timeval now;
            gettimeofday(&now, NULL);
            if ((rc = MergeRecords(s, (int64_t)now.tv_sec * 1000000 + now.tv_usec, false)) != TM_ECODE_OK)
                break;
            continue;
        }
        if (r < 0) {
            /* The interface went away (or an error): say which, and stop. */
            SCLogError("azflow: azure.capture.interface %s: %s", g_interface, pcap_geterr(pc));
            g_skipped_input = true;
            rc = TM_ECODE_FAILED;
            break;
        }
        struct azf_cappkt pkt = {
            .ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec,
            .caplen = h->caplen,
            .len = h->len,
            .linktype = linktype,
            .data = data,
        };
        if ((rc = HandleCaptured(s, &pkt, file_id, NULL, NULL)) != TM_ECODE_OK)
            break;
    }
    struct pcap_stat ps;
    if (pcap_stats(pc, &ps) == 0 && (ps.ps_drop > 0 || ps.ps_ifdrop > 0)) {
        SCLogWarning("azflow: azure.capture.interface %s: %u packets dropped by the kernel, %u by "
                     "the interface", g_interface, ps.ps_drop, ps.ps_ifdrop);
    }
    pcap_close(pc);
    return rc;
}

TmEcode AzCaptureReceiveLoop(ThreadVars *tv, void *data, void *slot)
{
    struct source *s = data;
    s->slot = ((TmSlot *)slot)->slot_next;
    if (suricata_ctl_flags & SURICATA_STOP)
        return TM_ECODE_OK;
    TmThreadsSetFlag(tv, THV_RUNNING);
    PacketPoolWait();

    TmEcode rc = g_input != NULL ? ReadFiles(s) : ReadInterface(s);
    /* End of input: what no packet time reached is decided now. */
    if (rc == TM_ECODE_OK)
        rc = MergeRecords(s, INT64_MAX, true);
    EngineStop();
    return rc == TM_ECODE_OK ? TM_ECODE_DONE : TM_ECODE_FAILED;
}
