/* azflow corpus: a small packet and TCP/UDP session builder over libnet that
 * writes deterministic captures (a pcap file of its own, or one interface of
 * a pcapng / NetMon file), optionally wrapping each frame in vTAP VXLAN. */
#ifndef AZF_CORPUS_PKT_H
#define AZF_CORPUS_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

enum { CPKT_TOSERVER = 0, CPKT_TOCLIENT = 1 };

/* One application message; a TCP flow is handshake, messages, FIN close. */
struct msg {
    int dir;
    const void *data;
    size_t len;
};
#define C2S(lit) {CPKT_TOSERVER, (lit), sizeof(lit) - 1}
#define S2C(lit) {CPKT_TOCLIENT, (lit), sizeof(lit) - 1}

/* Exchanges more than one generator sends (corpus.c). */
extern const struct msg corpus_ssh_msgs[2];  /* both banners, server first */
extern const struct msg corpus_dns_msgs[2];  /* A app.internal -> 10.0.1.5 */
extern const struct msg corpus_smb_msgs[2];  /* SMB1 NEGOTIATE and its response, over NetBIOS */

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

/* The vTAP mirror every corpus scenario shares (corpus.c), and the bench's
 * generator too: its carrier (10.1.0.4 -> collector 10.1.0.10, VNI 4096)
 * and the subnet gateway's MAC, which frames from off-NIC addresses carry. */
extern const struct cpkt_vtap corpus_vtap_encap;
extern const uint8_t corpus_vtap_gw_mac[6];

struct cpkt_writer;

struct cpkt_writer_opts {
    const struct cpkt_vtap *vtap;  /* non-NULL: every frame is encapsulated */
    int raw_ip;                    /* frames start at the IP header (LINKTYPE_RAW) */
    uint32_t snaplen;              /* 0: 65535; longer frames are cut (caplen < len) */
};

/* Where frames go when the writer does not own a pcap file: one interface of
 * a shared capture file.  Returns 0, or -1 with errbuf set. */
typedef int (*cpkt_sink_fn)(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen,
                            uint32_t len, char errbuf[CORPUS_ERRBUF_SIZE]);

/* Opens a DLT_EN10MB pcap at `path` (parent directories created).  With a
 * non-NULL `vtap` every frame is encapsulated.  NULL on error, errbuf set. */
struct cpkt_writer *cpkt_writer_open(const char *path, const struct cpkt_vtap *vtap,
                                     char errbuf[CORPUS_ERRBUF_SIZE]);
/* The same with options (DLT_RAW when raw_ip, the snap length in the header). */
struct cpkt_writer *cpkt_writer_open_pcap(const char *path, const struct cpkt_writer_opts *o,
                                          char errbuf[CORPUS_ERRBUF_SIZE]);
/* A writer whose frames go to `sink`; `name` labels its errors. */
struct cpkt_writer *cpkt_writer_open_sink(const char *name, const struct cpkt_writer_opts *o,
                                          cpkt_sink_fn sink, void *ctx,
                                          char errbuf[CORPUS_ERRBUF_SIZE]);
/* Flushes and closes; returns 0, or -1 with errbuf if anything written
 * since open failed.  Frees `w` either way. */
int cpkt_writer_close(struct cpkt_writer *w, char errbuf[CORPUS_ERRBUF_SIZE]);
/* Frames written so far. */
uint64_t cpkt_writer_frames(const struct cpkt_writer *w);

struct cpkt_flow;
/* Called for each packet a flow builds on this writer, before it is written
 * (at ts_us, IP length iplen, from side dir): it may write frames of its own
 * elsewhere first, e.g. the ESP packet an inner packet came out of. */
typedef int (*cpkt_hook_fn)(void *user, const struct cpkt_flow *f, int dir, int64_t ts_us,
                            uint32_t iplen, char errbuf[CORPUS_ERRBUF_SIZE]);
void cpkt_writer_set_hook(struct cpkt_writer *w, cpkt_hook_fn hook, void *user);
/* Called with every frame after it is written (e.g. to describe it in a
 * MANIFEST); the frame is as written, cut to caplen. */
void cpkt_writer_set_observer(struct cpkt_writer *w, cpkt_sink_fn observer, void *ctx);

/* One inner flow.  Index [CPKT_TOSERVER] is the client's side. */
struct cpkt_flow {
    struct cpkt_writer *w;
    uint8_t proto;                 /* 6, 17, or any other: a bare IP payload (e.g. 50, ESP) */
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
/* Neither TCP nor UDP: one IP packet from side `dir` carrying `data`. */
int cpkt_ip_send(struct cpkt_flow *f, int dir, const void *data, size_t len,
                 char errbuf[CORPUS_ERRBUF_SIZE]);

/* A stable 32-bit FNV-1a hash (used for seeds and the outer UDP port). */
uint32_t cpkt_hash(const void *data, size_t len, uint32_t h);

#endif /* AZF_CORPUS_PKT_H */
