/* capfile_pcap: classic libpcap files — µs or ns time stamps, either byte
 * order, one link type for the whole file. */
#include <stdlib.h>

#include "capfile_int.h"

#define PCAP_HDR 24
#define PCAP_REC 16

struct pcap_state {
    int be;            /* the file's byte order is big-endian */
    int ns;            /* time stamps in ns, not µs */
    uint32_t snaplen;  /* 0: the writer did not say; the record cap applies */
    uint32_t linktype;
};

static int pcap_open(struct azf_capfile *f, char *errbuf)
{
    const uint8_t *p;
    long got = capfile_need(f, PCAP_HDR, &p, errbuf);
    if (got < 0)
        return -1;
    if (got < PCAP_HDR)
        return capfile_fail(f, errbuf, (uint64_t)got, "truncated pcap file header (%ld of %d bytes)", got, PCAP_HDR);
    struct pcap_state *s = calloc(1, sizeof(*s));
    if (!s)
        return capfile_fail(f, errbuf, 0, "out of memory");
    f->priv = s;
    uint32_t magic = cap_u32(p, 1);
    s->be = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d;
    s->ns = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
    uint16_t major = cap_u16(p + 4, s->be);
    if (major != 2) /* as libpcap: 2.x is the only pcap there is */
        return capfile_fail(f, errbuf, 4, "unsupported pcap version %u.%u (magic 0x%08x is pcap's; only 2.x is defined)",
                            major, cap_u16(p + 6, s->be), magic);
    s->snaplen = cap_u32(p + 16, s->be);
    /* The upper bits carry an FCS length (LINKTYPE_EXT); not the link type. */
    s->linktype = cap_u32(p + 20, s->be) & 0xffff;
    capfile_consume(f, PCAP_HDR);
    return 0;
}

static int pcap_next(struct azf_capfile *f, struct azf_cappkt *pkt, char *errbuf)
{
    struct pcap_state *s = f->priv;
    uint64_t off = capfile_tell(f);
    const uint8_t *p;
    long got = capfile_need(f, PCAP_REC, &p, errbuf);
    if (got < 0)
        return -1;
    if (got == 0)
        return 0;
    if (got < PCAP_REC)
        return capfile_fail(f, errbuf, off, "truncated record header (%ld of %d bytes)", got, PCAP_REC);
    uint32_t sec = cap_u32(p, s->be), frac = cap_u32(p + 4, s->be);
    uint32_t caplen = cap_u32(p + 8, s->be), len = cap_u32(p + 12, s->be);
    if (caplen > CAPFILE_MAX_RECORD)
        return capfile_fail(f, errbuf, off, "caplen %u is over the %zu MiB record cap", caplen,
                            CAPFILE_MAX_RECORD >> 20);
    got = capfile_need(f, PCAP_REC + (size_t)caplen, &p, errbuf);
    if (got < 0)
        return -1;
    if ((size_t)got < PCAP_REC + (size_t)caplen)
        return capfile_fail(f, errbuf, off, "truncated packet: caplen %u, %ld bytes left in the file", caplen,
                            got - PCAP_REC);
    capfile_consume(f, (size_t)got);
    uint64_t ns = s->ns ? frac : (uint64_t)frac * 1000u;
    if (ns >= 1000000000u) {
        /* libpcap hands such a fraction on and the time runs into later
         * seconds, out of order with its neighbours; keep the second the
         * file states. */
        capfile_warn(f, CAPFILE_WARN_TIME, off,
                     "time fraction %u %s is a second or more: clamped to the end of second %u (later ones "
                     "in this file too, counted)", frac, s->ns ? "ns" : "us", sec);
        ns = s->ns ? 999999999u : 999999000u;
        f->bad_times++;
    }
    cap_set_time(pkt, sec, ns);
    if (s->snaplen != 0 && caplen > s->snaplen) {
        /* A writer that understated its snaplen (or stored more than it):
         * the record is still framed by its caplen.  libpcap hands on the
         * first snaplen bytes, so stock -r sees those; so do we. */
        capfile_warn(f, CAPFILE_WARN_SNAPLEN, off,
                     "caplen %u is over the file's snaplen %u: cut to the snaplen, as libpcap cuts it "
                     "(later ones in this file too)", caplen, s->snaplen);
        caplen = s->snaplen;
    }
    pkt->caplen = caplen;
    pkt->len = len;
    pkt->linktype = s->linktype;
    pkt->interface = 0;
    pkt->offset = off;
    pkt->data = p + PCAP_REC;
    return 1;
}

static void pcap_close(struct azf_capfile *f)
{
    free(f->priv);
    f->priv = NULL;
}

const struct capfile_ops azf_capfile_pcap_ops = {
    .fmt = AZF_CAP_PCAP,
    .open = pcap_open,
    .next = pcap_next,
    .close = pcap_close,
};
