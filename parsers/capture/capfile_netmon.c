/* capfile_netmon: Microsoft Network Monitor 2.x files ("GMBU"), read in the
 * order of their frame table, media types mapped to LINKTYPE_* numbers.
 * Layout as in Wireshark's wiretap/netmon.c and the NetMon 3.x help. */
#include <stdlib.h>
#include <string.h>

#include "capfile_int.h"

/* Magic, version, media type, SYSTEMTIME start, frame table offset and
 * length, then tables this reader has no use for (padded to 128 bytes). */
#define NM_HDR 64
#define NM_FRAME_HDR 16 /* µs since the start (u64), wire length, captured length */
#define NM_TABLE_CHUNK ((size_t)64 * 1024)
/* 100 ns ticks from 1601-01-01 (FILETIME) to the Unix epoch. */
#define FILETIME_EPOCH_S 11644473600LL

#define MEDIA_METADATA (-2) /* event, filter, adapter list: not a packet */
#define MEDIA_UNKNOWN (-1)

struct nm_state {
    uint8_t minor;          /* 2.minor */
    uint16_t media;         /* the file's media type (2.0: every frame's) */
    int have_start;
    int64_t start_us;       /* capture start from the header */
    uint32_t *table;        /* frame offsets, in reading order */
    uint32_t nframes, next;
};

/* NetMon media type → LINKTYPE_*, or MEDIA_UNKNOWN / MEDIA_METADATA. */
static int nm_linktype(uint16_t media)
{
    switch (media) {
    case 0: /* NetMon 3.4 VPN captures say 0 for Ethernet frames */
    case 1:
        return AZF_LINKTYPE_ETHERNET;
    case 7: /* tunnelling interfaces */
    case 8: /* wireless WAN */
    case 9: /* raw IP frames */
        return AZF_LINKTYPE_RAW;
    default:
        break;
    }
    if (media >= 0xffe0)
        return MEDIA_METADATA;
    /* 0xE080-0xE08A are Message Analyzer's own types (Wi-Fi, WFP, Fiddler);
     * the rest of 0xExxx are converted pcap files: the LINKTYPE in 12 bits. */
    if ((media & 0xf000) == 0xe000 && !(media >= 0xe080 && media <= 0xe08a))
        return media & 0x0fff;
    return MEDIA_UNKNOWN; /* token ring, FDDI, ATM, 802.11, ... */
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The header's SYSTEMTIME, taken as UTC: NetMon writes the capturing host's
 * local time and keeps no zone (Azure VMs run in UTC).  2.3 frames carry
 * their own UTC time and do not need it. */
static int nm_start(const uint8_t *p, int64_t *us)
{
    unsigned y = cap_u16(p, 0), mo = cap_u16(p + 2, 0), d = cap_u16(p + 6, 0);
    unsigned h = cap_u16(p + 8, 0), mi = cap_u16(p + 10, 0), s = cap_u16(p + 12, 0), ms = cap_u16(p + 14, 0);
    if (y < 1601 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || ms > 999)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    *us = secs * 1000000 + (int64_t)ms * 1000;
    return 0;
}

static int nm_open(struct azf_capfile *f, char *errbuf)
{
    const uint8_t *p;
    long got = capfile_need(f, NM_HDR, &p, errbuf);
    if (got < 0)
        return -1;
    if (got < NM_HDR)
        return capfile_fail(f, errbuf, (uint64_t)got, "truncated Network Monitor header (%ld of %d bytes)", got,
                            NM_HDR);
    struct nm_state *s = calloc(1, sizeof(*s));
    if (!s)
        return capfile_fail(f, errbuf, 0, "out of memory");
    f->priv = s;
    if (p[5] != 2)
        return capfile_fail(f, errbuf, 4, "unsupported Network Monitor version %u.%u", p[5], p[4]);
    s->minor = p[4];
    s->media = cap_u16(p + 6, 0);
    s->have_start = nm_start(p + 8, &s->start_us) == 0;
    if (!s->have_start && s->minor < 3)
        return capfile_fail(f, errbuf, 8, "bad capture start time %u-%u-%u %u:%u:%u", cap_u16(p + 8, 0),
                            cap_u16(p + 10, 0), cap_u16(p + 14, 0), cap_u16(p + 16, 0), cap_u16(p + 18, 0),
                            cap_u16(p + 20, 0));
    uint32_t toff = cap_u32(p + 24, 0), tlen = cap_u32(p + 28, 0);
    if (tlen % 4 != 0)
        return capfile_fail(f, errbuf, 28, "frame table length %u is not a multiple of 4", tlen);
    if (tlen > CAPFILE_MAX_RECORD || (uint64_t)toff + tlen > f->size)
        return capfile_fail(f, errbuf, 24, "frame table (%u bytes at %u) is past the end of the %llu-byte file",
                            tlen, toff, (unsigned long long)f->size);
    s->nframes = tlen / 4;
    s->table = malloc(tlen ? tlen : 1);
    if (!s->table)
        return capfile_fail(f, errbuf, toff, "out of memory for a %u-entry frame table", s->nframes);
    if (capfile_seek(f, toff, errbuf) != 0)
        return -1;
    for (uint32_t done = 0; done < tlen;) {
        size_t want = tlen - done < NM_TABLE_CHUNK ? tlen - done : NM_TABLE_CHUNK;
        got = capfile_need(f, want, &p, errbuf);
        if (got < 0)
            return -1;
        if ((size_t)got < want)
            return capfile_fail(f, errbuf, (uint64_t)toff + done + (uint64_t)got, "truncated frame table");
        for (size_t i = 0; i < want; i += 4)
            s->table[(done + i) / 4] = cap_u32(p + i, 0);
        capfile_consume(f, want);
        done += (uint32_t)want;
    }
    return 0;
}

static int nm_next(struct azf_capfile *f, struct azf_cappkt *pkt, char *errbuf)
{
    struct nm_state *s = f->priv;
    /* 2.1 adds the frame's media type after the data, 2.2 a process index,
     * 2.3 a UTC time stamp and a time-zone index. */
    size_t trailer = s->minor == 0 ? 0 : s->minor == 1 ? 2 : s->minor == 2 ? 6 : 15;
    while (s->next < s->nframes) {
        uint64_t off = s->table[s->next++];
        const uint8_t *p;
        if (capfile_seek(f, off, errbuf) != 0)
            return -1;
        long got = capfile_need(f, NM_FRAME_HDR, &p, errbuf);
        if (got < 0)
            return -1;
        /* Each frame is found through the table, not after the one before:
         * a frame that does not fit the file is skipped and counted, and the
         * table's other frames are still read. */
        if (got < NM_FRAME_HDR) {
            capfile_skip_item(f, off, "truncated frame %u header (%ld of %d bytes)", s->next - 1, got, NM_FRAME_HDR);
            continue;
        }
        uint64_t delta = cap_u64(p, 0);
        uint32_t wirelen = cap_u32(p + 8, 0), caplen = cap_u32(p + 12, 0);
        if (caplen > CAPFILE_MAX_RECORD) {
            capfile_skip_item(f, off, "frame %u: captured length %u is over the %zu MiB record cap",
                              s->next - 1, caplen, CAPFILE_MAX_RECORD >> 20);
            continue;
        }
        size_t need = NM_FRAME_HDR + (size_t)caplen + trailer;
        got = capfile_need(f, need, &p, errbuf);
        if (got < 0)
            return -1;
        if ((size_t)got < need) {
            capfile_skip_item(f, off, "truncated frame %u: %zu bytes needed, %ld left in the file", s->next - 1,
                              need, got);
            continue;
        }
        const uint8_t *t = p + NM_FRAME_HDR + caplen;
        int lt = nm_linktype(s->minor >= 1 ? cap_u16(t, 0) : s->media);
        if (lt == MEDIA_UNKNOWN)
            f->skipped++;
        if (lt < 0)
            continue;
        uint64_t ft = s->minor >= 3 ? cap_u64(t + 6, 0) : 0;
        if (ft != 0) {
            int64_t secs = (int64_t)(ft / 10000000u) - FILETIME_EPOCH_S;
            cap_set_time(pkt, (uint64_t)secs, (ft % 10000000u) * 100u);
        } else {
            /* Documented as unsigned µs, but writers store small negative
             * offsets in two's complement: frames just before the start. */
            pkt->ts_us = (int64_t)((uint64_t)s->start_us + delta);
            pkt->ts_ns_rem = 0;
        }
        capfile_consume(f, need);
        pkt->caplen = caplen;
        pkt->len = wirelen;
        pkt->linktype = (uint32_t)lt;
        pkt->interface = 0;
        pkt->offset = off;
        pkt->data = p + NM_FRAME_HDR;
        return 1;
    }
    return 0;
}

static void nm_close(struct azf_capfile *f)
{
    struct nm_state *s = f->priv;
    if (s)
        free(s->table);
    free(s);
    f->priv = NULL;
}

const struct capfile_ops azf_capfile_netmon_ops = {
    .fmt = AZF_CAP_NETMON,
    .open = nm_open,
    .next = nm_next,
    .close = nm_close,
};
