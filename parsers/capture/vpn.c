/* vpn: VPN Gateway packet captures hold outer packets (IKE, ESP, NAT-T ESP,
 * OpenVPN) and the decrypted inner packets with no marker between them; this
 * tells them apart, learns which tunnel endpoint is Azure's, and attributes
 * inner packets to a tunnel and SPI.  Bounded memory, never reads past caplen.
 *
 * Which side is the gateway (strongest evidence wins, per tunnel):
 *  3  an address in two or more tunnels: a capture is taken on one gateway,
 *     so the address every tunnel shares is the gateway's;
 *  2  IKE_SA_INIT (IKEv2) or the first Main/Aggressive Mode message (IKEv1,
 *     responder cookie zero): the responder is the gateway, as Azure answers
 *     the on-premises device's negotiation; OpenVPN: the side on port 1194;
 *  1  any other IKEv2 message: the side that is not the original initiator
 *     (Initiator flag) is the gateway.
 * With none of these (ESP only, e.g. a one-direction capture) the endpoints
 * stay unknown rather than guessed.
 *
 * Inner packets: paired with the ESP packet they came out of (or went into),
 * the nearest in time within AZF_VPN_PAIR_US whose length is exactly what
 * one of the ESP suites below makes of the inner packet (minimal padding)
 * and that no other inner packet took.  An inner packet seen before its ESP
 * packet (outbound: the gateway captures the clear packet, then encrypts it)
 * is remembered for a while and paired when that ESP packet arrives; the
 * pairing then holds for the rest of its flow.  A fragmented ESP packet
 * pairs when its last fragment arrives (esp_last_fragment).  Unpaired
 * packets of a paired flow inherit its tunnel; a flow none of whose packets
 * paired is left unattributed (layer inner, no tunnel, no SPI) even when
 * the capture shows one tunnel only: cleartext traffic beside a tunnel never
 * went through it. */
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define TUNNELS_MAX 32
#define ESP_RING 256
#define PENDING_RING 64
#define FLOWS_MAX 1024

/* ESP length for an inner packet of n bytes: 8 (SPI, sequence number) + IV
 * + (n + 2: pad length, next header) padded to the cipher's block + ICV
 * (RFC 4303 §2).  The suites IPsec gateways (Azure's included) offer:
 * AES-CBC (IV 16, block 16), 3DES/DES (8, 8), AES-GCM and ChaCha20-Poly1305
 * (8, 4), NULL encryption (0, 4); ICVs of HMAC-MD5/SHA1-96 (12),
 * SHA256-128 (16), SHA384-192 (24), SHA512-256 (32), and for the AEADs
 * 8, 12 or 16.  Extra (TFC) padding defeats the match: such packets stay unpaired. */
struct esp_suite {
    uint8_t iv, block;
    const uint8_t *icvs; /* 0-terminated */
};
static const uint8_t hmac_icvs[] = {12, 16, 24, 32, 0};
static const uint8_t aead_icvs[] = {8, 12, 16, 0};
static const struct esp_suite esp_suites[] = {
    {16, 16, hmac_icvs}, /* AES-CBC */
    {8, 8, hmac_icvs},   /* 3DES, DES */
    {8, 4, aead_icvs},   /* AES-GCM, ChaCha20-Poly1305 */
    {0, 4, hmac_icvs},   /* NULL encryption */
};

#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ESP 50

#define PORT_IKE 500
#define PORT_NATT 4500
#define PORT_OPENVPN 1194

#define IKE_HLEN 28
#define IKEV2_SA_INIT 34
#define IKEV2_FLAG_INITIATOR 0x08
#define IKEV2_FLAG_RESPONSE 0x20
#define IKEV1_MAIN_MODE 2
#define IKEV1_AGGRESSIVE 4

struct tunnel {
    struct azf_addr a, b;   /* the two outer endpoints */
    uint32_t gen;           /* 0: slot free */
    int8_t gw;              /* 0: a is the gateway, 1: b, -1: unknown */
    uint8_t conf;           /* strength of the evidence for gw (see above) */
    uint8_t have_spi[2];
    uint32_t spi[2];        /* last SPI seen a->b [0] and b->a [1] */
    int64_t last_us;
};

struct tref {
    uint16_t idx;
    uint32_t gen;           /* 0: no tunnel */
};

struct esp_rec {
    int64_t ts_us;
    uint32_t plen;          /* ESP bytes on the wire (SPI .. ICV) */
    uint32_t spi;
    uint8_t have_spi, paired;
    uint8_t dir;            /* 0: tunnel a -> b */
    uint8_t wait_last;      /* a first fragment: plen unknown until the last one */
    uint32_t frag_id;       /* its datagram's IP identification */
    uint32_t frag_pre;      /* bytes of the datagram's payload before the ESP header */
    struct tref t;
};

struct flow_key {
    struct azf_addr lo, hi;
    uint16_t lo_port, hi_port;
    uint8_t proto;
};

struct flow_rec {
    struct flow_key key;
    uint8_t used;
    uint8_t have_spi[2];    /* per direction: [0] lo -> hi */
    uint32_t spi[2];
    struct tref t;
};

struct pending_rec {
    int64_t ts_us;
    uint32_t iplen;
    uint32_t slot;          /* flows[] slot of its flow */
    uint8_t dir, used;
    struct flow_key key;
};

struct azf_vpn {
    struct tunnel tunnels[TUNNELS_MAX];
    uint32_t next_gen;
    struct esp_rec esp[ESP_RING];
    unsigned esp_head;
    struct pending_rec pending[PENDING_RING];
    unsigned pending_head;
    struct flow_rec flows[FLOWS_MAX];
    uint64_t outer_seen;         /* outer packets classified so far */
};

/* What one packet's headers say, from the bytes captured. */
struct pkt {
    struct azf_addr src, dst;
    uint8_t proto;
    uint8_t later_fragment;      /* no L4 header in this packet */
    uint8_t more_fragments;      /* MF (IPv6: M) set: not the datagram's last fragment */
    uint32_t frag_id;            /* IP identification of a fragment's datagram */
    uint32_t frag_off;           /* a fragment's offset in its datagram's payload, bytes */
    uint32_t frag_pre;           /* IPv6: extension headers after the fragment header */
    uint8_t have_ports;
    uint16_t sport, dport;
    uint32_t iplen;              /* IP packet length on the wire */
    const uint8_t *l4;           /* first byte after the IP headers */
    uint32_t l4cap, l4len;       /* captured / wire bytes from l4 */
};

enum outer_kind { OUT_NONE, OUT_IKE, OUT_ESP, OUT_NATT_ESP, OUT_KEEPALIVE, OUT_OPENVPN, OUT_OTHER };

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int addr_eq(const struct azf_addr *x, const struct azf_addr *y)
{
    size_t n = x->family == 4 ? 4 : 16;
    return x->family == y->family && memcmp(x->bytes, y->bytes, n) == 0;
}

static int addr_cmp(const struct azf_addr *x, const struct azf_addr *y)
{
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return memcmp(x->bytes, y->bytes, x->family == 4 ? 4 : 16);
}

static void set_addr(struct azf_addr *a, uint8_t family, const uint8_t *p)
{
    memset(a, 0, sizeof(*a));
    a->family = family;
    memcpy(a->bytes, p, family == 4 ? 4 : 16);
}

/* --- headers ----------------------------------------------------------------- */

static int parse_ipv4(const uint8_t *ip, uint32_t caplen, uint32_t len, struct pkt *p)
{
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;

    if (caplen < 20 || hlen < 20)
        return -1;
    p->proto = ip[9];
    set_addr(&p->src, 4, ip + 12);
    set_addr(&p->dst, 4, ip + 16);
    p->iplen = be16(ip + 2);
    if (p->iplen < hlen) /* 0 with TSO, or nonsense: trust the capture */
        p->iplen = len;
    p->later_fragment = (be16(ip + 6) & 0x1fff) != 0;
    p->more_fragments = (be16(ip + 6) & 0x2000) != 0;
    p->frag_id = be16(ip + 4);
    p->frag_off = (uint32_t)(be16(ip + 6) & 0x1fff) * 8;
    p->l4 = ip + (hlen < caplen ? hlen : caplen);
    p->l4cap = hlen < caplen ? caplen - hlen : 0;
    p->l4len = p->iplen > hlen ? p->iplen - hlen : 0;
    return 0;
}

static int parse_ipv6(const uint8_t *ip, uint32_t caplen, uint32_t len, struct pkt *p)
{
    uint32_t off = 40, frag_end = 0;
    uint8_t nh;

    if (caplen < 40)
        return -1;
    set_addr(&p->src, 6, ip + 8);
    set_addr(&p->dst, 6, ip + 24);
    p->iplen = be16(ip + 4) ? 40u + be16(ip + 4) : len; /* 0: jumbogram */
    nh = ip[6];
    /* Hop-by-hop, routing, fragment and destination options precede ESP/UDP. */
    while (nh == 0 || nh == 43 || nh == 44 || nh == 60) {
        if (off + 8 > caplen)
            return -1; /* the upper layer is not in the capture */
        if (nh == 44) {
            uint16_t fo = be16(ip + off + 2);
            p->frag_off = fo & 0xfff8;
            p->later_fragment = p->frag_off != 0;
            p->more_fragments = fo & 1;
            p->frag_id = be32(ip + off + 4);
            nh = ip[off];
            off += 8;
            frag_end = off;
            if (p->later_fragment)
                break; /* what follows is the middle of the datagram, no header */
        } else {
            uint32_t elen = ((uint32_t)ip[off + 1] + 1) * 8;
            nh = ip[off];
            off += elen;
        }
    }
    if (off > caplen)
        return -1;
    if (frag_end != 0)
        p->frag_pre = off - frag_end;
    p->proto = nh;
    p->l4 = ip + off;
    p->l4cap = caplen - off;
    p->l4len = p->iplen > off ? p->iplen - off : 0;
    return 0;
}

static int parse(const uint8_t *ip, uint32_t caplen, uint32_t len, struct pkt *p)
{
    memset(p, 0, sizeof(*p));
    if (caplen < 1)
        return -1;
    if (len < caplen)
        len = caplen;
    if ((ip[0] >> 4) == 4 ? parse_ipv4(ip, caplen, len, p) < 0
        : (ip[0] >> 4) == 6 ? parse_ipv6(ip, caplen, len, p) < 0 : 1)
        return -1;
    if ((p->proto == PROTO_TCP || p->proto == PROTO_UDP) && !p->later_fragment && p->l4cap >= 4) {
        p->sport = be16(p->l4);
        p->dport = be16(p->l4 + 2);
        p->have_ports = 1;
    }
    return 0;
}

static int has_port(const struct pkt *p, uint16_t port)
{
    return p->have_ports && (p->sport == port || p->dport == port);
}

/* --- tunnels ----------------------------------------------------------------- */

static int tref_live(const struct azf_vpn *v, struct tref r)
{
    return r.gen != 0 && v->tunnels[r.idx].gen == r.gen;
}

static struct tunnel *tunnel_find(struct azf_vpn *v, const struct azf_addr *x,
                                  const struct azf_addr *y, struct tref *ref)
{
    for (uint16_t i = 0; i < TUNNELS_MAX; i++) {
        struct tunnel *t = &v->tunnels[i];
        if (t->gen != 0 && ((addr_eq(&t->a, x) && addr_eq(&t->b, y)) ||
                            (addr_eq(&t->a, y) && addr_eq(&t->b, x)))) {
            ref->idx = i;
            ref->gen = t->gen;
            return t;
        }
    }
    return NULL;
}

static void tunnel_set_gw(struct tunnel *t, const struct azf_addr *gw, uint8_t conf)
{
    int side = addr_eq(&t->a, gw) ? 0 : addr_eq(&t->b, gw) ? 1 : -1;
    if (side >= 0 && conf >= t->conf) {
        t->gw = (int8_t)side;
        t->conf = conf;
    }
}

/* The shared-address rule: an address in two tunnels is the gateway's. */
static void shared_address(struct azf_vpn *v, struct tunnel *t)
{
    for (int i = 0; i < TUNNELS_MAX; i++) {
        struct tunnel *o = &v->tunnels[i];
        const struct azf_addr *shared = NULL;
        if (o == t || o->gen == 0)
            continue;
        if (addr_eq(&o->a, &t->a) || addr_eq(&o->b, &t->a))
            shared = &t->a;
        else if (addr_eq(&o->a, &t->b) || addr_eq(&o->b, &t->b))
            shared = &t->b;
        if (shared != NULL) {
            tunnel_set_gw(t, shared, 3);
            tunnel_set_gw(o, shared, 3);
        }
    }
}

static struct tunnel *tunnel_get(struct azf_vpn *v, const struct pkt *p, int64_t ts_us,
                                 struct tref *ref)
{
    struct tunnel *t = tunnel_find(v, &p->src, &p->dst, ref);
    uint16_t victim = 0;

    if (t == NULL) {
        /* A free slot, else the least recently seen tunnel. */
        for (uint16_t i = 0; i < TUNNELS_MAX; i++) {
            if (v->tunnels[i].gen == 0) {
                victim = i;
                break;
            }
            if (v->tunnels[i].last_us < v->tunnels[victim].last_us)
                victim = i;
        }
        t = &v->tunnels[victim];
        memset(t, 0, sizeof(*t));
        t->a = p->src;
        t->b = p->dst;
        t->gw = -1;
        if (++v->next_gen == 0)
            v->next_gen = 1;
        t->gen = v->next_gen;
        ref->idx = victim;
        ref->gen = t->gen;
        shared_address(v, t);
    }
    t->last_us = ts_us;
    return t;
}

static void fill_endpoints(const struct azf_vpn *v, struct tref r, struct azf_vpn_info *out)
{
    const struct tunnel *t;

    if (!tref_live(v, r))
        return;
    t = &v->tunnels[r.idx];
    if (t->gw < 0)
        return;
    out->gateway = t->gw == 0 ? t->a : t->b;
    out->peer = t->gw == 0 ? t->b : t->a;
    out->have_gateway = out->have_peer = 1;
}

/* --- outer packets --------------------------------------------------------- */

/* What IKE says about who responds; `ike` points at the IKE header. */
static void learn_ike(struct tunnel *t, const struct pkt *p, const uint8_t *ike, uint32_t cap)
{
    static const uint8_t zero[8];

    if (cap < 20)
        return;
    if ((ike[17] >> 4) == 2) {
        uint8_t exch = ike[18], flags = ike[19];
        if (exch == IKEV2_SA_INIT)
            tunnel_set_gw(t, (flags & IKEV2_FLAG_RESPONSE) ? &p->src : &p->dst, 2);
        else
            tunnel_set_gw(t, (flags & IKEV2_FLAG_INITIATOR) ? &p->dst : &p->src, 1);
    } else if ((ike[17] >> 4) == 1) {
        if ((ike[18] == IKEV1_MAIN_MODE || ike[18] == IKEV1_AGGRESSIVE) &&
            memcmp(ike + 8, zero, 8) == 0)
            tunnel_set_gw(t, &p->dst, 2);
    }
}

static int overhead_ok(uint32_t esp_len, uint32_t inner_len)
{
    for (size_t i = 0; i < sizeof(esp_suites) / sizeof(esp_suites[0]); i++) {
        uint32_t b = esp_suites[i].block;
        uint64_t body = 8u + esp_suites[i].iv + (((uint64_t)inner_len + 2 + b - 1) / b) * b;
        for (const uint8_t *icv = esp_suites[i].icvs; *icv != 0; icv++)
            if (body + *icv == esp_len)
                return 1;
    }
    return 0;
}

/* Unsigned: a capture's times may be anything, and their distance with them. */
static uint64_t abs_dt(int64_t a, int64_t b)
{
    return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static int key_eq(const struct flow_key *x, const struct flow_key *y)
{
    return x->proto == y->proto && x->lo_port == y->lo_port && x->hi_port == y->hi_port &&
           addr_eq(&x->lo, &y->lo) && addr_eq(&x->hi, &y->hi);
}

/* An inner packet that went out before this ESP packet takes it now. */
static int pair_pending(struct azf_vpn *v, struct esp_rec *e)
{
    struct pending_rec *best = NULL;

    for (int i = 0; i < PENDING_RING; i++) {
        struct pending_rec *q = &v->pending[i];
        if (!q->used || abs_dt(q->ts_us, e->ts_us) > AZF_VPN_PAIR_US ||
            !overhead_ok(e->plen, q->iplen))
            continue;
        if (best == NULL || abs_dt(q->ts_us, e->ts_us) < abs_dt(best->ts_us, e->ts_us))
            best = q;
    }
    if (best == NULL)
        return 0;
    struct flow_rec *f = &v->flows[best->slot];
    if (f->used && key_eq(&f->key, &best->key)) {
        if (!tref_live(v, f->t) || f->t.idx != e->t.idx || f->t.gen != e->t.gen)
            f->have_spi[0] = f->have_spi[1] = 0;
        f->t = e->t;
        if (e->have_spi) {
            f->spi[best->dir] = e->spi;
            f->have_spi[best->dir] = 1;
        }
    }
    best->used = 0;
    return 1;
}

/* Pairing by length needs the ESP packet's length, and a first fragment
 * (MF set, offset 0) holds only part of it: paired by the fragment's
 * length it finds no inner packet, or worse the wrong one.  The first
 * fragment alone cannot tell the datagram's length, but the last one
 * (MF clear) can: its offset plus its payload, whatever came between.  So
 * the first fragment's record (SPI, time, tunnel) waits, unpairable, and
 * the last fragment of the same datagram (tunnel, direction, IP
 * identification) gives it its length and pairs it, with a pending inner
 * packet or a later one.  A datagram whose last fragment is not captured,
 * or comes first, stays unpaired: no guess is made. */
static void esp_last_fragment(struct azf_vpn *v, const struct pkt *p, struct tref ref, int dir)
{
    for (unsigned k = 1; k <= ESP_RING; k++) { /* newest first */
        struct esp_rec *e = &v->esp[(v->esp_head + ESP_RING - k) % ESP_RING];
        if (!e->wait_last || e->t.idx != ref.idx || e->t.gen != ref.gen || e->dir != dir ||
            e->frag_id != p->frag_id)
            continue;
        uint32_t total = p->frag_off + p->l4len;
        e->wait_last = 0;
        e->plen = total > e->frag_pre ? total - e->frag_pre : 0; /* 0 pairs with nothing */
        e->paired = (uint8_t)pair_pending(v, e);
        return;
    }
}

static void outer(struct azf_vpn *v, const struct pkt *p, enum outer_kind kind, int64_t ts_us,
                  struct azf_vpn_info *out)
{
    struct tref ref;
    struct tunnel *t = tunnel_get(v, p, ts_us, &ref);
    int dir = addr_eq(&p->src, &t->a) ? 0 : 1;
    uint32_t esp_len = 0;
    const uint8_t *esp = NULL;
    uint32_t esp_cap = 0;

    out->layer = AZF_VPN_OUTER;
    switch (kind) {
    case OUT_IKE:
        if (p->dport == PORT_NATT || p->sport == PORT_NATT)
            learn_ike(t, p, p->l4 + 12, p->l4cap >= 12 ? p->l4cap - 12 : 0);
        else
            learn_ike(t, p, p->l4 + 8, p->l4cap >= 8 ? p->l4cap - 8 : 0);
        out->kind = AZF_VPN_KIND_IKE;
        break;
    case OUT_OPENVPN:
        if (p->sport == PORT_OPENVPN && p->dport != PORT_OPENVPN)
            tunnel_set_gw(t, &p->src, 2);
        else if (p->dport == PORT_OPENVPN && p->sport != PORT_OPENVPN)
            tunnel_set_gw(t, &p->dst, 2);
        out->kind = AZF_VPN_KIND_OPENVPN;
        break;
    case OUT_ESP:
        esp = p->l4;
        esp_cap = p->l4cap;
        esp_len = p->l4len;
        out->kind = AZF_VPN_KIND_ESP;
        break;
    case OUT_NATT_ESP:
        esp = p->l4 + 8;
        esp_cap = p->l4cap - 8;
        esp_len = p->l4len >= 8 ? p->l4len - 8 : 0;
        out->kind = AZF_VPN_KIND_NATT_ESP;
        break;
    case OUT_KEEPALIVE:
        out->kind = AZF_VPN_KIND_KEEPALIVE;
        break;
    case OUT_OTHER:
    case OUT_NONE:
        out->kind = AZF_VPN_KIND_OTHER;
        if (p->later_fragment && !p->more_fragments)
            esp_last_fragment(v, p, ref, dir);
        break;
    }
    if (esp != NULL) {
        struct esp_rec *e = &v->esp[v->esp_head];
        v->esp_head = (v->esp_head + 1) % ESP_RING;
        memset(e, 0, sizeof(*e));
        e->ts_us = ts_us;
        e->plen = esp_len;
        e->t = ref;
        e->dir = (uint8_t)dir;
        if (p->more_fragments) {
            /* A first fragment: esp_len is the fragment's, not the ESP
             * packet's; the last fragment tells (esp_last_fragment). */
            e->plen = 0;
            e->wait_last = 1;
            e->frag_id = p->frag_id;
            e->frag_pre = p->frag_pre + (kind == OUT_NATT_ESP ? 8u : 0u);
        }
        if (esp_cap >= 4) {
            e->spi = be32(esp);
            e->have_spi = 1;
            t->spi[dir] = e->spi;
            t->have_spi[dir] = 1;
            out->spi = e->spi;
            out->have_spi = 1;
        }
        if (!e->wait_last)
            e->paired = (uint8_t)pair_pending(v, e);
    }
    fill_endpoints(v, ref, out);
}

/* Is this an outer packet, and which kind? */
static enum outer_kind outer_kind(const struct azf_vpn *v, const struct pkt *p)
{
    /* A later fragment carries ciphertext, not an SPI or a whole ESP
     * length: a tunnel packet, but nothing to learn or pair from it. */
    if (p->proto == PROTO_ESP)
        return p->later_fragment ? OUT_OTHER : OUT_ESP;
    if (p->proto == PROTO_UDP && has_port(p, PORT_NATT)) {
        if (p->l4len == 9 && p->l4cap >= 9 && p->l4[8] == 0xff)
            return OUT_KEEPALIVE;          /* RFC 3948 NAT-keepalive */
        if (p->l4cap < 12 || p->l4len < 12)
            return OUT_OTHER;              /* marker cut off by the snap length */
        return be32(p->l4 + 8) == 0 ? OUT_IKE : OUT_NATT_ESP; /* non-ESP marker */
    }
    if (p->proto == PROTO_UDP && has_port(p, PORT_IKE))
        return OUT_IKE;
    if ((p->proto == PROTO_UDP || p->proto == PROTO_TCP) && has_port(p, PORT_OPENVPN))
        return OUT_OPENVPN;
    if (p->later_fragment) {
        struct tref r;
        /* The rest of a fragmented IKE message (certificates in IKE_AUTH). */
        if (tunnel_find((struct azf_vpn *)v, &p->src, &p->dst, &r) != NULL)
            return OUT_OTHER;
    }
    return OUT_NONE;
}

/* --- inner packets --------------------------------------------------------- */

static uint32_t flow_slot(const struct flow_key *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof(*k); i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h % FLOWS_MAX;
}

/* Direction-independent key; *dir is 0 when the packet goes lo -> hi. */
static void flow_key(const struct pkt *p, struct flow_key *k, uint8_t *dir)
{
    int c = addr_cmp(&p->src, &p->dst);
    memset(k, 0, sizeof(*k)); /* padding too: the key is hashed as bytes */
    *dir = c > 0 || (c == 0 && p->sport > p->dport);
    k->lo = *dir ? p->dst : p->src;
    k->hi = *dir ? p->src : p->dst;
    k->lo_port = *dir ? p->dport : p->sport;
    k->hi_port = *dir ? p->sport : p->dport;
    k->proto = p->proto;
}

static struct esp_rec *nearest_esp(struct azf_vpn *v, const struct pkt *p, int64_t ts_us)
{
    struct esp_rec *best = NULL;

    for (int i = 0; i < ESP_RING; i++) {
        struct esp_rec *e = &v->esp[i];
        if (e->t.gen == 0 || e->paired || e->wait_last || !tref_live(v, e->t) ||
            abs_dt(e->ts_us, ts_us) > AZF_VPN_PAIR_US || !overhead_ok(e->plen, p->iplen))
            continue;
        /* Nearest in time; on a tie the later one (the ring is in arrival order). */
        if (best == NULL || abs_dt(e->ts_us, ts_us) <= abs_dt(best->ts_us, ts_us))
            best = e;
    }
    return best;
}

static void inner(struct azf_vpn *v, const struct pkt *p, int64_t ts_us, struct azf_vpn_info *out)
{
    struct flow_key k;
    uint8_t dir;
    uint32_t slot;
    struct flow_rec *f;
    struct esp_rec *e;
    struct tref r;

    out->layer = AZF_VPN_INNER;
    /* Before any outer packet there is no tunnel or ESP packet to pair
     * with: skip the search (a capture that is not a VPN capture at all
     * would otherwise pay for it on every packet). */
    if (v->outer_seen == 0)
        return;
    e = nearest_esp(v, p, ts_us);
    flow_key(p, &k, &dir);
    slot = flow_slot(&k);
    f = &v->flows[slot];
    if (!f->used || !key_eq(&f->key, &k)) {
        memset(f, 0, sizeof(*f));
        f->key = k;
        f->used = 1;
    }
    if (e != NULL) {
        e->paired = 1;
        if (!tref_live(v, f->t) || f->t.idx != e->t.idx || f->t.gen != e->t.gen)
            f->have_spi[0] = f->have_spi[1] = 0;
        f->t = e->t;
        if (e->have_spi) {
            f->spi[dir] = e->spi;
            f->have_spi[dir] = 1;
        }
    } else {
        /* Its ESP packet may come next: keep it for pair_pending(). */
        struct pending_rec *q = &v->pending[v->pending_head];
        v->pending_head = (v->pending_head + 1) % PENDING_RING;
        q->ts_us = ts_us;
        q->iplen = p->iplen;
        q->slot = slot;
        q->dir = dir;
        q->key = k;
        q->used = 1;
    }
    if (!tref_live(v, f->t))
        return; /* never paired: not known to have gone through a tunnel */
    r = f->t;
    if (f->have_spi[dir]) {
        out->spi = f->spi[dir];
        out->have_spi = 1;
    }
    fill_endpoints(v, r, out);
}

/* --- public ------------------------------------------------------------------ */

struct azf_vpn *azf_vpn_new(void)
{
    return calloc(1, sizeof(struct azf_vpn));
}

void azf_vpn_free(struct azf_vpn *v)
{
    free(v);
}

void azf_vpn_classify(struct azf_vpn *v, const uint8_t *ip, uint32_t caplen, uint32_t len, int64_t ts_us,
                      struct azf_vpn_info *out)
{
    struct pkt p;
    enum outer_kind kind;

    memset(out, 0, sizeof(*out));
    if (v == NULL || ip == NULL || parse(ip, caplen, len, &p) < 0)
        return;
    kind = outer_kind(v, &p);
    if (kind != OUT_NONE) {
        v->outer_seen++;
        outer(v, &p, kind, ts_us, out);
        return;
    }
    /* TCP/UDP cut before the ports could be IKE or OpenVPN: no verdict. */
    if ((p.proto == PROTO_TCP || p.proto == PROTO_UDP) && !p.have_ports && !p.later_fragment)
        return;
    inner(v, &p, ts_us, out);
}
