/* azflow corpus: a small packet and TCP/UDP session builder over libnet that
 * writes deterministic pcap files, optionally wrapping each frame in vTAP VXLAN. */
#ifndef AZF_CORPUS_PKT_H
#define AZF_CORPUS_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

enum { CPKT_TOSERVER = 0, CPKT_TOCLIENT = 1 };

struct cpkt_endpoint {
    uint32_t ip;     /* host byte order */
    uint16_t port;
    uint8_t mac[6];  /* the MAC this endpoint's frames carry */
};

/* Azure virtual network TAP encapsulation: each inner Ethernet frame goes
 * out as outer Ethernet / IPv4 / UDP (checksum 0) / VXLAN (I flag, VNI). */
struct cpkt_vtap {
    uint8_t outer_src_mac[6], outer_dst_mac[6];
    uint32_t outer_src, outer_dst; /* host byte order */
    uint16_t udp_dport;            /* 4789 */
    uint32_t vni;
};

struct cpkt_writer;

/* Opens a DLT_EN10MB pcap at `path` (parent directories created).  With a
 * non-NULL `vtap` every frame is encapsulated.  NULL on error, errbuf set. */
struct cpkt_writer *cpkt_writer_open(const char *path, const struct cpkt_vtap *vtap,
                                     char errbuf[CORPUS_ERRBUF_SIZE]);
/* Flushes and closes; returns 0, or -1 with errbuf if anything written
 * since open failed.  Frees `w` either way. */
int cpkt_writer_close(struct cpkt_writer *w, char errbuf[CORPUS_ERRBUF_SIZE]);

/* One inner flow.  Index [CPKT_TOSERVER] is the client's side. */
struct cpkt_flow {
    struct cpkt_writer *w;
    uint8_t proto;                 /* 6 or 17 */
    struct cpkt_endpoint ep[2];    /* client, server */
    uint32_t next_seq[2];          /* TCP: next sequence number each side sends */
    uint16_t ip_id[2];             /* next IPv4 id each side sends */
    int64_t now_us;                /* time of the next packet */
    int64_t step_us;               /* gap between packets */
    /* what was written, per direction: packets and IPv4 total-length bytes */
    uint64_t pkts[2], bytes[2];
    int64_t first_us, last_us;
};

/* Sets up a flow starting at `start_us`.  ISNs and IP ids are derived from
 * `seed` so that a scenario table fully determines the output. */
void cpkt_flow_init(struct cpkt_flow *f, struct cpkt_writer *w, uint8_t proto,
                    const struct cpkt_endpoint *client, const struct cpkt_endpoint *server,
                    int64_t start_us, int64_t step_us, uint32_t seed);

/* TCP: SYN, SYN/ACK, ACK. */
int cpkt_tcp_open(struct cpkt_flow *f, char errbuf[CORPUS_ERRBUF_SIZE]);
/* TCP: one PSH/ACK data segment from side `dir`, then the peer's ACK. */
int cpkt_tcp_send(struct cpkt_flow *f, int dir, const void *data, size_t len,
                  char errbuf[CORPUS_ERRBUF_SIZE]);
/* TCP: FIN/ACK from the client, FIN/ACK from the server, the client's ACK. */
int cpkt_tcp_close(struct cpkt_flow *f, char errbuf[CORPUS_ERRBUF_SIZE]);
/* UDP: one datagram from side `dir`. */
int cpkt_udp_send(struct cpkt_flow *f, int dir, const void *data, size_t len,
                  char errbuf[CORPUS_ERRBUF_SIZE]);

/* A stable 32-bit FNV-1a hash (used for seeds and the outer UDP port). */
uint32_t cpkt_hash(const void *data, size_t len, uint32_t h);

#endif /* AZF_CORPUS_PKT_H */
