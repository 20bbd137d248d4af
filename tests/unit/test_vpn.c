/* test_vpn: the VPN Gateway packet classifier on hand-built packets — IKE
 * (v2 and v1, on 500 and behind the non-ESP marker on 4500), ESP, NAT-T ESP,
 * OpenVPN, inner packets paired by time and length across two tunnels, the
 * 120-byte snap length, IPv6 outer headers, fragmented ESP (paired at its
 * last fragment) and packets too short to judge. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"

#define GW "20.1.1.4"
#define PEER "203.0.113.10"
#define PEER2 "198.51.100.20"
#define T0 (INT64_C(1795838410) * 1000000) /* 2026-11-28T04:00:10Z */

struct pk {
    uint8_t b[2048];
    uint32_t len;
};

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static void pton4(const char *s, uint8_t *out)
{
    assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

/* IPv4 header + `l4` (l4len bytes, of which the caller fills what it wants). */
static uint8_t *ip4(struct pk *p, const char *src, const char *dst, uint8_t proto, uint32_t l4len)
{
    memset(p->b, 0, sizeof(p->b));
    p->b[0] = 0x45;
    put16(p->b + 2, 20 + l4len);
    p->b[8] = 64;
    p->b[9] = proto;
    pton4(src, p->b + 12);
    pton4(dst, p->b + 16);
    p->len = 20 + l4len;
    return p->b + 20;
}

static uint8_t *udp4(struct pk *p, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                     uint32_t plen)
{
    uint8_t *u = ip4(p, src, dst, 17, 8 + plen);
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, 8 + plen);
    return u + 8;
}

static uint8_t *tcp4(struct pk *p, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                     uint32_t plen)
{
    uint8_t *t = ip4(p, src, dst, 6, 20 + plen);
    put16(t, sport);
    put16(t + 2, dport);
    t[12] = 0x50;
    t[13] = 0x02; /* SYN */
    return t + 20;
}

/* ESP (IP protocol 50) with `plen` bytes from the SPI to the ICV. */
static void esp4(struct pk *p, const char *src, const char *dst, uint32_t spi, uint32_t seq, uint32_t plen)
{
    uint8_t *e = ip4(p, src, dst, 50, plen);
    put32(e, spi);
    put32(e + 4, seq);
    for (uint32_t i = 8; i < plen; i++)
        e[i] = (uint8_t)(i * 37 + 11); /* "ciphertext" */
}

/* IKE header: SPIs, next payload, version, exchange type, flags, message id. */
static void ike_hdr(uint8_t *h, uint64_t spi_i, uint64_t spi_r, uint8_t next, uint8_t version,
                    uint8_t exch, uint8_t flags, uint32_t msgid, uint32_t len)
{
    put32(h, (uint32_t)(spi_i >> 32));
    put32(h + 4, (uint32_t)spi_i);
    put32(h + 8, (uint32_t)(spi_r >> 32));
    put32(h + 12, (uint32_t)spi_r);
    h[16] = next;
    h[17] = version;
    h[18] = exch;
    h[19] = flags;
    put32(h + 20, msgid);
    put32(h + 24, len);
}

/* IKEv2 IKE_SA_INIT on UDP 500: header + SA + KE (group 14) + Nonce. */
static void ike_sa_init(struct pk *p, const char *src, const char *dst, int response)
{
    uint32_t len = 28 + 44 + 264 + 36;
    uint8_t *h = udp4(p, src, 500, dst, 500, len);
    ike_hdr(h, 0x1a2b3c4d5e6f7081ull, response ? 0x99aabbccddeeff00ull : 0, 33, 0x20, 34,
            response ? 0x20 : 0x08, 0, len);
    uint8_t *sa = h + 28;
    sa[0] = 34; /* next: KE */
    put16(sa + 2, 44);
    sa[4] = 0; /* last proposal */
    put16(sa + 6, 40);
    sa[8] = 1;  /* proposal 1 */
    sa[9] = 1;  /* IKE */
    sa[11] = 4; /* transforms */
    static const uint8_t tr[4][2] = {{1, 12}, {2, 5}, {3, 12}, {4, 14}};
    uint8_t *t = sa + 12;
    for (int i = 0; i < 4; i++) {
        t[0] = i == 3 ? 0 : 3;
        put16(t + 2, 8);
        t[4] = tr[i][0];
        put16(t + 6, tr[i][1]);
        t += 8;
    }
    uint8_t *ke = sa + 44;
    ke[0] = 40; /* next: Nonce */
    put16(ke + 2, 264);
    put16(ke + 4, 14);
    memset(ke + 8, 0xa5, 256);
    uint8_t *n = ke + 264;
    put16(n + 2, 36);
    memset(n + 4, 0x5a, 32);
}

static void classify(struct azf_vpn *v, const struct pk *p, int64_t ts, struct azf_vpn_info *o)
{
    azf_vpn_classify(v, p->b, p->len, p->len, ts, o);
}

static const char *addr(const struct azf_addr *a)
{
    static char buf[4][64];
    static int n;
    char *b = buf[n++ % 4];
    assert_non_null(azf_addr_str(a, b, 64));
    return b;
}

static void assert_tunnel(const struct azf_vpn_info *o, const char *gw, const char *peer)
{
    assert_int_equal(o->have_gateway, 1);
    assert_int_equal(o->have_peer, 1);
    assert_string_equal(addr(&o->gateway), gw);
    assert_string_equal(addr(&o->peer), peer);
}

static void assert_no_tunnel(const struct azf_vpn_info *o)
{
    assert_int_equal(o->have_gateway, 0);
    assert_int_equal(o->have_peer, 0);
}

/* --- outer packets --------------------------------------------------------- */

static void ike_sa_init_responder_is_gateway(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    ike_sa_init(&p, PEER, GW, 0);
    classify(v, &p, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_IKE);
    assert_int_equal(o.have_spi, 0);
    assert_tunnel(&o, GW, PEER);
    ike_sa_init(&p, GW, PEER, 1);
    classify(v, &p, T0 + 10000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_IKE);
    assert_tunnel(&o, GW, PEER);
    azf_vpn_free(v);

    /* The response alone says the same: its sender responded. */
    v = azf_vpn_new();
    classify(v, &p, T0, &o);
    assert_tunnel(&o, GW, PEER);
    azf_vpn_free(v);
}

static void ike_auth_behind_non_esp_marker(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    /* IKE_AUTH request from the original initiator on 4500: marker, header, SK. */
    uint8_t *m = udp4(&p, PEER, 4500, GW, 4500, 4 + 28 + 200);
    ike_hdr(m + 4, 0x1a2b3c4d5e6f7081ull, 0x99aabbccddeeff00ull, 46, 0x20, 35, 0x08, 1, 228);
    classify(v, &p, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_IKE);
    assert_int_equal(o.have_spi, 0);
    assert_tunnel(&o, GW, PEER); /* the non-initiator is the gateway */

    /* NAT-T ESP on the same ports: the first four bytes are the SPI. */
    m = udp4(&p, GW, 4500, PEER, 4500, 100);
    put32(m, 0xc0ffee02);
    put32(m + 4, 1);
    classify(v, &p, T0 + 1000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_NATT_ESP);
    assert_int_equal(o.have_spi, 1);
    assert_int_equal(o.spi, 0xc0ffee02);
    assert_tunnel(&o, GW, PEER);

    /* RFC 3948 NAT-keepalive: one 0xff byte. */
    m = udp4(&p, PEER, 4500, GW, 4500, 1);
    m[0] = 0xff;
    classify(v, &p, T0 + 2000, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_KEEPALIVE);
    azf_vpn_free(v);
}

static void ikev2_sa_init_outranks_initiator_flag(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    /* An INFORMATIONAL from the gateway as original initiator (flag 0x08):
     * weak evidence that the peer is the gateway ... */
    uint8_t *h = udp4(&p, GW, 500, PEER, 500, 28);
    ike_hdr(h, 1, 2, 0, 0x20, 37, 0x08, 5, 28);
    classify(v, &p, T0, &o);
    assert_tunnel(&o, PEER, GW);
    /* ... overruled by the IKE_SA_INIT the peer starts. */
    ike_sa_init(&p, PEER, GW, 0);
    classify(v, &p, T0 + 1000, &o);
    assert_tunnel(&o, GW, PEER);
    /* ... which later weak evidence does not undo. */
    h = udp4(&p, GW, 500, PEER, 500, 28);
    ike_hdr(h, 1, 2, 0, 0x20, 37, 0x08, 6, 28);
    classify(v, &p, T0 + 2000, &o);
    assert_tunnel(&o, GW, PEER);
    azf_vpn_free(v);
}

static void ikev1_main_mode(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    uint8_t *h = udp4(&p, PEER, 500, GW, 500, 28 + 56);
    ike_hdr(h, 0x0102030405060708ull, 0, 1, 0x10, 2, 0, 0, 84); /* responder cookie 0 */
    classify(v, &p, T0, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_IKE);
    assert_tunnel(&o, GW, PEER);
    azf_vpn_free(v);
}

static void esp_alone_has_no_sides(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    esp4(&p, PEER, GW, 0xc0ffee01, 1, 100);
    classify(v, &p, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    assert_int_equal(o.have_spi, 1);
    assert_int_equal(o.spi, 0xc0ffee01);
    assert_no_tunnel(&o); /* one direction of ESP: not guessed */
    azf_vpn_free(v);
}

static void openvpn(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    uint8_t *d = udp4(&p, "198.51.100.30", 51000, GW, 1194, 14);
    d[0] = 0x38; /* P_CONTROL_HARD_RESET_CLIENT_V2 */
    classify(v, &p, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_OPENVPN);
    assert_tunnel(&o, GW, "198.51.100.30");
    tcp4(&p, GW, 1194, "198.51.100.31", 40000, 0);
    classify(v, &p, T0 + 1000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_OPENVPN);
    assert_tunnel(&o, GW, "198.51.100.31");
    /* 443 is not taken for a tunnel port. */
    tcp4(&p, "198.51.100.32", 40001, GW, 443, 0);
    classify(v, &p, T0 + 2000, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.kind, AZF_VPN_KIND_NONE);
    azf_vpn_free(v);
}

/* --- inner packets --------------------------------------------------------- */

static void inner_before_any_tunnel(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    tcp4(&p, "10.1.0.5", 50500, "192.168.10.20", 445, 0);
    classify(v, &p, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_no_tunnel(&o);
    assert_int_equal(o.have_spi, 0);
    azf_vpn_free(v);
}

static void inner_tcp_follows_its_esp(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    ike_sa_init(&p, PEER, GW, 0);
    classify(v, &p, T0, &o);
    /* 40-byte SYN from on-premises in ESP of 8+16+48+12 = 84 bytes. */
    esp4(&p, PEER, GW, 0xc0ffee01, 1, 84);
    classify(v, &p, T0 + 1000000, &o);
    assert_int_equal(o.spi, 0xc0ffee01);
    assert_tunnel(&o, GW, PEER);
    tcp4(&p, "192.168.10.20", 40000, "10.1.0.5", 22, 0);
    classify(v, &p, T0 + 1000100, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.kind, AZF_VPN_KIND_NONE);
    assert_tunnel(&o, GW, PEER);
    assert_int_equal(o.have_spi, 1);
    assert_int_equal(o.spi, 0xc0ffee01);
    /* The next packet with no ESP of its own: the only tunnel, the flow's SPI. */
    classify(v, &p, T0 + 3000000, &o);
    assert_tunnel(&o, GW, PEER);
    assert_int_equal(o.spi, 0xc0ffee01);
    /* A packet of another flow with no ESP near it: inner, but not known to
     * have gone through the only tunnel — no tunnel, no SPI. */
    tcp4(&p, "10.1.0.7", 50000, "192.168.10.21", 80, 0);
    classify(v, &p, T0 + 4000000, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_no_tunnel(&o);
    assert_int_equal(o.have_spi, 0);
    azf_vpn_free(v);
}

static void two_tunnels_paired_by_time_and_length(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;
    int64_t t = T0;

    /* Two peers on one gateway, no IKE in the capture: the shared address. */
    esp4(&p, PEER, GW, 0xa0000001, 1, 100);
    classify(v, &p, t, &o);
    assert_no_tunnel(&o);
    esp4(&p, PEER2, GW, 0xb0000001, 1, 100);
    classify(v, &p, t += 1000, &o);
    assert_tunnel(&o, GW, PEER2);
    esp4(&p, GW, PEER, 0xa0000002, 1, 100);
    classify(v, &p, t += 1000, &o);
    assert_tunnel(&o, GW, PEER);

    /* ESP from peer A holding 60 bytes, then from peer B holding 300 (both
     * AES-CBC with SHA256-128: 8 + 16 + 64 / 304 + 16), then the two inner
     * packets: each takes the ESP its length fits. */
    esp4(&p, PEER, GW, 0xa0000001, 2, 60 + 44);
    classify(v, &p, t += 1000, &o);
    esp4(&p, PEER2, GW, 0xb0000001, 2, 300 + 44);
    classify(v, &p, t += 50, &o);
    udp4(&p, "192.168.20.9", 5000, "10.1.0.9", 5000, 300 - 28);
    classify(v, &p, t += 50, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_tunnel(&o, GW, PEER2);
    assert_int_equal(o.spi, 0xb0000001);
    udp4(&p, "192.168.10.9", 5000, "10.1.0.9", 5000, 60 - 28);
    classify(v, &p, t += 50, &o);
    assert_tunnel(&o, GW, PEER);
    assert_int_equal(o.spi, 0xa0000001);

    /* Two ESP packets that fit, one taken: the second inner packet of the
     * same length gets the other, not the nearer taken one. */
    esp4(&p, PEER2, GW, 0xb0000001, 3, 60 + 44);
    classify(v, &p, t += 1000, &o);
    esp4(&p, PEER, GW, 0xa0000001, 3, 60 + 44);
    classify(v, &p, t += 50, &o);
    udp4(&p, "192.168.10.9", 5000, "10.1.0.9", 5000, 60 - 28);
    classify(v, &p, t += 50, &o);
    assert_int_equal(o.spi, 0xa0000001);
    udp4(&p, "192.168.20.9", 5000, "10.1.0.9", 5000, 60 - 28);
    classify(v, &p, t += 50, &o);
    assert_int_equal(o.spi, 0xb0000001);
    assert_tunnel(&o, GW, PEER2);

    /* No ESP within the window: with two tunnels, no attribution. */
    udp4(&p, "192.168.30.9", 6000, "10.1.0.9", 6000, 60 - 28);
    classify(v, &p, t += 1000000, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_no_tunnel(&o);
    /* An ESP whose length does not fit is not taken either. */
    esp4(&p, PEER, GW, 0xa0000001, 4, 1400);
    classify(v, &p, t += 1000000, &o);
    udp4(&p, "192.168.30.9", 6000, "10.1.0.9", 6000, 60 - 28);
    classify(v, &p, t += 100, &o);
    assert_no_tunnel(&o);
    azf_vpn_free(v);
}

static void inner_before_its_esp(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;
    int64_t t = T0;

    esp4(&p, PEER, GW, 0xa0000001, 1, 100);
    classify(v, &p, t, &o);
    esp4(&p, PEER2, GW, 0xb0000001, 1, 100);
    classify(v, &p, t += 1000, &o);

    /* Outbound: the clear packet first, then the ESP it became. */
    tcp4(&p, "10.1.0.5", 50500, "192.168.20.20", 445, 0);
    classify(v, &p, t += 1000000, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_no_tunnel(&o); /* not yet known */
    esp4(&p, GW, PEER2, 0xb0000002, 2, 40 + 44);
    classify(v, &p, t += 100, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    /* The rest of the flow follows the pairing, each direction its SPI. */
    tcp4(&p, "10.1.0.5", 50500, "192.168.20.20", 445, 0);
    classify(v, &p, t += 1000000, &o);
    assert_tunnel(&o, GW, PEER2);
    assert_int_equal(o.spi, 0xb0000002);
    tcp4(&p, "192.168.20.20", 445, "10.1.0.5", 50500, 0);
    classify(v, &p, t += 1000000, &o);
    assert_tunnel(&o, GW, PEER2);
    assert_int_equal(o.have_spi, 0); /* that direction never paired */
    azf_vpn_free(v);
}

static void cleartext_beside_tunnel(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;
    int64_t t = T0;

    ike_sa_init(&p, PEER, GW, 0);
    classify(v, &p, t, &o);
    /* ESP of 84 bytes (a 40-byte packet, AES-CBC + SHA1-96), then 50 us
     * later a 64-byte DNS query that never went through the tunnel: 84 is
     * 64 + 20, "plausible overhead", but no suite makes 84 of 64 bytes. */
    esp4(&p, PEER, GW, 0xc0ffee01, 1, 84);
    classify(v, &p, t += 1000000, &o);
    udp4(&p, "10.1.0.4", 53200, "168.63.129.16", 53, 64 - 28);
    classify(v, &p, t += 50, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_no_tunnel(&o);
    assert_int_equal(o.have_spi, 0);
    /* The packet that did come out of it still finds its ESP packet. */
    tcp4(&p, "192.168.10.20", 40000, "10.1.0.5", 22, 0);
    classify(v, &p, t += 50, &o);
    assert_tunnel(&o, GW, PEER);
    assert_int_equal(o.spi, 0xc0ffee01);
    /* A fitting length, but 2.5 ms away: outside AZF_VPN_PAIR_US. */
    esp4(&p, PEER, GW, 0xc0ffee01, 2, 84);
    classify(v, &p, t += 1000000, &o);
    tcp4(&p, "10.1.0.8", 40001, "10.1.0.9", 80, 0);
    classify(v, &p, t += 2500, &o);
    assert_no_tunnel(&o);
    assert_int_equal(o.have_spi, 0);
    azf_vpn_free(v);
}

static void snap_120_uses_wire_lengths(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    ike_sa_init(&p, PEER, GW, 0);
    azf_vpn_classify(v, p.b, 120, p.len, T0, &o); /* the KE payload is cut */
    assert_int_equal(o.kind, AZF_VPN_KIND_IKE);
    assert_tunnel(&o, GW, PEER);
    /* 1300-byte inner packet in 1348 bytes of ESP (AES-CBC, SHA1-96); both cut at 120. */
    esp4(&p, PEER, GW, 0xc0ffee01, 7, 1348);
    azf_vpn_classify(v, p.b, 120, p.len, T0 + 1000000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    assert_int_equal(o.spi, 0xc0ffee01);
    tcp4(&p, "192.168.10.20", 445, "10.1.0.5", 50500, 1300 - 40);
    azf_vpn_classify(v, p.b, 120, p.len, T0 + 1000100, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.spi, 0xc0ffee01);
    /* The wire length argument stands in when the header's is 0 (TSO). */
    esp4(&p, PEER, GW, 0xc0ffee01, 8, 1348);
    put16(p.b + 2, 0);
    azf_vpn_classify(v, p.b, 120, 1368, T0 + 2000000, &o);
    tcp4(&p, "192.168.10.20", 445, "10.1.0.5", 50500, 1300 - 40);
    azf_vpn_classify(v, p.b, 120, p.len, T0 + 2000100, &o);
    assert_int_equal(o.spi, 0xc0ffee01);
    /* A NAT-T packet cut inside its UDP payload: a tunnel packet, kind unknown. */
    udp4(&p, PEER, 4500, GW, 4500, 500);
    azf_vpn_classify(v, p.b, 30, p.len, T0 + 3000000, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_OTHER);
    azf_vpn_free(v);
}

static void ipv6_outer(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    uint8_t b[200];
    char gw[64], peer[64];

    /* IPv6 / hop-by-hop (8 bytes) / UDP 500 / IKE_SA_INIT request. */
    memset(b, 0, sizeof(b));
    b[0] = 0x60;
    put16(b + 4, 8 + 8 + 28);
    b[6] = 0; /* hop-by-hop */
    b[7] = 64;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:20::10", b + 8), 1);
    assert_int_equal(inet_pton(AF_INET6, "2603:1030::4", b + 24), 1);
    b[40] = 17; /* next: UDP, length 0 = 8 bytes */
    put16(b + 48, 500);
    put16(b + 50, 500);
    put16(b + 52, 36);
    ike_hdr(b + 56, 0x1122334455667788ull, 0, 33, 0x20, 34, 0x08, 0, 28);
    azf_vpn_classify(v, b, 84, 84, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_IKE);
    assert_string_equal(azf_addr_str(&o.gateway, gw, sizeof(gw)), "2603:1030::4");
    assert_string_equal(azf_addr_str(&o.peer, peer, sizeof(peer)), "2001:db8:20::10");

    /* IPv6 ESP straight after the fixed header. */
    memset(b, 0, sizeof(b));
    b[0] = 0x60;
    put16(b + 4, 84);
    b[6] = 50;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:20::10", b + 8), 1);
    assert_int_equal(inet_pton(AF_INET6, "2603:1030::4", b + 24), 1);
    put32(b + 40, 0xc0ffee61);
    azf_vpn_classify(v, b, 124, 124, T0 + 1000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    assert_int_equal(o.spi, 0xc0ffee61);
    assert_int_equal(o.gateway.family, 6);

    /* Inner IPv4 40-byte packet from that ESP. */
    struct pk p;
    tcp4(&p, "192.168.10.20", 445, "10.1.0.5", 50500, 0);
    classify(v, &p, T0 + 1100, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.spi, 0xc0ffee61);
    assert_string_equal(azf_addr_str(&o.gateway, gw, sizeof(gw)), "2603:1030::4");
    azf_vpn_free(v);
}

static void fragments(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    ike_sa_init(&p, PEER, GW, 0);
    classify(v, &p, T0, &o);
    /* The second fragment of a big IKE_AUTH: no UDP header, but between the
     * tunnel's endpoints. */
    ip4(&p, PEER, GW, 17, 500);
    put16(p.b + 6, 185); /* offset 1480 */
    classify(v, &p, T0 + 1000, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_OTHER);
    assert_tunnel(&o, GW, PEER);
    /* Elsewhere: an inner fragment. */
    ip4(&p, "192.168.10.20", "10.1.0.5", 17, 500);
    put16(p.b + 6, 185);
    classify(v, &p, T0 + 2000, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);

    /* A later fragment of an ESP packet: ciphertext where the SPI would be,
     * a tunnel packet but neither ESP to learn an SPI from nor one an
     * inner packet may pair with. */
    uint32_t esp_spi = 0xc0ffee01;
    esp4(&p, PEER, GW, esp_spi, 7, 1400);
    put16(p.b + 6, 0x2000); /* MF: the first fragment */
    classify(v, &p, T0 + 3000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    esp4(&p, PEER, GW, 0xdeadbeef, 0xdeadbeef, 180);
    put16(p.b + 6, 185);
    classify(v, &p, T0 + 4000, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_OTHER);
    assert_int_equal(o.have_spi, 0);
    /* An inner packet of the length an ESP of 180 bytes would carry, just
     * after: nothing to pair with, so no SPI. */
    udp4(&p, "192.168.10.20", 53001, "10.1.0.5", 53, 146 - 28);
    classify(v, &p, T0 + 4001, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.have_spi, 0);
    azf_vpn_free(v);
}

/* An IPv4 fragment of a datagram: `id`, payload offset `off` (bytes, a
 * multiple of 8), `more` for MF; the payload is the caller's to fill. */
static uint8_t *frag4(struct pk *p, const char *src, const char *dst, uint8_t proto, uint16_t id, uint32_t off,
                      int more, uint32_t plen)
{
    uint8_t *d = ip4(p, src, dst, proto, plen);
    put16(p->b + 4, id);
    put16(p->b + 6, (more ? 0x2000 : 0) | off / 8);
    return d;
}

static void fragmented_esp_pairs_on_last_fragment(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;
    int64_t t = T0;

    ike_sa_init(&p, PEER, GW, 0);
    classify(v, &p, t, &o);
    /* A 1400-byte inner packet in 1444 bytes of ESP (AES-CBC, SHA1-96:
     * 8 + 16 + 1408 + 12), fragmented on the way: 976 payload bytes, then
     * the last 468.  976 bytes of ESP is what AES-GCM with a 16-byte ICV
     * makes of a 940-byte packet: by the fragment's length, that one would
     * pair. */
    uint8_t *e = frag4(&p, PEER, GW, 50, 0x1234, 0, 1, 976);
    put32(e, 0xc0ffee01);
    put32(e + 4, 9);
    classify(v, &p, t += 1000000, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    assert_int_equal(o.spi, 0xc0ffee01);
    udp4(&p, "192.168.10.20", 5353, "10.1.0.5", 5353, 940 - 28);
    classify(v, &p, t += 20, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.have_spi, 0); /* no ESP packet of its size */
    assert_no_tunnel(&o);
    frag4(&p, PEER, GW, 50, 0x1234, 976, 0, 468);
    classify(v, &p, t += 20, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_OTHER);
    /* Decrypted once whole: the inner packet pairs with the first fragment's SPI. */
    udp4(&p, "192.168.10.20", 40000, "10.1.0.5", 4000, 1400 - 28);
    classify(v, &p, t += 100, &o);
    assert_int_equal(o.have_spi, 1);
    assert_int_equal(o.spi, 0xc0ffee01);
    assert_tunnel(&o, GW, PEER);

    /* Outbound: the clear packet first, then its ESP in two fragments of
     * NAT-T (the UDP header is in the first fragment's payload). */
    udp4(&p, "10.1.0.5", 4001, "192.168.10.21", 40001, 1400 - 28);
    classify(v, &p, t += 1000000, &o);
    assert_int_equal(o.have_spi, 0); /* not yet known */
    uint8_t *u = frag4(&p, GW, PEER, 17, 0x77, 0, 1, 976);
    put16(u, 4500);
    put16(u + 2, 4500);
    put16(u + 4, 8 + 1444);
    put32(u + 8, 0xc0ffee02);
    classify(v, &p, t += 100, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_NATT_ESP);
    frag4(&p, GW, PEER, 17, 0x77, 976, 0, 8 + 1444 - 976);
    classify(v, &p, t += 20, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_OTHER);
    udp4(&p, "10.1.0.5", 4001, "192.168.10.21", 40001, 100);
    classify(v, &p, t += 1000000, &o);
    assert_int_equal(o.spi, 0xc0ffee02); /* the flow paired when its ESP was whole */
    assert_tunnel(&o, GW, PEER);

    /* A last fragment of another datagram completes nothing. */
    e = frag4(&p, PEER, GW, 50, 0x2000, 0, 1, 976);
    put32(e, 0xc0ffee01);
    classify(v, &p, t += 1000000, &o);
    frag4(&p, PEER, GW, 50, 0x2001, 976, 0, 468);
    classify(v, &p, t += 20, &o);
    udp4(&p, "192.168.10.20", 40002, "10.1.0.5", 4002, 1400 - 28);
    classify(v, &p, t += 100, &o);
    assert_int_equal(o.have_spi, 0);
    azf_vpn_free(v);
}

static void fragmented_esp_ipv6(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    uint8_t b[1100];

    /* IPv6 / fragment header (id 0xabcdef01, M) / ESP: the first 1000
     * payload bytes of 1444, then the last 444 (no ESP header of its own). */
    memset(b, 0, sizeof(b));
    b[0] = 0x60;
    put16(b + 4, 8 + 1000);
    b[6] = 44;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:20::10", b + 8), 1);
    assert_int_equal(inet_pton(AF_INET6, "2603:1030::4", b + 24), 1);
    b[40] = 50;
    put16(b + 42, 0 | 1);
    put32(b + 44, 0xabcdef01);
    put32(b + 48, 0xc0ffee61);
    azf_vpn_classify(v, b, 48 + 1000, 48 + 1000, T0, &o);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    assert_int_equal(o.spi, 0xc0ffee61);
    put16(b + 4, 8 + 444);
    put16(b + 42, 1000); /* offset 125 x 8, M clear */
    memset(b + 48, 0x3c, 444);
    azf_vpn_classify(v, b, 48 + 444, 48 + 444, T0 + 20, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_OTHER);
    struct pk p;
    udp4(&p, "192.168.10.20", 40000, "10.1.0.5", 4000, 1400 - 28);
    classify(v, &p, T0 + 120, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    assert_int_equal(o.spi, 0xc0ffee61);
    azf_vpn_free(v);
}

static void too_short_to_judge(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;

    memset(&o, 0x5a, sizeof(o));
    azf_vpn_classify(v, NULL, 0, 0, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    assert_int_equal(o.have_spi, 0);

    esp4(&p, PEER, GW, 0xc0ffee01, 1, 100);
    for (uint32_t cap = 0; cap < 20; cap++) {
        azf_vpn_classify(v, p.b, cap, p.len, T0, &o);
        assert_int_equal(o.layer, AZF_VPN_NONE); /* no addresses */
    }
    /* Addresses but not the SPI: still ESP, SPI unknown. */
    azf_vpn_classify(v, p.b, 22, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_OUTER);
    assert_int_equal(o.kind, AZF_VPN_KIND_ESP);
    assert_int_equal(o.have_spi, 0);

    /* UDP cut before its ports: could be IKE or inner — no verdict. */
    udp4(&p, "192.168.10.20", 53, "10.1.0.5", 53001, 40);
    azf_vpn_classify(v, p.b, 23, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    azf_vpn_classify(v, p.b, 24, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);
    /* ICMP needs only the addresses. */
    ip4(&p, "192.168.10.20", "10.1.0.5", 1, 8);
    azf_vpn_classify(v, p.b, 20, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER);

    /* Not IP, bad header length, IPv6 cut in its header or extension. */
    p.b[0] = 0x55;
    azf_vpn_classify(v, p.b, p.len, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    p.b[0] = 0x44;
    azf_vpn_classify(v, p.b, p.len, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    p.b[0] = 0x4f; /* 60-byte header in a 28-byte packet */
    azf_vpn_classify(v, p.b, p.len, p.len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_INNER); /* ICMP: addresses are enough */
    uint8_t b6[64] = {0x60};
    b6[6] = 0; /* hop-by-hop that is not captured */
    azf_vpn_classify(v, b6, 39, 100, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    azf_vpn_classify(v, b6, 44, 100, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    b6[40] = 0;
    b6[41] = 200; /* an extension header running past the capture */
    azf_vpn_classify(v, b6, 64, 2000, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);

    /* Each prefix of real packets, on the heap so ASan sees any over-read. */
    struct pk all[3];
    ike_sa_init(&all[0], PEER, GW, 0);
    esp4(&all[1], PEER, GW, 0xc0ffee01, 1, 300);
    uint8_t *m = udp4(&all[2], PEER, 4500, GW, 4500, 4 + 28);
    ike_hdr(m + 4, 1, 2, 46, 0x20, 35, 0x08, 1, 28);
    for (int k = 0; k < 3; k++) {
        for (uint32_t cap = 0; cap <= all[k].len; cap++) {
            uint8_t *h = malloc(cap ? cap : 1);
            memcpy(h, all[k].b, cap);
            azf_vpn_classify(v, h, cap, all[k].len, T0, &o);
            free(h);
        }
    }
    azf_vpn_classify(NULL, all[0].b, all[0].len, all[0].len, T0, &o);
    assert_int_equal(o.layer, AZF_VPN_NONE);
    azf_vpn_free(v);
    azf_vpn_free(NULL);
}

static void bounded_memory(void **state)
{
    struct azf_vpn *v = azf_vpn_new();
    struct azf_vpn_info o;
    struct pk p;
    char peer[32];
    int64_t t = T0;

    /* 40 peers on one gateway: more than the tunnel table holds. */
    for (int i = 0; i < 40; i++) {
        snprintf(peer, sizeof(peer), "198.51.100.%d", 100 + i);
        for (int k = 0; k < 20; k++) { /* 800 ESP packets: the ring wraps */
            esp4(&p, peer, GW, 0xd0000000u + (uint32_t)i, (uint32_t)k, 100);
            classify(v, &p, t += 10, &o);
        }
        if (i > 0)
            assert_tunnel(&o, GW, peer);
    }
    /* The newest peers are still known, with their SPI, paired by length. */
    esp4(&p, "198.51.100.139", GW, 0xd0000027, 99, 84);
    classify(v, &p, t += 10000, &o);
    tcp4(&p, "192.168.139.1", 1000, "10.1.0.5", 2000, 0);
    classify(v, &p, t += 100, &o);
    assert_tunnel(&o, GW, "198.51.100.139");
    assert_int_equal(o.spi, 0xd0000027);
    /* Many inner flows: the flow table and pending ring wrap. */
    for (int i = 0; i < 5000; i++) {
        tcp4(&p, "192.168.1.1", (uint16_t)(20000 + i), "10.1.0.5", 445, 0);
        classify(v, &p, t += 10, &o);
        assert_int_equal(o.layer, AZF_VPN_INNER);
    }
    azf_vpn_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ike_sa_init_responder_is_gateway),
        cmocka_unit_test(ike_auth_behind_non_esp_marker),
        cmocka_unit_test(ikev2_sa_init_outranks_initiator_flag),
        cmocka_unit_test(ikev1_main_mode),
        cmocka_unit_test(esp_alone_has_no_sides),
        cmocka_unit_test(openvpn),
        cmocka_unit_test(inner_before_any_tunnel),
        cmocka_unit_test(inner_tcp_follows_its_esp),
        cmocka_unit_test(two_tunnels_paired_by_time_and_length),
        cmocka_unit_test(inner_before_its_esp),
        cmocka_unit_test(cleartext_beside_tunnel),
        cmocka_unit_test(snap_120_uses_wire_lengths),
        cmocka_unit_test(ipv6_outer),
        cmocka_unit_test(fragments),
        cmocka_unit_test(fragmented_esp_pairs_on_last_fragment),
        cmocka_unit_test(fragmented_esp_ipv6),
        cmocka_unit_test(too_short_to_judge),
        cmocka_unit_test(bounded_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
