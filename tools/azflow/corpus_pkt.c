/* azflow corpus: builds frames with libnet and writes them with libpcap (or
 * hands them to a shared capture file's sink).
 * Everything is derived from the caller's tables: no clock, no randomness. */
#include <libnet.h>
#include <pcap/pcap.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_pkt.h"

#define VXLAN_HLEN 8
#define MAX_FRAME 2048
#define INNER_TTL 64
#define TCP_WINDOW 64240

struct cpkt_writer {
    char *path;
    pcap_t *dead;            /* NULL when frames go to `sink` */
    pcap_dumper_t *dumper;
    cpkt_sink_fn sink;
    void *sink_ctx;
    cpkt_hook_fn hook;
    void *hook_user;
    cpkt_sink_fn observer;
    void *observer_ctx;
    libnet_t *inner, *outer;
    int has_vtap, raw_ip;
    uint32_t snaplen;
    struct cpkt_vtap vtap;
    int64_t last_us;
    uint64_t frames;
};

uint32_t cpkt_hash(const void *data, size_t len, uint32_t h)
{
    const uint8_t *p = data;
    if (h == 0)
        h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* The part every writer shares: libnet contexts and options. */
static struct cpkt_writer *writer_new(const char *name, const struct cpkt_writer_opts *o,
                                      char errbuf[CORPUS_ERRBUF_SIZE])
{
    char lerr[LIBNET_ERRBUF_SIZE] = "";
    struct cpkt_writer *w = calloc(1, sizeof(*w));

    if (w == NULL || (w->path = strdup(name)) == NULL) {
        corpus_err(errbuf, "%s: out of memory", name);
        free(w);
        return NULL;
    }
    /* LIBNET_NONE: construct only; no device, no privileges. */
    w->inner = libnet_init(LIBNET_NONE, NULL, lerr);
    if (w->inner != NULL)
        w->outer = libnet_init(LIBNET_NONE, NULL, lerr);
    if (w->inner == NULL || w->outer == NULL) {
        corpus_err(errbuf, "%s: libnet_init: %s", name, lerr);
        if (w->inner != NULL)
            libnet_destroy(w->inner);
        free(w->path);
        free(w);
        return NULL;
    }
    if (o->vtap != NULL) {
        w->has_vtap = 1;
        w->vtap = *o->vtap;
    }
    w->raw_ip = o->raw_ip;
    w->snaplen = o->snaplen ? o->snaplen : 65535;
    w->last_us = INT64_MIN;
    return w;
}

static void writer_free(struct cpkt_writer *w)
{
    if (w->dead != NULL)
        pcap_close(w->dead);
    libnet_destroy(w->inner);
    libnet_destroy(w->outer);
    free(w->path);
    free(w);
}

struct cpkt_writer *cpkt_writer_open_pcap(const char *path, const struct cpkt_writer_opts *o,
                                          char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_writer *w;

    if (corpus_mkdir_parents(path, errbuf) < 0)
        return NULL;
    if ((w = writer_new(path, o, errbuf)) == NULL)
        return NULL;
    w->dead = pcap_open_dead(o->raw_ip ? DLT_RAW : DLT_EN10MB, (int)w->snaplen);
    if (w->dead == NULL) {
        corpus_err(errbuf, "%s: pcap_open_dead failed", path);
        writer_free(w);
        return NULL;
    }
    w->dumper = pcap_dump_open(w->dead, path);
    if (w->dumper == NULL) {
        corpus_err(errbuf, "%s", pcap_geterr(w->dead));
        writer_free(w);
        return NULL;
    }
    return w;
}

struct cpkt_writer *cpkt_writer_open(const char *path, const struct cpkt_vtap *vtap,
                                     char errbuf[CORPUS_ERRBUF_SIZE])
{
    const struct cpkt_writer_opts o = {.vtap = vtap};
    return cpkt_writer_open_pcap(path, &o, errbuf);
}

struct cpkt_writer *cpkt_writer_open_sink(const char *name, const struct cpkt_writer_opts *o,
                                          cpkt_sink_fn sink, void *ctx,
                                          char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_writer *w = writer_new(name, o, errbuf);

    if (w != NULL) {
        w->sink = sink;
        w->sink_ctx = ctx;
    }
    return w;
}

void cpkt_writer_set_hook(struct cpkt_writer *w, cpkt_hook_fn hook, void *user)
{
    w->hook = hook;
    w->hook_user = user;
}

void cpkt_writer_set_observer(struct cpkt_writer *w, cpkt_sink_fn observer, void *ctx)
{
    w->observer = observer;
    w->observer_ctx = ctx;
}

uint64_t cpkt_writer_frames(const struct cpkt_writer *w)
{
    return w->frames;
}

int cpkt_writer_close(struct cpkt_writer *w, char errbuf[CORPUS_ERRBUF_SIZE])
{
    int rc = 0;

    if (w == NULL)
        return 0;
    if (w->dumper != NULL) {
        if (pcap_dump_flush(w->dumper) != 0 || ferror(pcap_dump_file(w->dumper))) {
            corpus_err(errbuf, "%s: write failed: %s", w->path, strerror(errno));
            rc = -1;
        }
        pcap_dump_close(w->dumper);
    }
    writer_free(w);
    return rc;
}

static int libnet_fail(struct cpkt_writer *w, libnet_t *l, const char *what,
                       char errbuf[CORPUS_ERRBUF_SIZE])
{
    corpus_err(errbuf, "%s: frame %llu: %s: %s", w->path,
               (unsigned long long)w->frames + 1, what, libnet_geterror(l));
    libnet_clear_packet(l);
    return -1;
}

/* Wraps an inner frame as vTAP sends it (outer IPv4 id 0, TTL 64, no DF, UDP
 * checksum 0, VXLAN I flag) and returns the coalesced outer frame. */
static int encapsulate(struct cpkt_writer *w, const uint8_t *inner, uint32_t inner_len,
                       uint16_t udp_sport, uint8_t **out, uint32_t *out_len,
                       char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t payload[VXLAN_HLEN + MAX_FRAME];
    uint32_t plen = VXLAN_HLEN + inner_len;
    libnet_t *l = w->outer;
    libnet_ptag_t udp;

    if (inner_len > MAX_FRAME) {
        corpus_err(errbuf, "%s: frame %llu: inner frame too long (%u)",
                   w->path, (unsigned long long)w->frames + 1, inner_len);
        return -1;
    }
    memset(payload, 0, VXLAN_HLEN);
    payload[0] = 0x08;                       /* I: the VNI is valid */
    corpus_be32(payload + 4, w->vtap.vni << 8); /* VNI in bytes 4..6, byte 7 reserved */
    memcpy(payload + VXLAN_HLEN, inner, inner_len);

    libnet_clear_packet(l);
    udp = libnet_build_udp(udp_sport, w->vtap.udp_dport, (uint16_t)(LIBNET_UDP_H + plen), 0,
                           payload, plen, l, 0);
    if (udp == -1)
        return libnet_fail(w, l, "outer udp", errbuf);
    if (libnet_toggle_checksum(l, udp, LIBNET_OFF) == -1)
        return libnet_fail(w, l, "outer udp checksum", errbuf);
    if (libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + LIBNET_UDP_H + plen), 0, 0, 0, 64,
                          IPPROTO_UDP, 0, htonl(w->vtap.outer_src), htonl(w->vtap.outer_dst),
                          NULL, 0, l, 0) == -1)
        return libnet_fail(w, l, "outer ipv4", errbuf);
    if (libnet_build_ethernet(w->vtap.outer_dst_mac, w->vtap.outer_src_mac, ETHERTYPE_IP,
                              NULL, 0, l, 0) == -1)
        return libnet_fail(w, l, "outer ethernet", errbuf);
    if (libnet_pblock_coalesce(l, out, out_len) == -1)
        return libnet_fail(w, l, "outer coalesce", errbuf);
    libnet_clear_packet(l);
    return 0;
}

static int write_frame(struct cpkt_writer *w, int64_t ts_us, const uint8_t *frame, uint32_t len,
                       char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint32_t caplen = len < w->snaplen ? len : w->snaplen;

    /* Readers (Suricata's pcap-file among them) expect time to go forward. */
    if (ts_us < w->last_us) {
        corpus_err(errbuf, "%s: frame %llu: time goes backwards",
                   w->path, (unsigned long long)w->frames + 1);
        return -1;
    }
    if (w->sink != NULL) {
        if (w->sink(w->sink_ctx, ts_us, frame, caplen, len, errbuf) < 0)
            return -1;
    } else {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof(h));
        h.ts.tv_sec = (time_t)(ts_us / 1000000);
        h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
        h.caplen = caplen;
        h.len = len;
        pcap_dump((u_char *)w->dumper, &h, frame);
    }
    if (w->observer != NULL && w->observer(w->observer_ctx, ts_us, frame, caplen, len, errbuf) < 0)
        return -1;
    w->last_us = ts_us;
    w->frames++;
    return 0;
}

/* The outer UDP source port: a hash of the inner 5-tuple taken in a
 * direction-independent order, so both directions share one carrier flow. */
static uint16_t outer_sport(const struct cpkt_flow *f)
{
    const struct cpkt_endpoint *a = &f->ep[0], *b = &f->ep[1];
    uint8_t key[13];
    uint32_t h;

    if (a->ip > b->ip || (a->ip == b->ip && a->port > b->port)) {
        const struct cpkt_endpoint *t = a;
        a = b;
        b = t;
    }
    corpus_be32(key, a->ip);
    corpus_be32(key + 4, b->ip);
    corpus_be16(key + 8, a->port);
    corpus_be16(key + 10, b->port);
    key[12] = f->proto;
    h = cpkt_hash(key, sizeof(key), 0);
    return (uint16_t)(49152 + h % 16384);
}

/* Builds one inner IPv4 packet from side `dir` (TCP when proto is 6, with
 * `flags`/`seq`/`ack`; UDP when 17; else `data` is the IP payload), wraps
 * it, writes it, counts it. */
static int emit(struct cpkt_flow *f, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                const void *data, size_t len, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_writer *w = f->w;
    libnet_t *l = w->inner;
    const struct cpkt_endpoint *src = &f->ep[dir], *dst = &f->ep[!dir];
    int bare = f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP;
    uint32_t l4len = (uint32_t)len + (f->proto == IPPROTO_TCP ? LIBNET_TCP_H
                                      : f->proto == IPPROTO_UDP ? LIBNET_UDP_H : 0);
    uint32_t iplen = LIBNET_IPV4_H + l4len;
    uint8_t *frame = NULL, *outer = NULL;
    uint32_t frame_len = 0, outer_len = 0;
    int rc;

    if (len > 1400) {
        corpus_err(errbuf, "%s: frame %llu: payload too long (%zu)",
                   w->path, (unsigned long long)w->frames + 1, len);
        return -1;
    }
    libnet_clear_packet(l);
    if (f->proto == IPPROTO_TCP) {
        if (libnet_build_tcp(src->port, dst->port, seq, ack, flags, TCP_WINDOW, 0, 0,
                             (uint16_t)l4len, data, (uint32_t)len, l, 0) == -1)
            return libnet_fail(w, l, "tcp", errbuf);
    } else if (!bare) {
        if (libnet_build_udp(src->port, dst->port, (uint16_t)l4len, 0, data, (uint32_t)len,
                             l, 0) == -1)
            return libnet_fail(w, l, "udp", errbuf);
    }
    if (libnet_build_ipv4((uint16_t)iplen, 0, f->ip_id[dir], IP_DF, INNER_TTL, f->proto, 0,
                          htonl(src->ip), htonl(dst->ip), bare ? data : NULL,
                          bare ? (uint32_t)len : 0, l, 0) == -1)
        return libnet_fail(w, l, "ipv4", errbuf);
    if (!w->raw_ip &&
        libnet_build_ethernet(dst->mac, src->mac, ETHERTYPE_IP, NULL, 0, l, 0) == -1)
        return libnet_fail(w, l, "ethernet", errbuf);
    if (libnet_pblock_coalesce(l, &frame, &frame_len) == -1)
        return libnet_fail(w, l, "coalesce", errbuf);
    libnet_clear_packet(l);

    rc = w->hook != NULL ? w->hook(w->hook_user, f, dir, f->now_us, iplen, errbuf) : 0;
    if (rc < 0) {
        libnet_adv_free_packet(l, frame);
        return rc;
    }
    if (w->has_vtap) {
        rc = encapsulate(w, frame, frame_len, outer_sport(f), &outer, &outer_len, errbuf);
        if (rc == 0)
            rc = write_frame(w, f->now_us, outer, outer_len, errbuf);
        if (outer != NULL)
            libnet_adv_free_packet(w->outer, outer);
    } else {
        rc = write_frame(w, f->now_us, frame, frame_len, errbuf);
    }
    libnet_adv_free_packet(l, frame);
    if (rc < 0)
        return rc;

    if (f->pkts[0] + f->pkts[1] == 0)
        f->first_us = f->now_us;
    f->last_us = f->now_us;
    f->pkts[dir]++;
    f->bytes[dir] += iplen;
    f->ip_id[dir]++;
    f->now_us += f->step_us;
    return 0;
}

void cpkt_flow_init(struct cpkt_flow *f, struct cpkt_writer *w, uint8_t proto,
                    const struct cpkt_endpoint *client, const struct cpkt_endpoint *server,
                    int64_t start_us, int64_t step_us, uint32_t seed)
{
    memset(f, 0, sizeof(*f));
    f->w = w;
    f->proto = proto;
    f->ep[CPKT_TOSERVER] = *client;
    f->ep[CPKT_TOCLIENT] = *server;
    f->next_seq[CPKT_TOSERVER] = cpkt_hash("client-isn", 10, seed);
    f->next_seq[CPKT_TOCLIENT] = cpkt_hash("server-isn", 10, seed);
    f->ip_id[CPKT_TOSERVER] = (uint16_t)cpkt_hash("client-ipid", 11, seed);
    f->ip_id[CPKT_TOCLIENT] = (uint16_t)cpkt_hash("server-ipid", 11, seed);
    f->now_us = start_us;
    f->step_us = step_us;
}

int cpkt_tcp_open(struct cpkt_flow *f, char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint32_t *s = f->next_seq;

    if (emit(f, CPKT_TOSERVER, TH_SYN, s[0], 0, NULL, 0, errbuf) < 0)
        return -1;
    s[0]++;
    if (emit(f, CPKT_TOCLIENT, TH_SYN | TH_ACK, s[1], s[0], NULL, 0, errbuf) < 0)
        return -1;
    s[1]++;
    return emit(f, CPKT_TOSERVER, TH_ACK, s[0], s[1], NULL, 0, errbuf);
}

int cpkt_tcp_send(struct cpkt_flow *f, int dir, const void *data, size_t len,
                  char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint32_t *s = f->next_seq;

    if (emit(f, dir, TH_PUSH | TH_ACK, s[dir], s[!dir], data, len, errbuf) < 0)
        return -1;
    s[dir] += (uint32_t)len;
    return emit(f, !dir, TH_ACK, s[!dir], s[dir], NULL, 0, errbuf);
}

int cpkt_tcp_close(struct cpkt_flow *f, char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint32_t *s = f->next_seq;

    if (emit(f, CPKT_TOSERVER, TH_FIN | TH_ACK, s[0], s[1], NULL, 0, errbuf) < 0)
        return -1;
    s[0]++;
    if (emit(f, CPKT_TOCLIENT, TH_FIN | TH_ACK, s[1], s[0], NULL, 0, errbuf) < 0)
        return -1;
    s[1]++;
    return emit(f, CPKT_TOSERVER, TH_ACK, s[0], s[1], NULL, 0, errbuf);
}

int cpkt_udp_send(struct cpkt_flow *f, int dir, const void *data, size_t len,
                  char errbuf[CORPUS_ERRBUF_SIZE])
{
    return emit(f, dir, 0, 0, 0, data, len, errbuf);
}

int cpkt_ip_send(struct cpkt_flow *f, int dir, const void *data, size_t len,
                 char errbuf[CORPUS_ERRBUF_SIZE])
{
    return emit(f, dir, 0, 0, 0, data, len, errbuf);
}
