/* capture_rx: the receive path's decisions for one capture record, before a
 * packet engine sees it — which link types go on (the ones Suricata's own
 * decoders take, nothing guessed), where the IP header is, which records are
 * too large, and the fix-ups made on the engine's copy of the bytes.  Kept
 * out of the plugin so the whole path from file bytes to handed-on packet
 * can be unit-tested and fuzzed without Suricata. */
#include <string.h>

#include "capture.h"

/* BSD loopback address families (DLT_NULL/LOOP): AF_INET is 2 everywhere,
 * AF_INET6 differs per OS (Linux, Winsock, BSD, Solaris, FreeBSD, Darwin). */
static int null_family_known(uint32_t af)
{
    switch (af) {
    case 2: case 10: case 23: case 24: case 26: case 28: case 30:
        return 1;
    default:
        return 0;
    }
}

static uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The family of a NULL (writer's byte order, either) or LOOP (network order)
 * header; 0 when it is none of the known ones. */
static uint32_t null_family(uint32_t linktype, const uint8_t *d)
{
    uint32_t be = rd_be32(d), le = rd_le32(d);
    if (linktype == AZF_LINKTYPE_LOOP)
        return null_family_known(be) ? be : 0;
    if (null_family_known(le))
        return le;
    return null_family_known(be) ? be : 0;
}

static int32_t ether_ip(const uint8_t *d, uint32_t caplen)
{
    uint32_t off = 12;
    if (caplen < 14)
        return -1;
    uint16_t type = (uint16_t)(d[off] << 8 | d[off + 1]);
    while ((type == 0x8100 || type == 0x88a8) && caplen >= off + 6) {
        off += 4;
        type = (uint16_t)(d[off] << 8 | d[off + 1]);
    }
    return (type == 0x0800 || type == 0x86dd) ? (int32_t)(off + 2) : -1;
}

static int is_ip_type(const uint8_t *p)
{
    uint16_t t = (uint16_t)(p[0] << 8 | p[1]);
    return t == 0x0800 || t == 0x86dd;
}

int azf_rx_prepare(const struct azf_cappkt *pkt, uint32_t max_len, struct azf_rx *rx)
{
    const uint8_t *d = pkt->data;
    uint32_t n = pkt->caplen;

    memset(rx, 0, sizeof(*rx));
    rx->ip_off = -1;
    switch (pkt->linktype) {
    case AZF_LINKTYPE_ETHERNET:
        rx->linktype = AZF_LINKTYPE_ETHERNET;
        rx->ip_off = ether_ip(d, n);
        break;
    case AZF_LINKTYPE_LINUX_SLL: /* protocol at 14 */
        rx->linktype = AZF_LINKTYPE_LINUX_SLL;
        rx->ip_off = n >= 16 && is_ip_type(d + 14) ? 16 : -1;
        break;
    case AZF_LINKTYPE_LINUX_SLL2: /* protocol at 0 */
        rx->linktype = AZF_LINKTYPE_LINUX_SLL2;
        rx->ip_off = n >= 20 && is_ip_type(d) ? 20 : -1;
        break;
    case AZF_LINKTYPE_RAW:
    case 12:
    case 14:
    case AZF_LINKTYPE_IPV4:
    case AZF_LINKTYPE_IPV6:
        rx->linktype = AZF_LINKTYPE_RAW;
        rx->ip_off = 0;
        break;
    case AZF_LINKTYPE_NULL:
    case AZF_LINKTYPE_LOOP:
        /* Handed on whole as NULL with the family in host order, so the
         * engine counts the 4 header bytes as stock Suricata does; an
         * unknown family stays as it is and is not taken for IP. */
        rx->linktype = AZF_LINKTYPE_NULL;
        if (n >= 4) {
            uint32_t af = null_family(pkt->linktype, d);
            uint32_t host;
            memcpy(&host, d, 4);
            if (af != 0) {
                rx->ip_off = 4;
                rx->null_family = af;
                rx->fix |= host != af;
            }
        }
        break;
    case AZF_LINKTYPE_PPP:
    case AZF_LINKTYPE_C_HDLC:
        /* Decoded by Suricata itself; the IP offset is not worked out here,
         * so such packets are never VPN-classified. */
        rx->linktype = pkt->linktype;
        break;
    default:
        return AZF_RX_LINKTYPE;
    }
    if (n > max_len)
        return AZF_RX_OVERSIZED;
    if (pkt->caplen < pkt->len && rx->ip_off >= 0)
        rx->fix = 1;
    return AZF_RX_OK;
}

/* A truncated packet (VPN Gateway captures default to 120-byte snaps) has IP
 * and UDP lengths beyond what was captured, and a decoder drops it as
 * invalid: no flow, no IKE, no rule.  Trim those lengths to the captured
 * bytes so it is inspected as far as it goes (checksums are then
 * unverifiable).  Only the outermost IP header is trimmed. */
static void trim_to_captured(uint8_t *d, uint32_t caplen, uint32_t ip_off)
{
    if (caplen < ip_off + 20)
        return;
    uint8_t *ip = d + ip_off;
    uint32_t avail = caplen - ip_off;
    uint32_t l4_off, l4_len;
    uint8_t proto;
    if ((ip[0] >> 4) == 4) {
        uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
        uint32_t total = (uint32_t)(ip[2] << 8 | ip[3]);
        if (hlen < 20 || hlen > avail || total <= avail || avail > 0xffff)
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
        /* A fragment (MF or an offset) has no whole UDP header to trim: a
         * later one starts with payload, a first one's UDP length is the
         * datagram's. */
        proto = (ip[6] & 0x3f) != 0 || ip[7] != 0 ? 0 : ip[9];
        l4_off = hlen;
        l4_len = avail - hlen;
    } else if ((ip[0] >> 4) == 6 && avail >= 40 && avail - 40 <= 0xffff) {
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

void azf_rx_fixup(const struct azf_cappkt *pkt, const struct azf_rx *rx, uint8_t *buf)
{
    if (!rx->fix || rx->ip_off < 0)
        return;
    if (rx->null_family != 0)
        memcpy(buf, &rx->null_family, 4); /* host order, as DLT_NULL is read */
    if (pkt->caplen < pkt->len)
        trim_to_captured(buf, pkt->caplen, (uint32_t)rx->ip_off);
}
