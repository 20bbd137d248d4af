/* fuzz_receive: capture mode's whole receive path without Suricata — the
 * input, after a 2-byte engine packet limit, as a capture file: read to its
 * end, every record through azf_rx_prepare (oversized and zero-length ones
 * included: the limit is fuzzer-chosen, often below the packets), handed-on
 * ones copied into a buffer of exactly caplen bytes and fixed up there (ASan
 * sees any write past it), then VPN-classified from their IP header as the
 * plugin does.  Checks what the plugin relies on: the verdicts, offsets
 * inside the packet, lengths trimmed to what was captured, warnings naming
 * the file. */
#define _GNU_SOURCE
#include "capture.h"
#include "fuzz_common.h"

#define SURICATA_MAX_PAYLOAD (40 + 65536 + 28)

static int handed_on(uint32_t lt)
{
    return lt == AZF_LINKTYPE_ETHERNET || lt == AZF_LINKTYPE_LINUX_SLL || lt == AZF_LINKTYPE_LINUX_SLL2 ||
           lt == AZF_LINKTYPE_RAW || lt == AZF_LINKTYPE_NULL || lt == AZF_LINKTYPE_PPP || lt == AZF_LINKTYPE_C_HDLC;
}

static void check_fixed(const struct azf_cappkt *pkt, const struct azf_rx *rx, const uint8_t *b)
{
    if (rx->ip_off < 0 || pkt->caplen >= pkt->len)
        return;
    const uint8_t *ip = b + rx->ip_off;
    uint32_t avail = pkt->caplen - (uint32_t)rx->ip_off;
    if (avail == 0)
        return;
    uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
    if (avail >= 20 && ip[0] >> 4 == 4 && hlen >= 20 && hlen <= avail) { /* else: not trimmed, invalid anyway */
        uint32_t total = (uint32_t)(ip[2] << 8 | ip[3]);
        FUZZ_CHECK(total <= avail || avail > 0xffff, "IPv4 total %u over the %u captured bytes", total, avail);
    } else if (avail >= 40 && ip[0] >> 4 == 6) {
        uint32_t plen = (uint32_t)(ip[4] << 8 | ip[5]);
        FUZZ_CHECK(plen <= avail - 40 || avail - 40 > 0xffff, "IPv6 payload %u over %u", plen, avail - 40);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t max_len = (uint32_t)fuzz_take(&data, &size, 2);
    if (max_len == 0)
        max_len = SURICATA_MAX_PAYLOAD;
    const char *path = fuzz_memfd_file("fuzz_receive", data, size);
    char err[AZF_ERRBUF_SIZE];
    struct azf_capfile *f = azf_capfile_open(path, err);
    if (f == NULL)
        return 0;
    struct azf_vpn *vpn = azf_vpn_new();
    FUZZ_CHECK(vpn != NULL, "azf_vpn_new");
    struct azf_cappkt pkt;
    uint64_t touch = 0, oversized = 0, unknown = 0, handed = 0;
    int rc;
    while ((rc = azf_capfile_next(f, &pkt, err)) == 1) {
        while (azf_capfile_warning(f, err))
            FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
                       "warning does not start with file:offset: %s", err);
        struct azf_rx rx;
        int v = azf_rx_prepare(&pkt, max_len, &rx);
        if (v == AZF_RX_LINKTYPE) {
            FUZZ_CHECK(!handed_on(pkt.linktype) && pkt.linktype != AZF_LINKTYPE_LOOP && pkt.linktype != 12 &&
                           pkt.linktype != 14 && pkt.linktype != AZF_LINKTYPE_IPV4 &&
                           pkt.linktype != AZF_LINKTYPE_IPV6,
                       "link type %u refused", pkt.linktype);
            unknown++;
            continue;
        }
        FUZZ_CHECK(handed_on(rx.linktype), "hands on link type %u", rx.linktype);
        FUZZ_CHECK(rx.ip_off < 0 || (uint32_t)rx.ip_off <= pkt.caplen, "ip_off %d past caplen %u", rx.ip_off,
                   pkt.caplen);
        if (v == AZF_RX_OVERSIZED) {
            FUZZ_CHECK(pkt.caplen > max_len, "%u bytes called oversized under %u", pkt.caplen, max_len);
            oversized++;
            continue;
        }
        FUZZ_CHECK(v == AZF_RX_OK && pkt.caplen <= max_len, "verdict %d for %u bytes under %u", v, pkt.caplen,
                   max_len);
        /* The engine's copy: exactly caplen bytes (one for a zero-length record). */
        uint8_t *b = malloc(pkt.caplen ? pkt.caplen : 1);
        FUZZ_CHECK(b != NULL, "malloc");
        if (pkt.caplen)
            memcpy(b, pkt.data, pkt.caplen);
        azf_rx_fixup(&pkt, &rx, b);
        check_fixed(&pkt, &rx, b);
        if (rx.ip_off >= 0) {
            uint32_t ip = (uint32_t)rx.ip_off;
            struct azf_vpn_info vi;
            azf_vpn_classify(vpn, b + ip, pkt.caplen - ip, pkt.len > ip ? pkt.len - ip : 0, pkt.ts_us, &vi);
            FUZZ_CHECK(vi.layer <= AZF_VPN_OUTER && vi.kind <= AZF_VPN_KIND_OTHER, "layer %u kind %u", vi.layer,
                       vi.kind);
            FUZZ_CHECK(vi.layer == AZF_VPN_OUTER || vi.kind == AZF_VPN_KIND_NONE, "inner packet of kind %u",
                       vi.kind);
            touch += vi.spi + vi.have_gateway + vi.have_peer;
        }
        for (uint32_t i = 0; i < pkt.caplen; i++)
            touch += b[i];
        free(b);
        handed++;
    }
    FUZZ_CHECK(rc == 0 || rc == -1, "next returned %d", rc);
    FUZZ_CHECK(azf_capfile_truncated(f) <= handed + oversized + unknown, "more truncated packets than packets");
    azf_vpn_free(vpn);
    azf_capfile_close(f);
    if (touch == 0x5eed5eed5eedULL)
        fputc('\0', stderr);
    return 0;
}
