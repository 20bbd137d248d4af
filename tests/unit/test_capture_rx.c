/* Unit tests of the receive path (parsers/capture_rx.c): which link types
 * go on and how, the IP header's offset, the engine's packet limit, and the
 * fix-ups made on the engine's copy (NULL/LOOP family, truncated lengths). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "capture.h"

static void test_rx(void **state)
{
    uint8_t d[128] = {0};
    struct azf_cappkt p = {.data = d, .caplen = 60, .len = 60, .linktype = AZF_LINKTYPE_ETHERNET};
    struct azf_rx rx;

    /* Ethernet with a VLAN tag, IPv4: IP after the tag. */
    d[12] = 0x81; d[13] = 0x00; d[16] = 0x08; d[17] = 0x00;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(rx.ip_off, 18);
    assert_int_equal(rx.fix, 0);
    /* ARP: handed on, not IP. */
    d[16] = 0x08; d[17] = 0x06;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.ip_off, -1);
    /* Over the engine's limit, zero bytes, unknown link types. */
    assert_int_equal(azf_rx_prepare(&p, 59, &rx), AZF_RX_OVERSIZED);
    p.caplen = 0;
    assert_int_equal(azf_rx_prepare(&p, 59, &rx), AZF_RX_OK);
    assert_int_equal(rx.ip_off, -1);
    p.caplen = 60;
    p.linktype = 253; /* netlink */
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_LINKTYPE);
    p.linktype = 271; /* vsock */
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_LINKTYPE);
    p.linktype = AZF_LINKTYPE_PPP;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.linktype, AZF_LINKTYPE_PPP);
    p.linktype = 228;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.linktype, AZF_LINKTYPE_RAW);
    assert_int_equal(rx.ip_off, 0);

    /* NULL: the 4-byte header stays (counted as stock Suricata counts it),
     * the family goes in host order whatever the writer's. */
    uint32_t host;
    memset(d, 0, sizeof(d));
    p.linktype = AZF_LINKTYPE_NULL;
    d[0] = 2; /* little-endian writer, AF_INET */
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.linktype, AZF_LINKTYPE_NULL);
    assert_int_equal(rx.ip_off, 4);
    azf_rx_fixup(&p, &rx, d);
    memcpy(&host, d, 4);
    assert_int_equal(host, 2);
    memset(d, 0, 4);
    d[3] = 24; /* big-endian writer, BSD AF_INET6 */
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.ip_off, 4);
    azf_rx_fixup(&p, &rx, d);
    memcpy(&host, d, 4);
    assert_int_equal(host, 24);
    /* LOOP is network order, handed on as NULL. */
    memset(d, 0, 4);
    d[3] = 2;
    p.linktype = AZF_LINKTYPE_LOOP;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.linktype, AZF_LINKTYPE_NULL);
    azf_rx_fixup(&p, &rx, d);
    memcpy(&host, d, 4);
    assert_int_equal(host, 2);
    /* An unknown family is not IP, and is left as it is. */
    memset(d, 0, 4);
    d[0] = 99;
    p.linktype = AZF_LINKTYPE_NULL;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.ip_off, -1);
    azf_rx_fixup(&p, &rx, d);
    assert_int_equal(d[0], 99);
    /* Shorter than its header: handed on (the decoder flags it), not IP. */
    p.caplen = 3;
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.ip_off, -1);

    /* A truncated raw IPv4/UDP packet: lengths cut to what was captured. */
    memset(d, 0, sizeof(d));
    d[0] = 0x45; d[2] = 0x05; d[3] = 0xdc; d[9] = 17; /* total 1500 */
    d[24] = 0x05; d[25] = 0xc8;                       /* UDP 1480 */
    p = (struct azf_cappkt){.data = d, .caplen = 120, .len = 1500, .linktype = AZF_LINKTYPE_RAW};
    assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
    assert_int_equal(rx.fix, 1);
    uint8_t copy[120];
    memcpy(copy, d, 120);
    azf_rx_fixup(&p, &rx, copy);
    assert_int_equal(copy[2] << 8 | copy[3], 120);
    assert_int_equal(copy[24] << 8 | copy[25], 100);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(copy[i] << 8 | copy[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xffff); /* header checksum redone */

    /* A truncated fragment has no whole UDP header: a later one starts with
     * payload, a first one (MF) carries the datagram's UDP length.  The IP
     * length is cut, those bytes are left as they are. */
    for (int first = 0; first <= 1; first++) {
        memset(d, 0xaa, sizeof(d));
        d[0] = 0x45; d[1] = 0; d[2] = 0x05; d[3] = 0xdc; d[9] = 17;
        if (first) {
            d[6] = 0x20; d[7] = 0;      /* MF, offset 0 */
            d[24] = 0x0b; d[25] = 0xb8; /* UDP 3000: the whole datagram */
        } else {
            d[6] = 0x00; d[7] = 185;    /* offset 1480 */
        }
        memcpy(copy, d, 120);
        assert_int_equal(azf_rx_prepare(&p, 65535, &rx), AZF_RX_OK);
        assert_int_equal(rx.fix, 1);
        azf_rx_fixup(&p, &rx, copy);
        assert_int_equal(copy[2] << 8 | copy[3], 120);
        assert_memory_equal(copy + 20, d + 20, 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
