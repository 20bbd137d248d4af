/* azflow corpus, scenario `vpngw`: Azure VPN Gateway packet captures and
 * the VNet flow log of the flows inside the tunnel. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "corpus_flowlog.h"
#include "corpus_mirror.h"
#include "corpus_notes.h"
#include "corpus_pcapng.h"
#include "corpus_pkt.h"

/* --- scenario: vpngw -------------------------------------------------------------
 * An Azure VPN Gateway packet capture (TracingFlags 11, MaxPacketBufferSize
 * 120): the outer IKE/ESP/NAT-T packets between gateway 20.1.1.4 and the
 * on-premises device 203.0.113.10 on an Ethernet interface, the decrypted
 * inner packets on a raw-IP interface of the same pcapng; a second capture
 * with ESP in one direction only; the VNet flow log of the inner flows. */

#define VPN_GW "20.1.1.4"
#define VPN_PEER "203.0.113.10"
#define VPN_SNAPLEN 120
#define VPN_SPI_IN 0xc0ffee01u  /* peer -> gateway */
#define VPN_SPI_OUT 0xc0ffee02u /* gateway -> peer */
#define VPN_ESP_LEAD_US 100     /* an inner packet follows its ESP packet by this */
#define VPN_NIC_IP "10.1.0.5"
#define VPN_NIC_MAC "000D3AF8A005"
#define VPN_NSG_ACL \
    "/subscriptions/" VTAP_SUB "/resourceGroups/rg-hub/providers/Microsoft.Network/" \
    "networkSecurityGroups/nsg-hub"
#define IKE_HLEN 28
#define IKE_SPI_I UINT64_C(0x5a3c9e1f00c0ffee)
#define IKE_SPI_R UINT64_C(0xa17e0b22d4f0aced)

static const uint8_t vpn_gw_mac[6] = {0x00, 0x0d, 0x3a, 0x20, 0x01, 0x04};
static const struct nic vpn_gw_nic = {VPN_GW, vpn_gw_mac};

static const struct cflog_vnet_env vpngw_vnet_env = {
    .flow_log_guid = "5f0c2a9e-0000-4000-8000-0000000000ab",
    .mac = VPN_NIC_MAC,
    .flow_log_resource_id = "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/"
                            "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
                            "NETWORKWATCHER_EASTUS/FLOWLOGS/VNET-HUB-FLOWLOG",
    .target_resource_id = "/subscriptions/" VTAP_SUB "/resourceGroups/rg-hub/providers/"
                          "Microsoft.Network/virtualNetworks/vnet-hub",
};

/* DNS A fs01.corp.example -> 192.168.10.20 (TTL 300), from the on-premises server. */
static const struct msg corp_dns_msgs[] = {
    C2S("\x5b\x1e\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x04" "fs01" "\x04" "corp" "\x07" "example" "\x00" "\x00\x01\x00\x01"),
    S2C("\x5b\x1e\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
        "\x04" "fs01" "\x04" "corp" "\x07" "example" "\x00" "\x00\x01\x00\x01"
        "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\xa8\x0a\x14"),
};

/* Inner flows, in time order, and how their ESP travels. */
struct vpn_flow {
    struct mirror_flow f;
    int natt; /* 1: UDP-encapsulated ESP on 4500, 0: IP protocol 50 */
};

static const struct vpn_flow vpn_flows[] = {
    {{"smb", TCP, VPN_NIC_IP, 50500, "192.168.10.20", 445, 12000, MSGS(corpus_smb_msgs),
      LOG_ALLOW, 'O', "NX", VPN_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}}, 0},
    {{"dns", UDP, VPN_NIC_IP, 53001, "192.168.10.53", 53, 14000, MSGS(corp_dns_msgs),
      LOG_ALLOW, 'O', "NX", VPN_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}}, 1},
};
#define VPN_NFLOWS (sizeof(vpn_flows) / sizeof(vpn_flows[0]))

/* Inner packet lengths inside the one-direction capture's ESP packets. */
static const uint32_t onedir_inner_lens[] = {60, 1350, 52, 1350, 40, 576, 1350, 40};

/* Deterministic "ciphertext", key material and nonces. */
static void fill_bytes(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 0x9e3779b9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* ESP as AES-256-CBC with HMAC-SHA1-96 makes it: SPI, sequence number,
 * 16-byte IV, the inner packet plus its 2-byte trailer padded to 16, a
 * 12-byte ICV; everything after the sequence number opaque here. */
static size_t esp_payload(uint8_t *b, uint32_t spi, uint32_t seq, uint32_t inner_len)
{
    size_t n = 8 + 16 + ((inner_len + 2 + 15) & ~15u) + 12;
    corpus_be32(b, spi);
    corpus_be32(b + 4, seq);
    fill_bytes(b + 8, n - 8, spi ^ (seq * 2654435761u));
    return n;
}

static void ike_header(uint8_t *b, int response, uint8_t next, uint8_t exch, uint32_t msgid,
                       size_t len)
{
    corpus_be32(b, (uint32_t)(IKE_SPI_I >> 32));
    corpus_be32(b + 4, (uint32_t)IKE_SPI_I);
    corpus_be32(b + 8, response || exch != 34 ? (uint32_t)(IKE_SPI_R >> 32) : 0);
    corpus_be32(b + 12, response || exch != 34 ? (uint32_t)IKE_SPI_R : 0);
    b[16] = next;
    b[17] = 0x20;                    /* IKEv2 */
    b[18] = exch;
    b[19] = response ? 0x20 : 0x08;  /* Response from the responder / Initiator */
    corpus_be32(b + 20, msgid);
    corpus_be32(b + 24, (uint32_t)len);
}

/* A generic payload header (next payload, length) at b[*off]. */
static uint8_t *ike_payload(uint8_t *b, size_t *off, uint8_t next, size_t len)
{
    uint8_t *p = b + *off;
    p[0] = next;
    p[1] = 0;
    corpus_be16(p + 2, (uint32_t)len);
    *off += len;
    return p;
}

/* IKE_SA_INIT (RFC 7296 §1.2): SA (AES-CBC-256, HMAC-SHA2-256, SHA2-256-128,
 * MODP 2048), KE, Nonce, NAT detection notifies.  The peer asks, the
 * gateway answers. */
static size_t ike_sa_init(uint8_t *b, int response)
{
    static const uint8_t transforms[] = {
        3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0x01, 0x00, /* ENCR AES-CBC, key 256 */
        3, 0, 0, 8, 2, 0, 0, 5,                           /* PRF HMAC-SHA2-256 */
        3, 0, 0, 8, 3, 0, 0, 12,                          /* INTEG SHA2-256-128 */
        0, 0, 0, 8, 4, 0, 0, 14,                          /* D-H 2048-bit MODP */
    };
    size_t off = IKE_HLEN;
    uint8_t *p = ike_payload(b, &off, 34, 4 + 8 + sizeof(transforms));        /* SA */
    p[4] = 0;                                                                  /* last proposal */
    p[5] = 0;
    corpus_be16(p + 6, 8 + sizeof(transforms));
    p[8] = 1;                                                                  /* proposal 1 */
    p[9] = 1;                                                                  /* IKE */
    p[10] = 0;
    p[11] = 4;
    memcpy(p + 12, transforms, sizeof(transforms));
    p = ike_payload(b, &off, 40, 8 + 256);                                     /* KE */
    corpus_be16(p + 4, 14);
    corpus_be16(p + 6, 0);
    fill_bytes(p + 8, 256, response ? 0x6b650002u : 0x6b650001u);
    p = ike_payload(b, &off, 41, 4 + 32);                                      /* Nonce */
    fill_bytes(p + 4, 32, response ? 0x6e6f0002u : 0x6e6f0001u);
    for (int i = 0; i < 2; i++) {                                              /* NAT_DETECTION_* */
        p = ike_payload(b, &off, i == 0 ? 41 : 0, 8 + 20);
        p[4] = 0;
        p[5] = 0;
        corpus_be16(p + 6, 16388 + (uint32_t)i);
        fill_bytes(p + 8, 20, (response ? 0x6e610010u : 0x6e610000u) + (uint32_t)i);
    }
    ike_header(b, response, 33, 34, 0, off);
    return off;
}

/* IKE_AUTH on UDP 4500: the non-ESP marker, then the header and one
 * Encrypted (SK) payload: IV, ciphertext, ICV. */
static size_t ike_auth(uint8_t *b, int response)
{
    size_t off = 4 + IKE_HLEN;
    uint8_t *p;

    memset(b, 0, 4);
    p = ike_payload(b, &off, response ? 36 : 35, 4 + 16 + 304 + 16); /* SK, first IDi / IDr */
    fill_bytes(p + 4, 16 + 304 + 16, response ? 0x736b0002u : 0x736b0001u);
    ike_header(b + 4, response, 46, 35, 1, off - 4);
    return off;
}

/* The tunnel the inner packets travel in, for the writer hook. */
struct vpn_tunnel {
    struct cpkt_flow esp, natt;  /* client side: the peer, server side: the gateway */
    struct noter *outer;
    int use_natt;
    uint32_t seq[2];             /* next ESP sequence number per direction */
};

/* Writes one ESP packet (IP protocol 50 or NAT-T) from side `dir` of the
 * tunnel at `ts_us`, carrying `inner_len` bytes. */
static int vpn_esp(struct vpn_tunnel *t, int natt, int dir, int64_t ts_us, uint32_t inner_len,
                   char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t esp[1500];
    uint32_t spi = dir == CPKT_TOSERVER ? VPN_SPI_IN : VPN_SPI_OUT;
    uint32_t seq = ++t->seq[dir];
    size_t n = esp_payload(esp, spi, seq, inner_len);
    struct cpkt_flow *f = natt ? &t->natt : &t->esp;

    snprintf(t->outer->what, sizeof(t->outer->what), "outer %s spi=0x%08x seq=%u inner=%u",
             natt ? "natt-esp" : "esp", spi, seq, inner_len);
    f->now_us = ts_us;
    return natt ? cpkt_udp_send(f, dir, esp, n, errbuf) : cpkt_ip_send(f, dir, esp, n, errbuf);
}

/* Before each inner packet: the ESP packet it was decrypted from, or
 * encrypted into, VPN_ESP_LEAD_US earlier.  Inner client -> server is
 * Azure -> on-premises, i.e. gateway -> peer. */
static int vpn_hook(void *user, const struct cpkt_flow *f, int dir, int64_t ts_us, uint32_t iplen,
                    char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct vpn_tunnel *t = user;
    (void)f;
    return vpn_esp(t, t->use_natt, dir == CPKT_TOSERVER ? CPKT_TOCLIENT : CPKT_TOSERVER,
                   ts_us - VPN_ESP_LEAD_US, iplen, errbuf);
}

static int vpn_ike(struct vpn_tunnel *t, struct cpkt_flow *f, int response, int auth, int64_t ms,
                   char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t b[1024];
    size_t n = auth ? ike_auth(b, response) : ike_sa_init(b, response);

    snprintf(t->outer->what, sizeof(t->outer->what), "outer ike %s %s",
             auth ? "IKE_AUTH" : "IKE_SA_INIT", response ? "response" : "request");
    f->now_us = CORPUS_BASE_S * S_US + ms * MS_US;
    return cpkt_udp_send(f, response ? CPKT_TOCLIENT : CPKT_TOSERVER, b, n, errbuf);
}

/* The outer flows of the tunnel on writer `wo`, starting at t0. */
static void vpn_tunnel_init(struct vpn_tunnel *t, struct cpkt_flow *ike500, struct cpkt_writer *wo,
                            struct noter *outer)
{
    struct cpkt_endpoint peer = corpus_endpoint(VPN_PEER, 500, &vpn_gw_nic);
    struct cpkt_endpoint gw = corpus_endpoint(VPN_GW, 500, &vpn_gw_nic);
    int64_t t0 = CORPUS_BASE_S * S_US;

    memset(t, 0, sizeof(*t));
    t->outer = outer;
    cpkt_flow_init(ike500, wo, UDP, &peer, &gw, t0, 0, cpkt_hash("ike500", 6, 0));
    peer.port = gw.port = 4500;
    cpkt_flow_init(&t->natt, wo, UDP, &peer, &gw, t0, 0, cpkt_hash("natt", 4, 0));
    peer.port = gw.port = 0;
    cpkt_flow_init(&t->esp, wo, 50, &peer, &gw, t0, 0, cpkt_hash("esp", 3, 0));
}

/* A gateway capture as the gateway writes it: interface 0 the outer
 * (Ethernet) packets, interface 1 the decrypted inner ones (raw IP), each
 * frame noted in the log under its writer's label. */
struct vpn_capture {
    struct cpng_file *png;
    struct cpng_iface *inner_if;
    struct cpkt_writer *wo, *wi; /* outer, inner */
    struct noter outer, in;
};

static const struct cpkt_writer_opts vpn_outer_opts = {.snaplen = VPN_SNAPLEN};
static const struct cpkt_writer_opts vpn_inner_opts = {.raw_ip = 1, .snaplen = VPN_SNAPLEN};

/* Opens `path` with both interfaces and their writers.  On -1 (errbuf set)
 * the caller still closes it with vpn_capture_close. */
static int vpn_capture_open(struct vpn_capture *c, const char *path, struct pkt_log *log,
                            char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpng_iface *outer_if;

    *c = (struct vpn_capture){.outer = {.log = log, .iface = 0, .ethernet = 1},
                              .in = {.log = log, .iface = 1, .ethernet = 0}};
    if ((c->png = cpng_open(path, "azflow corpus", errbuf)) == NULL ||
        (outer_if = cpng_add_interface(c->png, 1, VPN_SNAPLEN, "vpngw-outer", 6, errbuf)) == NULL ||
        (c->inner_if = cpng_add_interface(c->png, 101, VPN_SNAPLEN, "vpngw-inner", 9, errbuf)) == NULL ||
        (c->wo = cpkt_writer_open_sink(path, &vpn_outer_opts, cpng_sink, outer_if, errbuf)) == NULL ||
        (c->wi = cpkt_writer_open_sink(path, &vpn_inner_opts, cpng_sink, c->inner_if, errbuf)) == NULL)
        return -1;
    cpkt_writer_set_observer(c->wo, corpus_note_frame, &c->outer);
    cpkt_writer_set_observer(c->wi, corpus_note_frame, &c->in);
    return 0;
}

/* Closes `extra` (another writer on one of its interfaces, or NULL), the
 * two writers, then the capture: written when rc is 0 and every close
 * succeeds, else dropped, errbuf keeping the first error.  0 or -1. */
static int vpn_capture_close(struct vpn_capture *c, struct cpkt_writer *extra, int rc,
                             char errbuf[CORPUS_ERRBUF_SIZE])
{
    char ignored[CORPUS_ERRBUF_SIZE];
    struct cpkt_writer *const w[] = {extra, c->wi, c->wo};

    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
        if (cpkt_writer_close(w[i], rc < 0 ? ignored : errbuf) < 0)
            rc = -1;
    if (rc < 0) {
        cpng_close(c->png, ignored);
        return -1;
    }
    return cpng_close(c->png, errbuf);
}

/* vpngw/gateway.pcapng: IKE, then the inner flows each behind its ESP. */
static int vpngw_pcapng(const char *path, struct pkt_log *log, struct mirror_result *res,
                        char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct vpn_capture cap;
    struct vpn_tunnel t;
    struct cpkt_flow ike500;
    int rc = -1;

    if (vpn_capture_open(&cap, path, log, errbuf) < 0)
        goto out;
    vpn_tunnel_init(&t, &ike500, cap.wo, &cap.outer);
    if (vpn_ike(&t, &ike500, 0, 0, 10000, errbuf) < 0 ||
        vpn_ike(&t, &ike500, 1, 0, 10012, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 0, 1, 10030, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 1, 1, 10045, errbuf) < 0)
        goto out;

    cpkt_writer_set_hook(cap.wi, vpn_hook, &t);
    for (size_t i = 0; i < VPN_NFLOWS; i++) {
        const struct vpn_flow *vf = &vpn_flows[i];
        t.use_natt = vf->natt;
        snprintf(cap.in.what, sizeof(cap.in.what), "inner %s via %s", vf->f.name,
                 vf->natt ? "natt-esp" : "esp");
        if (corpus_flow_write(cap.wi, &vf->f, &vpn_gw_nic, VPN_ESP_LEAD_US, &res[i], errbuf) < 0)
            goto out;
    }
    /* RFC 3948 NAT-keepalive from the peer. */
    snprintf(cap.outer.what, sizeof(cap.outer.what), "outer nat-keepalive");
    t.natt.now_us = CORPUS_BASE_S * S_US + 16000 * MS_US;
    if (cpkt_udp_send(&t.natt, CPKT_TOSERVER, "\xff", 1, errbuf) < 0)
        goto out;
    rc = 0;
out:
    return vpn_capture_close(&cap, NULL, rc, errbuf);
}

/* vpngw/onedirection.pcap: CaptureSingleDirectionTrafficOnly — ESP from
 * the peer only, one packet every 250 ms. */
static int vpngw_onedirection(const char *path, struct pkt_log *log,
                              char errbuf[CORPUS_ERRBUF_SIZE])
{
    const struct cpkt_writer_opts o = {.snaplen = VPN_SNAPLEN};
    struct noter outer = {.log = log, .iface = 0, .ethernet = 1};
    struct cpkt_writer *w = cpkt_writer_open_pcap(path, &o, errbuf);
    struct vpn_tunnel t;
    struct cpkt_flow ike500;
    char ignored[CORPUS_ERRBUF_SIZE];

    if (w == NULL)
        return -1;
    cpkt_writer_set_observer(w, corpus_note_frame, &outer);
    vpn_tunnel_init(&t, &ike500, w, &outer);
    for (size_t i = 0; i < sizeof(onedir_inner_lens) / sizeof(onedir_inner_lens[0]); i++) {
        int64_t ts = CORPUS_BASE_S * S_US + (20000 + 250 * (int64_t)i) * MS_US;
        if (vpn_esp(&t, 0, CPKT_TOSERVER, ts, onedir_inner_lens[i], errbuf) < 0) {
            cpkt_writer_close(w, ignored);
            return -1;
        }
    }
    return cpkt_writer_close(w, errbuf);
}

/* vpngw/natt.pcapng: a peer behind NAT — IKE_SA_INIT on 500, then IKE_AUTH
 * and every ESP packet on UDP 4500, so the 4500 flow starts with IKE and
 * carries ESP after it.  The capture begins inside an inner SSH session
 * (its handshake precedes the first IKE packet, as when a capture is
 * started on a busy gateway), and a cleartext DNS query that never went
 * through the tunnel lies 50 us after one ESP packet, between it and the
 * inner packet that ESP packet carries. */
#define NATT_SSH_CLIENT VPN_NIC_IP
#define NATT_SSH_SERVER "192.168.10.30"
#define NATT_DNS_CLIENT "10.1.0.4"
#define NATT_DNS_SERVER "168.63.129.16"
#define NATT_DNS_AFTER 1 /* the DNS query follows the ESP of this hooked packet */

/* 80 bytes on the wire: no ESP suite makes the banner's 100-byte ESP packet
 * of it (vpn.c), though 20 bytes is a "plausible overhead". */
static const struct msg natt_dns_msgs[] = {
    C2S("\x61\x7a\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x0c" "login-downld" "\x09" "azflow-ex" "\x07" "example" "\x03" "com" "\x00"
        "\x00\x01\x00\x01"),
    S2C("\x61\x7a\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x0c" "login-downld" "\x09" "azflow-ex" "\x07" "example" "\x03" "com" "\x00"
        "\x00\x01\x00\x01"),
};

struct natt_hook_ctx {
    struct vpn_tunnel *t;
    struct cpkt_flow *dns;
    int hooked;
};

static int natt_hook(void *user, const struct cpkt_flow *f, int dir, int64_t ts_us, uint32_t iplen,
                     char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct natt_hook_ctx *c = user;
    if (vpn_hook(c->t, f, dir, ts_us, iplen, errbuf) < 0)
        return -1;
    if (++c->hooked != NATT_DNS_AFTER)
        return 0;
    c->dns->now_us = ts_us - VPN_ESP_LEAD_US / 2;
    return cpkt_udp_send(c->dns, natt_dns_msgs[0].dir, natt_dns_msgs[0].data, natt_dns_msgs[0].len, errbuf);
}

static int vpngw_natt(const char *path, struct pkt_log *log, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct vpn_capture cap;
    struct noter clear = {.log = log, .iface = 1, .ethernet = 0, .what = "cleartext dns beside the tunnel (no ESP)"};
    struct cpkt_writer *wd = NULL; /* the DNS flow's, on the inner interface */
    struct vpn_tunnel t;
    struct cpkt_flow ike500, ssh, dns;
    struct natt_hook_ctx hc = {.t = &t, .dns = &dns};
    int64_t base = CORPUS_BASE_S * S_US;
    int rc = -1;

    if (vpn_capture_open(&cap, path, log, errbuf) < 0 ||
        (wd = cpkt_writer_open_sink(path, &vpn_inner_opts, cpng_sink, cap.inner_if, errbuf)) == NULL)
        goto out;
    snprintf(cap.in.what, sizeof(cap.in.what), "inner ssh, begun before the capture's first IKE packet");
    cpkt_writer_set_observer(wd, corpus_note_frame, &clear);
    vpn_tunnel_init(&t, &ike500, cap.wo, &cap.outer);
    t.use_natt = 1;
    struct cpkt_endpoint c = corpus_endpoint(NATT_SSH_CLIENT, 50600, &vpn_gw_nic);
    struct cpkt_endpoint sv = corpus_endpoint(NATT_SSH_SERVER, 22, &vpn_gw_nic);
    cpkt_flow_init(&ssh, cap.wi, TCP, &c, &sv, base + 9000 * MS_US, MS_US, cpkt_hash("natt-ssh", 8, 0));
    c = corpus_endpoint(NATT_DNS_CLIENT, 53200, &vpn_gw_nic);
    sv = corpus_endpoint(NATT_DNS_SERVER, 53, &vpn_gw_nic);
    cpkt_flow_init(&dns, wd, UDP, &c, &sv, base, 0, cpkt_hash("natt-dns", 8, 0));
    /* The handshake's ESP packets went by before the capture began. */
    if (cpkt_tcp_open(&ssh, errbuf) < 0 ||
        vpn_ike(&t, &ike500, 0, 0, 10000, errbuf) < 0 ||
        vpn_ike(&t, &ike500, 1, 0, 10012, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 0, 1, 10030, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 1, 1, 10045, errbuf) < 0)
        goto out;
    cpkt_writer_set_hook(cap.wi, natt_hook, &hc);
    snprintf(cap.in.what, sizeof(cap.in.what), "inner ssh via natt-esp");
    ssh.now_us = base + 12000 * MS_US;
    for (size_t i = 0; i < sizeof(corpus_ssh_msgs) / sizeof(corpus_ssh_msgs[0]); i++)
        if (cpkt_tcp_send(&ssh, corpus_ssh_msgs[i].dir, corpus_ssh_msgs[i].data, corpus_ssh_msgs[i].len,
                          errbuf) < 0)
            goto out;
    if (cpkt_tcp_close(&ssh, errbuf) < 0)
        goto out;
    /* The DNS answer a second later, no ESP packet near it. */
    dns.now_us = base + 13000 * MS_US;
    if (cpkt_udp_send(&dns, natt_dns_msgs[1].dir, natt_dns_msgs[1].data, natt_dns_msgs[1].len, errbuf) < 0)
        goto out;
    rc = 0;
out:
    return vpn_capture_close(&cap, wd, rc, errbuf);
}

#define VPNGW_NATT "vpngw/natt.pcapng"
#define VPNGW_PCAPNG "vpngw/gateway.pcapng"
#define VPNGW_ONEDIR "vpngw/onedirection.pcap"
#define VPNGW_VNET "vpngw/vnet/" VNET_BLOB_PATH_OF("VNET-HUB-FLOWLOG", VPN_NIC_MAC)

static int vpngw_manifest(const char *path, const struct pkt_log *log, const struct pkt_log *one,
                          const struct pkt_log *natt, const struct mirror_result *res, size_t ntuples,
                          char errbuf[CORPUS_ERRBUF_SIZE])
{
    char *text;
    size_t len;
    FILE *m = corpus_memfile_open(&text, &len, path, errbuf);

    if (m == NULL)
        return -1;
    corpus_manifest_head(m, "vpngw: an Azure VPN Gateway packet capture (gateway " VPN_GW ", on-premises "
                     "peer " VPN_PEER "), a one-direction capture, and the VNet flow log of the "
                     "inner flows.");
    fprintf(m, "# " VPNGW_PCAPNG ": pcapng, interface 0 = outer packets, LINKTYPE_ETHERNET (1), "
               "if_tsresol 6 (us); interface 1 = decrypted inner packets, LINKTYPE_RAW (101), "
               "if_tsresol 9 (ns); snaplen %d on both (MaxPacketBufferSize): longer packets are "
               "cut, caplen < len.\n", VPN_SNAPLEN);
    fprintf(m, "# ESP SPI 0x%08x peer -> gateway, 0x%08x gateway -> peer; ESP length = 8 + IV 16 "
               "+ (inner + 2 padded to 16) + ICV 12; every inner packet is %d us after its ESP "
               "packet (both directions).\n", VPN_SPI_IN, VPN_SPI_OUT, VPN_ESP_LEAD_US);
    fprintf(m, "# Synthetic: one IKE SA carries both IP-protocol-50 ESP (smb) and NAT-T ESP on "
               "4500 (dns) so that every outer kind appears once; a real gateway uses one.\n");
    fprintf(m, "# " VPNGW_ONEDIR ": classic pcap, Ethernet, snaplen %d, only ESP from the peer "
               "(CaptureSingleDirectionTrafficOnly).\n", VPN_SNAPLEN);
    fprintf(m, "file %s interfaces=2 outer=%llu inner=%llu truncated-outer=%llu "
               "truncated-inner=%llu\n", VPNGW_PCAPNG,
            (unsigned long long)corpus_notes_on(log, 0), (unsigned long long)corpus_notes_on(log, 1),
            (unsigned long long)corpus_notes_truncated(log, 0), (unsigned long long)corpus_notes_truncated(log, 1));
    fprintf(m, "file %s frames=%llu truncated=%llu\n", VPNGW_ONEDIR,
            (unsigned long long)corpus_notes_on(one, 0), (unsigned long long)corpus_notes_truncated(one, 0));
    fprintf(m, "# " VPNGW_NATT ": the peer behind NAT (IKE_SA_INIT on 500, IKE_AUTH and ESP on 4500), "
               "interfaces as above; an inner SSH session begun before the first IKE packet; a "
               "cleartext DNS query %d us after an ESP packet whose length no ESP suite makes of it.\n",
            VPN_ESP_LEAD_US / 2);
    fprintf(m, "file %s frames=%llu\n", VPNGW_NATT, (unsigned long long)natt->n);
    fprintf(m, "file %s tuples=%zu\n", VPNGW_VNET, ntuples);
    for (size_t i = 0; i < VPN_NFLOWS; i++) {
        const struct mirror_flow *fl = &vpn_flows[i].f;
        corpus_manifest_flow(m, fl, &res[i]);
        fprintf(m, " layer=inner esp=%s direction=%s decision=allow encryption=%s vnet=%s "
                   "acl=%s rule=%s\n", vpn_flows[i].natt ? "natt" : "esp",
                fl->direction == 'I' ? "inbound" : "outbound", fl->encryption,
                corpus_log_kind_str(fl->log), fl->acl, fl->rule);
    }
    corpus_manifest_notes(m, VPNGW_PCAPNG, log);
    corpus_manifest_notes(m, VPNGW_ONEDIR, one);
    corpus_manifest_notes(m, VPNGW_NATT, natt);
    return corpus_memfile_close(m, &text, &len, path, errbuf);
}

int corpus_build_vpngw(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    struct pkt_log *log = calloc(3, sizeof(*log));
    struct mirror_result res[VPN_NFLOWS];
    struct cflog_tuple tuples[2 * VPN_NFLOWS];
    size_t n = 0;
    int rc = -1;

    if (log == NULL) {
        corpus_err(errbuf, "vpngw: out of memory");
        return -1;
    }
    memset(res, 0, sizeof(res));
    if (corpus_join_path(path, sizeof(path), outdir, VPNGW_PCAPNG, errbuf) < 0 ||
        vpngw_pcapng(path, &log[0], res, errbuf) < 0 ||
        corpus_join_path(path, sizeof(path), outdir, VPNGW_ONEDIR, errbuf) < 0 ||
        vpngw_onedirection(path, &log[1], errbuf) < 0 ||
        corpus_join_path(path, sizeof(path), outdir, VPNGW_NATT, errbuf) < 0 ||
        vpngw_natt(path, &log[2], errbuf) < 0)
        goto out;
    for (size_t i = 0; i < VPN_NFLOWS; i++)
        n += corpus_flow_tuples(&vpn_flows[i].f, &res[i], &tuples[n]);
    if (corpus_join_path(path, sizeof(path), outdir, VPNGW_VNET, errbuf) < 0 ||
        cflog_write_vnet(path, &vpngw_vnet_env, tuples, n, errbuf) < 0 ||
        corpus_join_path(path, sizeof(path), outdir, "vpngw/MANIFEST", errbuf) < 0 ||
        vpngw_manifest(path, &log[0], &log[1], &log[2], res, n, errbuf) < 0)
        goto out;
    rc = 0;
out:
    free(log);
    return rc;
}
