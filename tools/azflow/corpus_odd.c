/* azflow corpus, scenario `odd`: capture files with what real-world hosts and
 * tools put in them and capture mode must cope with — a GSO/BIG TCP frame
 * over 64 KiB beside a zero-length record, a link type no Suricata decoder
 * takes (netlink), NULL and LOOP loopback captures (one NULL frame of an
 * unknown address family), a pcap of version 1.4, time fractions of a second
 * or more, a pcapng section of version 1.1.  Classic pcap is written by hand
 * here (libpcap writes none of these oddities); the packets are the session
 * builder's, so checksums and TCP state are real. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "corpus_odd.h"
#include "corpus_pcapng.h"
#include "corpus_pkt.h"

/* 2026-11-28T05:00:00Z, an hour after the other scenarios. */
#define ODD_BASE_US (INT64_C(1795842000) * 1000000)
#define ODD_MS INT64_C(1000)
#define ODD_SNAPLEN 262144
#define GSO_FRAME 80116 /* the frame the issue saw: 14 + 20 + 20 + 80062 */

#define AF_NULL_INET 2
#define AF_NULL_UNKNOWN 99

/* --- a classic pcap file in memory ------------------------------------------ */
struct rawpcap {
    FILE *m;
    char *buf;
    size_t len;
    int ns;              /* fractions in ns */
    uint32_t family;     /* NULL/LOOP frames: the family put in front */
    int loop;            /* the family in network order (LOOP), else little-endian (NULL) */
    uint32_t frac_over;  /* > 0: the next record's fraction, as written */
};

static int rp_open(struct rawpcap *r, const char *rel, uint32_t magic, uint16_t major, uint16_t minor,
                   uint32_t linktype, char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t h[24];
    memset(r, 0, sizeof(*r));
    if ((r->m = corpus_memfile_open(&r->buf, &r->len, rel, errbuf)) == NULL)
        return -1;
    r->ns = magic == 0xa1b23c4du;
    corpus_le32(h, magic);
    corpus_le16(h + 4, major);
    corpus_le16(h + 6, minor);
    memset(h + 8, 0, 8);
    corpus_le32(h + 16, ODD_SNAPLEN);
    corpus_le32(h + 20, linktype);
    fwrite(h, 1, sizeof(h), r->m);
    return 0;
}

static void rp_record(struct rawpcap *r, int64_t ts_us, const uint8_t *pre, uint32_t prelen, const uint8_t *d,
                      uint32_t caplen, uint32_t len)
{
    uint8_t h[16];
    uint32_t frac = (uint32_t)(ts_us % 1000000) * (r->ns ? 1000u : 1u);
    if (r->frac_over != 0) {
        frac = r->frac_over;
        r->frac_over = 0;
    }
    corpus_le32(h, (uint32_t)(ts_us / 1000000));
    corpus_le32(h + 4, frac);
    corpus_le32(h + 8, prelen + caplen);
    corpus_le32(h + 12, prelen + len);
    fwrite(h, 1, sizeof(h), r->m);
    fwrite(pre, 1, prelen, r->m);
    fwrite(d, 1, caplen, r->m);
}

/* A cpkt_sink_fn: frames of the session builder, behind the NULL/LOOP header
 * when the file has one. */
static int rp_sink(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen, uint32_t len,
                   char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct rawpcap *r = ctx;
    uint8_t fam[4];
    (void)errbuf;
    if (r->loop)
        corpus_be32(fam, r->family);
    else
        corpus_le32(fam, r->family);
    rp_record(r, ts_us, fam, r->family != 0 ? 4 : 0, frame, caplen, len);
    return 0;
}

static int rp_close(struct rawpcap *r, const char *outdir, const char *rel, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/odd/%s", outdir, rel) >= (int)sizeof(path)) {
        corpus_err(errbuf, "%s/odd/%s: path too long", outdir, rel);
        fclose(r->m);
        free(r->buf);
        return -1;
    }
    return corpus_memfile_close(r->m, &r->buf, &r->len, path, errbuf);
}

/* --- flows ---------------------------------------------------------------------- */
static const struct msg http_get[] = {
    C2S("GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    S2C("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
};

static struct cpkt_endpoint ep(uint32_t ip, uint16_t port, uint8_t mac_last)
{
    struct cpkt_endpoint e = {.ip = ip, .port = port, .mac = {0x02, 0, 0, 0, 0, mac_last}};
    return e;
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static int tcp_session(struct cpkt_writer *w, struct cpkt_endpoint c, struct cpkt_endpoint s, int64_t start_us,
                       const struct msg *msgs, size_t n, const char *seed, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_flow f;
    cpkt_flow_init(&f, w, 6, &c, &s, start_us, ODD_MS, cpkt_hash(seed, strlen(seed), 0));
    if (cpkt_tcp_open(&f, errbuf) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (cpkt_tcp_send(&f, msgs[i].dir, msgs[i].data, msgs[i].len, errbuf) < 0)
            return -1;
    return cpkt_tcp_close(&f, errbuf);
}

static int udp_exchange(struct cpkt_writer *w, struct cpkt_endpoint c, struct cpkt_endpoint s, int64_t start_us,
                        const struct msg *msgs, size_t n, const char *seed, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_flow f;
    cpkt_flow_init(&f, w, 17, &c, &s, start_us, ODD_MS, cpkt_hash(seed, strlen(seed), 0));
    for (size_t i = 0; i < n; i++)
        if (cpkt_udp_send(&f, msgs[i].dir, msgs[i].data, msgs[i].len, errbuf) < 0)
            return -1;
    return 0;
}

/* Writes frames of the session builder into r (Ethernet, or raw IP behind
 * r->family), runs `body`, closes the writer. */
struct odd_file {
    const char *rel;
    uint32_t magic;
    uint16_t major, minor;
    uint32_t linktype;
    uint32_t family;
    int loop;
    int (*body)(struct cpkt_writer *w, struct rawpcap *r, char errbuf[CORPUS_ERRBUF_SIZE]);
    const char *what;
};

/* oversized.pcap: HTTP, then a lone 80,116-byte TSO/GSO frame (IPv4 total
 * length 0, as such captures show it), a zero-length record, then DNS. */
static int body_oversized(struct cpkt_writer *w, struct rawpcap *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    const uint32_t vm = IP4(10, 0, 0, 4), web = IP4(10, 0, 1, 5), dns = IP4(168, 63, 129, 16);
    if (tcp_session(w, ep(vm, 50100, 4), ep(web, 80, 5), ODD_BASE_US, http_get, 2, "odd-http", errbuf) < 0)
        return -1;
    uint8_t *gso = calloc(1, GSO_FRAME);
    if (gso == NULL) {
        corpus_err(errbuf, "odd: out of memory");
        return -1;
    }
    static const uint8_t eth[14] = {2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 4, 0x08, 0x00};
    memcpy(gso, eth, 14);
    uint8_t *ip = gso + 14;
    ip[0] = 0x45;                 /* total length 0: segmentation offload */
    ip[8] = 64;
    ip[9] = 6;
    corpus_be32(ip + 12, vm);
    corpus_be32(ip + 16, web);
    uint8_t *tcp = ip + 20;
    corpus_be16(tcp, 50110);
    corpus_be16(tcp + 2, 8443);
    corpus_be32(tcp + 4, 0x10000000);
    tcp[12] = 0x50;
    tcp[13] = 0x18;               /* PSH ACK */
    corpus_be16(tcp + 14, 65535);
    for (uint32_t i = 54; i < GSO_FRAME; i++)
        gso[i] = (uint8_t)(i * 131u);
    rp_record(r, ODD_BASE_US + 100 * ODD_MS, NULL, 0, gso, GSO_FRAME, GSO_FRAME);
    free(gso);
    rp_record(r, ODD_BASE_US + 101 * ODD_MS, NULL, 0, NULL, 0, 0);
    return udp_exchange(w, ep(vm, 50120, 4), ep(dns, 53, 6), ODD_BASE_US + 200 * ODD_MS, corpus_dns_msgs, 2,
                        "odd-dns", errbuf);
}

/* netlink.pcap: two nlmsghdr-only messages (what `tcpdump -i nlmon0` writes). */
static int body_netlink(struct cpkt_writer *w, struct rawpcap *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t nl[16] = {0};
    (void)w, (void)errbuf;
    corpus_le32(nl, 16);
    corpus_le16(nl + 4, 18);      /* RTM_GETLINK */
    corpus_le16(nl + 6, 0x301);   /* NLM_F_REQUEST | NLM_F_DUMP */
    rp_record(r, ODD_BASE_US, NULL, 0, nl, 16, 16);
    corpus_le16(nl + 4, 3);       /* NLMSG_DONE */
    rp_record(r, ODD_BASE_US + ODD_MS, NULL, 0, nl, 16, 16);
    return 0;
}

/* null.pcap: HTTP on the loopback interface of a little-endian BSD host,
 * then one frame whose family (99) is none: it carries an IPv4 UDP packet
 * that must not be decoded as one. */
static int body_null(struct cpkt_writer *w, struct rawpcap *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    const uint32_t lo = IP4(127, 0, 0, 1);
    static const struct msg junk[] = {C2S("not IP")};
    if (tcp_session(w, ep(lo, 50130, 1), ep(lo, 8080, 1), ODD_BASE_US, http_get, 2, "odd-null", errbuf) < 0)
        return -1;
    r->family = AF_NULL_UNKNOWN;
    return udp_exchange(w, ep(IP4(10, 9, 9, 9), 9999, 9), ep(IP4(10, 9, 9, 10), 9999, 10),
                        ODD_BASE_US + 100 * ODD_MS, junk, 1, "odd-null-junk", errbuf);
}

/* loop.pcap (OpenBSD's LOOP: the family in network order) and
 * version-1-4.pcap / section-1-1.pcapng: DNS. */
static int body_dns(struct cpkt_writer *w, struct rawpcap *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    (void)r;
    return udp_exchange(w, ep(IP4(127, 0, 0, 1), 50140, 1), ep(IP4(127, 0, 0, 53), 53, 1), ODD_BASE_US,
                        corpus_dns_msgs, 2, "odd-loop", errbuf);
}

/* ns-fraction.pcap: DNS whose answer's nanosecond field is 1.5 s. */
static int body_ns_over(struct cpkt_writer *w, struct rawpcap *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_flow f;
    cpkt_flow_init(&f, w, 17, &(struct cpkt_endpoint){.ip = IP4(10, 0, 0, 4), .port = 50150},
                   &(struct cpkt_endpoint){.ip = IP4(168, 63, 129, 16), .port = 53}, ODD_BASE_US, ODD_MS,
                   cpkt_hash("odd-ns", 6, 0));
    if (cpkt_udp_send(&f, corpus_dns_msgs[0].dir, corpus_dns_msgs[0].data, corpus_dns_msgs[0].len, errbuf) < 0)
        return -1;
    r->frac_over = 1500000000u;
    return cpkt_udp_send(&f, corpus_dns_msgs[1].dir, corpus_dns_msgs[1].data, corpus_dns_msgs[1].len, errbuf);
}

static const struct odd_file odd_files[] = {
    {"oversized.pcap", 0xa1b2c3d4u, 2, 4, 1, 0, 0, body_oversized,
     "Ethernet, snaplen 262144: HTTP 10.0.0.4:50100 -> 10.0.1.5:80; at +100 ms an 80116-byte GSO frame "
     "(tcp 10.0.0.4:50110 -> 10.0.1.5:8443, IPv4 total length 0); at +101 ms a zero-length record; DNS "
     "10.0.0.4:50120 -> 168.63.129.16:53 at +200 ms"},
    {"netlink.pcap", 0xa1b2c3d4u, 2, 4, 253, 0, 0, body_netlink,
     "LINKTYPE_NETLINK (253): two netlink messages; no Suricata decoder takes it"},
    {"null.pcap", 0xa1b2c3d4u, 2, 4, 0, AF_NULL_INET, 0, body_null,
     "LINKTYPE_NULL, family little-endian: HTTP 127.0.0.1:50130 -> 127.0.0.1:8080; at +100 ms one frame of "
     "family 99 holding udp 10.9.9.9:9999 -> 10.9.9.10:9999 (not IP to a reader)"},
    {"loop.pcap", 0xa1b2c3d4u, 2, 4, 108, AF_NULL_INET, 1, body_dns,
     "LINKTYPE_LOOP (108), family in network order: DNS 127.0.0.1:50140 -> 127.0.0.53:53"},
    {"version-1-4.pcap", 0xa1b2c3d4u, 1, 4, 101, 0, 0, body_dns,
     "pcap magic, version 1.4 (no such version): raw IP DNS 127.0.0.1:50140 -> 127.0.0.53:53"},
    {"ns-fraction.pcap", 0xa1b23c4du, 2, 4, 101, 0, 0, body_ns_over,
     "ns pcap, raw IP: DNS 10.0.0.4:50150 -> 168.63.129.16:53 whose answer's ns field is 1500000000"},
};

static int odd_pcap(const char *outdir, const struct odd_file *of, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct rawpcap r;
    struct cpkt_writer_opts o = {.raw_ip = of->linktype != 1, .snaplen = ODD_SNAPLEN};
    char ignored[CORPUS_ERRBUF_SIZE];
    if (rp_open(&r, of->rel, of->magic, of->major, of->minor, of->linktype, errbuf) < 0)
        return -1;
    r.family = of->family;
    r.loop = of->loop;
    struct cpkt_writer *w = cpkt_writer_open_sink(of->rel, &o, rp_sink, &r, errbuf);
    int rc = w != NULL ? of->body(w, &r, errbuf) : -1;
    if (w != NULL && cpkt_writer_close(w, rc < 0 ? ignored : errbuf) < 0)
        rc = -1;
    if (rc < 0) {
        fclose(r.m);
        free(r.buf);
        return -1;
    }
    return rp_close(&r, outdir, of->rel, errbuf);
}

/* section-1-1.pcapng: one Ethernet interface, DNS, in a section of version 1.1. */
static int odd_pcapng(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX], ignored[CORPUS_ERRBUF_SIZE];
    const struct cpkt_writer_opts o = {0};
    if (snprintf(path, sizeof(path), "%s/odd/section-1-1.pcapng", outdir) >= (int)sizeof(path)) {
        corpus_err(errbuf, "%s: path too long", outdir);
        return -1;
    }
    struct cpng_file *png = cpng_open_version(path, "azflow corpus", 1, errbuf);
    struct cpng_iface *ifc = png != NULL ? cpng_add_interface(png, 1, 0, "eth0", 6, errbuf) : NULL;
    struct cpkt_writer *w = ifc != NULL ? cpkt_writer_open_sink(path, &o, cpng_sink, ifc, errbuf) : NULL;
    int rc = w != NULL ? udp_exchange(w, ep(IP4(10, 0, 0, 4), 50160, 4), ep(IP4(168, 63, 129, 16), 53, 6),
                                      ODD_BASE_US, corpus_dns_msgs, 2, "odd-ng", errbuf)
                       : -1;
    if (w != NULL && cpkt_writer_close(w, rc < 0 ? ignored : errbuf) < 0)
        rc = -1;
    if (png == NULL)
        return -1;
    if (rc < 0) {
        cpng_close(png, ignored);
        return -1;
    }
    return cpng_close(png, errbuf);
}

int corpus_build_odd(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    FILE *m;
    char *text;
    size_t len;
    for (size_t i = 0; i < sizeof(odd_files) / sizeof(odd_files[0]); i++)
        if (odd_pcap(outdir, &odd_files[i], errbuf) < 0)
            return -1;
    if (odd_pcapng(outdir, errbuf) < 0)
        return -1;
    if (corpus_join_path(path, sizeof(path), outdir, "odd/MANIFEST", errbuf) < 0 ||
        (m = corpus_memfile_open(&text, &len, path, errbuf)) == NULL)
        return -1;
    fprintf(m, "# odd: capture files with the oddities real-world hosts and tools write, for capture "
               "mode's handling of them.\n");
    fprintf(m, "# Generated by `azflow corpus` (tools/azflow/corpus_odd.c); do not edit.\n");
    fprintf(m, "# base 2026-11-28T05:00:00Z (1795842000); times UTC.\n");
    for (size_t i = 0; i < sizeof(odd_files) / sizeof(odd_files[0]); i++)
        fprintf(m, "file odd/%s %s\n", odd_files[i].rel, odd_files[i].what);
    fprintf(m, "file odd/section-1-1.pcapng pcapng section version 1.1 (libpcap reads only 1.0 and 1.2), "
               "Ethernet: DNS 10.0.0.4:50160 -> 168.63.129.16:53\n");
    return corpus_memfile_close(m, &text, &len, path, errbuf);
}
