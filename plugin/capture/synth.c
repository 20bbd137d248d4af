/* azflow plugin: synthetic packets for cloud-only flow-log records.  TCP
 * carries only ACK: a SYN would start a session the stream engine tracks. */
#include <string.h>

#include "synth.h"

static void Put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void Put32(uint8_t *p, uint32_t v)
{
    Put16(p, (uint16_t)(v >> 16));
    Put16(p + 2, (uint16_t)v);
}

static uint16_t Ipv4Checksum(const uint8_t *h)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The transport header; returns its length. */
static size_t BuildL4(const struct azf_tuple *t, uint8_t *l4)
{
    switch (t->proto) {
        case 6:
            memset(l4, 0, 20);
            Put16(l4, t->sport);
            Put16(l4 + 2, t->dport);
            Put32(l4 + 4, 1);
            Put32(l4 + 8, 1);
            l4[12] = 5 << 4;
            l4[13] = 0x10; /* ACK */
            Put16(l4 + 14, 65535);
            return 20;
        case 17:
            Put16(l4, t->sport);
            Put16(l4 + 2, t->dport);
            Put16(l4 + 4, 8);
            Put16(l4 + 6, 0);
            return 8;
        case 1:
        case 58:
            memset(l4, 0, 8);
            l4[0] = t->proto == 1 ? 8 : 128; /* echo request */
            return 8;
        default:
            return 0;
    }
}

size_t AzSynthBuild(const struct azf_tuple *t, uint8_t buf[AZ_SYNTH_MAX])
{
    if (t->src.family == 4 && t->dst.family == 4) {
        size_t l4 = BuildL4(t, buf + 20);
        size_t total = 20 + l4;
        memset(buf, 0, 20);
        buf[0] = 0x45;
        Put16(buf + 2, (uint16_t)total);
        buf[6] = 0x40; /* DF */
        buf[8] = 64;
        buf[9] = t->proto;
        memcpy(buf + 12, t->src.bytes, 4);
        memcpy(buf + 16, t->dst.bytes, 4);
        Put16(buf + 10, Ipv4Checksum(buf));
        return total;
    }
    if (t->src.family == 6 && t->dst.family == 6) {
        size_t l4 = BuildL4(t, buf + 40);
        memset(buf, 0, 40);
        buf[0] = 0x60;
        Put16(buf + 4, (uint16_t)l4);
        buf[6] = t->proto;
        buf[7] = 64;
        memcpy(buf + 8, t->src.bytes, 16);
        memcpy(buf + 24, t->dst.bytes, 16);
        return 40 + l4;
    }
    return 0;
}
