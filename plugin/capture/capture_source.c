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
#include "../config.h"
#include "../index.h"
#include "../pktmeta.h"
#include "../plugin.h"
#include "../recent.h"
#include "../sctime.h"
#include "synth.h"

/* Synthetic packets live on their own device so their flows never share a
 * flow key with a mirrored flow (livedev.use-for-tracking, on by default). */
#define AZ_SYNTH_DEVICE "azure-flowlogs"
#define AZ_MERGE_BATCH 64
/* One compiled filter per DLT the packets azf_rx_prepare lets through map to
 * (8 of them: its five raw-IP numbers are all DLT_RAW to libpcap). */
#define AZ_BPF_CACHE 16
/* A VPN Gateway capture shows IKE/ESP/OpenVPN early (every inner packet
 * leaves or enters through one); a file that has shown none in this many
 * packets is not classified further. */
#define AZ_VPN_SNIFF_PACKETS 1000
/* ... nor in this many bytes of file: a pipe's look-ahead is held in
 * memory until the reader starts over (a regular file's is not, but is
 * bounded the same, so a FIFO and the file it streams agree). */
#define AZ_VPN_SNIFF_BYTES ((uint64_t)16 << 20)
/* Link types reported per input, and per-packet problem lines per input. */
#define AZ_BAD_LINKS 8
#define AZ_PACKET_MESSAGES 10

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
            if (AzRecentFind(&key, t->ts_us, t->ts_res_us) != 0) {
                s->matched++;
                continue;
            }
            if (InjectRecord(s, &evs[i]) != TM_ECODE_OK)
                return TM_ECODE_FAILED;
        }
    } while (n == AZ_MERGE_BATCH);
    return TM_ECODE_OK;
}

/* Suricata's datalink for what azf_rx_prepare hands on. */
static int Datalink(uint32_t linktype)
{
    switch (linktype) {
        case AZF_LINKTYPE_ETHERNET:
            return LINKTYPE_ETHERNET;
        case AZF_LINKTYPE_LINUX_SLL:
            return LINKTYPE_LINUX_SLL;
        case AZF_LINKTYPE_LINUX_SLL2:
            return LINKTYPE_LINUX_SLL2;
        case AZF_LINKTYPE_PPP:
            return LINKTYPE_PPP;
        case AZF_LINKTYPE_C_HDLC:
            return LINKTYPE_CISCO_HDLC;
        case AZF_LINKTYPE_NULL:
            return LINKTYPE_NULL;
        default:
            return LINKTYPE_RAW; /* AZF_LINKTYPE_RAW: DLT_RAW here */
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
            return false; /* never unfiltered: a filter that cannot be applied drops */
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

/* What the receive loop knows of the input it is reading: a capture file,
 * or the live interface. */
struct input {
    const char *name;        /* file path or interface name, for messages */
    uint32_t file_id;
    struct azf_vpn *vpn;     /* NULL: not a VPN Gateway capture */
    uint32_t bad_links[AZ_BAD_LINKS]; /* link types already reported */
    size_t nbad_links;
    uint64_t oversized, unknown_link;
    unsigned messages;       /* per-packet problems logged so far */
};

/* One line per problem packet, up to AZ_PACKET_MESSAGES per input; the rest
 * are counted in the input's summary. */
static bool PacketMessageDue(struct input *in)
{
    return in->messages++ < AZ_PACKET_MESSAGES;
}

static void SkipUnknownLink(struct source *s, struct input *in, const struct azf_cappkt *pkt)
{
    in->unknown_link++;
    s->skipped_records++;
    g_skipped_input = true;
    for (size_t i = 0; i < in->nbad_links; i++)
        if (in->bad_links[i] == pkt->linktype)
            return;
    if (in->nbad_links < AZ_BAD_LINKS)
        in->bad_links[in->nbad_links++] = pkt->linktype;
    const char *name = pcap_datalink_val_to_name((int)pkt->linktype);
    SCLogError("azflow: %s:%" PRIu64 ": link type %u (%s) is not one capture mode can decode: "
               "its packets are skipped", in->name, pkt->offset, pkt->linktype,
            name != NULL ? name : "unknown to libpcap");
}

static void SkipOversized(struct source *s, struct input *in, const struct azf_cappkt *pkt)
{
    in->oversized++;
    s->skipped_records++;
    g_skipped_input = true;
    if (PacketMessageDue(in))
        SCLogError("azflow: %s:%" PRIu64 ": packet of %u captured bytes is over Suricata's "
                   "%u-byte packet limit (GSO/TSO or BIG TCP capture?): skipped, as stock "
                   "Suricata skips it", in->name, pkt->offset, pkt->caplen, (unsigned)MAX_PAYLOAD_SIZE);
}

/* One captured packet: classify, filter, hand on.  A packet Suricata cannot
 * take is skipped and counted, never the end of the input. */
static TmEcode HandleCaptured(struct source *s, struct input *in, const struct azf_cappkt *pkt)
{
    struct azf_rx rx;
    switch (azf_rx_prepare(pkt, MAX_PAYLOAD_SIZE, &rx)) {
        case AZF_RX_LINKTYPE:
            SkipUnknownLink(s, in, pkt);
            return TM_ECODE_OK;
        case AZF_RX_OVERSIZED:
            SkipOversized(s, in, pkt);
            return TM_ECODE_OK;
        default:
            break;
    }
    if (MergeRecords(s, pkt->ts_us, false) != TM_ECODE_OK)
        return TM_ECODE_FAILED;
    /* libpcap compiles for a DLT_ value, not the file's LINKTYPE_ number:
     * LINKTYPE_RAW (101) and the other raw-IP numbers are DLT_RAW here. */
    uint32_t dlt = rx.linktype == AZF_LINKTYPE_RAW ? (uint32_t)DLT_RAW
                   : pkt->linktype == AZF_LINKTYPE_LOOP ? (uint32_t)DLT_LOOP : pkt->linktype;
    if (!BpfPass(s, dlt, pkt)) {
        s->filtered++;
        return TM_ECODE_OK;
    }
    Packet *p = PacketGetFromQueueOrAlloc();
    if (p == NULL)
        return TM_ECODE_FAILED;
    PKT_SET_SRC(p, PKT_SRC_WIRE);
    p->ts = AzUsToTime(pkt->ts_us);
    p->datalink = Datalink(rx.linktype);
    if (s->ignore_checksums)
        p->flags |= PKT_IGNORE_CHECKSUM;
    struct az_pktmeta *m = (struct az_pktmeta *)(void *)p->plugin_v;
    memset(m, 0, sizeof(*m));
    m->magic = AZ_PKTMETA_MAGIC;
    m->file_id = in->file_id;
    if (in->vpn != NULL && rx.ip_off >= 0) {
        uint32_t ip = (uint32_t)rx.ip_off;
        struct azf_vpn_info vi;
        azf_vpn_classify(in->vpn, pkt->data + ip, pkt->caplen - ip,
                pkt->len > ip ? pkt->len - ip : 0, pkt->ts_us, &vi);
        m->vpn_layer = vi.layer;
        if (vi.have_gateway || vi.have_peer || vi.have_spi)
            m->tunnel_id = AzCaptureAddTunnel(&vi);
    }
    if (PacketCopyData(p, pkt->data, pkt->caplen) != 0) {
        /* azf_rx_prepare checked the size: only out of memory gets here. */
        TmqhOutputPacketpool(s->tv, p);
        SkipOversized(s, in, pkt);
        return TM_ECODE_OK;
    }
    azf_rx_fixup(pkt, &rx, GET_PKT_DATA(p));
    s->pkts++;
    if (pkt->caplen < pkt->len) {
        s->truncated++;
        p->flags |= PKT_IGNORE_CHECKSUM;
    }
    return Hand(s, p, pkt->ts_us);
}

/* --- inputs -------------------------------------------------------------------- */

/* A VPN Gateway capture shows IKE/ESP/OpenVPN early: is there an outer
 * packet among the first AZ_VPN_SNIFF_PACKETS (or AZ_VPN_SNIFF_BYTES)?
 * Looked for in the one reader, which then starts over at the first
 * packet, so the packets before the first outer one are classified too;
 * a FIFO can be opened and read only once.  0: no; 1: yes; -1: the reader
 * cannot start over (errbuf says why; nothing more can be read). */
static int IsVpnCapture(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE])
{
    if (azf_capfile_lookahead(f, errbuf) != 0) {
        /* Unclassified rather than unread: the packets are still good. */
        SCLogWarning("azflow: %s: not classified as a VPN Gateway capture", errbuf);
        return 0;
    }
    struct azf_vpn *v = azf_vpn_new();
    bool outer = false;
    struct azf_cappkt pkt;
    for (uint64_t n = 0; v != NULL && !outer && n < AZ_VPN_SNIFF_PACKETS &&
            azf_capfile_next(f, &pkt, errbuf) == 1 && pkt.offset < AZ_VPN_SNIFF_BYTES; n++) {
        struct azf_rx rx;
        struct azf_vpn_info vi;
        if (azf_rx_prepare(&pkt, UINT32_MAX, &rx) != AZF_RX_OK || rx.ip_off < 0)
            continue;
        uint32_t ip = (uint32_t)rx.ip_off;
        azf_vpn_classify(v, pkt.data + ip, pkt.caplen - ip, pkt.len > ip ? pkt.len - ip : 0,
                pkt.ts_us, &vi);
        outer = vi.layer == AZF_VPN_OUTER;
    }
    azf_vpn_free(v);
    if (azf_capfile_rewind(f, errbuf) != 0)
        return -1;
    return outer;
}

/* The end-of-file lines: what was skipped or adjusted, and why. */
static void FileSummary(struct source *s, struct input *in, struct azf_capfile *f)
{
    uint64_t skipped = azf_capfile_skipped(f);
    if (skipped > 0) {
        SCLogWarning("azflow: %s: %" PRIu64 " packets skipped (unreadable records, undeclared or "
                     "unreadable pcapng interfaces, Network Monitor media types without a link type)",
                in->name, skipped);
        s->skipped_records += skipped;
        g_skipped_input = true;
    }
    if (in->unknown_link > 0 || in->oversized > 0)
        SCLogWarning("azflow: %s: %" PRIu64 " packets skipped for their link type, %" PRIu64
                     " for their size", in->name, in->unknown_link, in->oversized);
    if (azf_capfile_bad_times(f) > 0)
        SCLogWarning("azflow: %s: %" PRIu64 " packet times clamped to their second", in->name,
                azf_capfile_bad_times(f));
}

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
    struct input in = { .name = path, .file_id = AzCaptureAddFile(path) };
    int vpn = IsVpnCapture(f, errbuf);
    if (vpn > 0)
        in.vpn = azf_vpn_new();
    TmEcode rc = TM_ECODE_OK;
    struct azf_cappkt pkt;
    int r = -1; /* vpn < 0: errbuf says why the file cannot be read */
    while (vpn >= 0 && (r = azf_capfile_next(f, &pkt, errbuf)) == 1) {
        while (azf_capfile_warning(f, errbuf))
            SCLogWarning("azflow: %s", errbuf);
        if (suricata_ctl_flags & SURICATA_STOP)
            break;
        StatsSyncCountersIfSignalled(s->tv);
        if ((rc = HandleCaptured(s, &in, &pkt)) != TM_ECODE_OK)
            break;
    }
    while (azf_capfile_warning(f, errbuf))
        SCLogWarning("azflow: %s", errbuf);
    if (r < 0) {
        SCLogError("azflow: %s", errbuf);
        g_skipped_input = true;
    }
    FileSummary(s, &in, f);
    azf_vpn_free(in.vpn);
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
    struct input in = { .name = g_interface };
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
            /* Idle: late-record surrogates queued for this thread
             * (late.c) run now; records still come due by the clock. */
            TmThreadsCaptureHandleTimeout(s->tv, NULL);
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
        if ((rc = HandleCaptured(s, &in, &pkt)) != TM_ECODE_OK)
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
