/* capfile_pcapng: pcapng files — sections in either byte order, several
 * interfaces each with its own link type and time resolution (what
 * libpcap 1.10 refuses), enhanced, simple and obsolete packet blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capfile_int.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_OPB 0x00000002u /* obsolete packet block */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BOM 0x1a2b3c4du

#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* Interface ids are 32-bit; a file declaring more than this is corrupt. */
#define MAX_IFACES (1u << 20)

struct ng_iface {
    uint32_t linktype, snaplen;
    uint64_t units;    /* time-stamp ticks per second */
    int64_t tsoffset;  /* seconds added to every time stamp */
    int unreadable;    /* its description could not be read: its packets
                        * are skipped, as their times would be guessed */
};

struct ng_state {
    int be;            /* this section's byte order */
    struct ng_iface *ifs;
    size_t nif, cap;   /* interfaces of this section */
};

/* Reads the SHB at the read position: byte order, version; forgets the
 * previous section's interfaces. */
static int ng_shb(struct azf_capfile *f, struct ng_state *s, char *errbuf)
{
    uint64_t off = capfile_tell(f);
    const uint8_t *p;
    long got = capfile_need(f, 12, &p, errbuf);
    if (got < 0)
        return -1;
    if (got < 12)
        return capfile_fail(f, errbuf, off, "truncated section header block (%ld of 28 bytes)", got);
    uint32_t bom = cap_u32(p + 8, 1);
    if (bom != BOM && bom != 0x4d3c2b1au)
        return capfile_fail(f, errbuf, off + 8, "bad byte-order magic 0x%08x in section header block", bom);
    s->be = bom == BOM;
    uint32_t len = cap_u32(p + 4, s->be);
    if (len < 28 || len % 4 != 0 || len > CAPFILE_MAX_RECORD)
        return capfile_fail(f, errbuf, off, "bad section header block length %u", len);
    got = capfile_need(f, len, &p, errbuf);
    if (got < 0)
        return -1;
    if ((uint32_t)got < len)
        return capfile_fail(f, errbuf, off, "truncated section header block (%ld of %u bytes)", got, len);
    if (cap_u32(p + len - 4, s->be) != len)
        return capfile_fail(f, errbuf, off, "block trailer length %u differs from header length %u",
                            cap_u32(p + len - 4, s->be), len);
    uint16_t major = cap_u16(p + 12, s->be), minor = cap_u16(p + 14, s->be);
    if (major != 1)
        return capfile_fail(f, errbuf, off + 12, "unsupported pcapng version %u.%u", major, minor);
    /* libpcap reads 1.0 and 1.2 (the same format) and refuses the rest; a
     * minor version only adds what an older reader may not know, and
     * unknown blocks are passed over anyway, so read it and say so. */
    if (minor != 0 && minor != 2)
        capfile_warn(f, CAPFILE_WARN_VERSION, off + 12,
                     "pcapng section version %u.%u is not 1.0 or 1.2: read as 1.0 (libpcap refuses it)", major,
                     minor);
    s->nif = 0;
    capfile_consume(f, len);
    return 0;
}

/* An IDB of len bytes at p (trailer checked): its link type, snaplen and
 * the options that change time stamps. */
static int ng_idb(struct azf_capfile *f, struct ng_state *s, const uint8_t *p, uint32_t len, uint64_t off,
                  char *errbuf)
{
    if (s->nif >= MAX_IFACES)
        return capfile_fail(f, errbuf, off, "more than %u interfaces in a section", MAX_IFACES);
    /* The block is framed (its trailer matched), so a block too short for
     * its fields or an option that cannot be read spoils this interface
     * only: it keeps its index, so the other interfaces' packets are still
     * told apart, and its own are skipped and counted (their times could
     * only be guessed). */
    struct ng_iface ifc = { .units = 1000000 }; /* µs unless if_tsresol says otherwise */
    char why[AZF_ERRBUF_SIZE] = "";
    uint64_t why_off = off;
    if (len < 20) {
        snprintf(why, sizeof(why), "interface description block of %u bytes is below 20", len);
        len = 20; /* no options to read */
    } else {
        ifc.linktype = cap_u16(p + 8, s->be);
        ifc.snaplen = cap_u32(p + 12, s->be);
    }
    for (uint32_t o = 16, end = len - 4; o <= end && end - o >= 4 && why[0] == '\0';) {
        uint16_t code = cap_u16(p + o, s->be), olen = cap_u16(p + o + 2, s->be);
        if (code == OPT_ENDOFOPT)
            break;
        why_off = off + o;
        if (olen > end - o - 4) {
            snprintf(why, sizeof(why), "option %u of %u bytes overruns its block", code, olen);
            break;
        }
        const uint8_t *v = p + o + 4;
        if (code == OPT_IF_TSRESOL && olen >= 1) {
            unsigned n = v[0] & 0x7f;
            if (v[0] & 0x80) {
                if (n > 63)
                    snprintf(why, sizeof(why), "if_tsresol 2^-%u is not supported", n);
                else
                    ifc.units = (uint64_t)1 << n;
            } else if (n > 19) {
                snprintf(why, sizeof(why), "if_tsresol 10^-%u is not supported", n);
            } else {
                ifc.units = 1;
                while (n--)
                    ifc.units *= 10;
            }
        } else if (code == OPT_IF_TSOFFSET && olen >= 8) {
            ifc.tsoffset = (int64_t)cap_u64(v, s->be);
        }
        o += 4 + ((olen + 3u) & ~3u);
    }
    if (why[0] != '\0') {
        capfile_warn(f, CAPFILE_WARN_IFACE, why_off,
                     "%s: interface %zu's packets are skipped (later such interfaces in this file too, counted)",
                     why, s->nif);
        ifc.unreadable = 1;
    }
    if (s->nif == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        struct ng_iface *n = realloc(s->ifs, ncap * sizeof(*n));
        if (!n)
            return capfile_fail(f, errbuf, off, "out of memory for interface %zu", s->nif);
        s->ifs = n;
        s->cap = ncap;
    }
    s->ifs[s->nif++] = ifc;
    return 0;
}

static void ng_time(struct azf_cappkt *pkt, const struct ng_iface *ifc, uint32_t hi, uint32_t lo)
{
    uint64_t ticks = (uint64_t)hi << 32 | lo;
    uint64_t secs = ticks / ifc->units, frac = ticks % ifc->units;
    uint64_t ns = (uint64_t)((unsigned __int128)frac * 1000000000u / ifc->units);
    cap_set_time(pkt, secs + (uint64_t)ifc->tsoffset, ns);
}

/* A packet block of len bytes at p (trailer checked).  1: *pkt filled;
 * 0: skipped (undeclared or unreadable interface, fields that contradict the
 * block's length). */
static int ng_packet(struct azf_capfile *f, struct ng_state *s, uint32_t type, const uint8_t *p, uint32_t len,
                     uint64_t off, struct azf_cappkt *pkt)
{
    uint32_t ifid, caplen, wirelen, room;
    const struct ng_iface *ifc;
    if (type == BT_SPB) {
        if (len < 16)
            return capfile_skip_item(f, off, "simple packet block of %u bytes is below 16", len);
        if (s->nif == 0 || s->ifs[0].unreadable) {
            f->skipped++;
            return 0;
        }
        ifid = 0;
        ifc = &s->ifs[0];
        wirelen = cap_u32(p + 8, s->be);
        room = len - 16;
        /* No caplen field: the data is the wire length cut at the snaplen. */
        caplen = wirelen < room ? wirelen : room;
        if (ifc->snaplen != 0 && caplen > ifc->snaplen)
            caplen = ifc->snaplen;
        pkt->data = p + 12;
    } else {
        if (len < 32)
            return capfile_skip_item(f, off, "packet block of %u bytes is below 32", len);
        ifid = type == BT_EPB ? cap_u32(p + 8, s->be) : cap_u16(p + 8, s->be);
        caplen = cap_u32(p + 20, s->be);
        wirelen = cap_u32(p + 24, s->be);
        if (caplen > len - 32)
            /* Framed by its lengths: the blocks after it are still read. */
            return capfile_skip_item(f, off, "caplen %u overruns its %u-byte block", caplen, len);
        if (ifid >= s->nif || s->ifs[ifid].unreadable) {
            f->skipped++;
            return 0;
        }
        ifc = &s->ifs[ifid];
        ng_time(pkt, ifc, cap_u32(p + 12, s->be), cap_u32(p + 16, s->be));
        pkt->data = p + 28;
    }
    pkt->caplen = caplen;
    pkt->len = wirelen;
    pkt->linktype = ifc->linktype;
    pkt->interface = ifid;
    pkt->offset = off;
    return 1;
}

static int ng_next(struct azf_capfile *f, struct azf_cappkt *pkt, char *errbuf)
{
    struct ng_state *s = f->priv;
    for (;;) {
        uint64_t off = capfile_tell(f);
        const uint8_t *p;
        long got = capfile_need(f, 8, &p, errbuf);
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        if (got < 8)
            return capfile_fail(f, errbuf, off, "truncated block header (%ld of 8 bytes)", got);
        uint32_t type = cap_u32(p, s->be);
        if (type == BT_SHB) {
            if (ng_shb(f, s, errbuf) != 0)
                return -1;
            continue;
        }
        uint32_t len = cap_u32(p + 4, s->be);
        if (len < 12 || len % 4 != 0)
            return capfile_fail(f, errbuf, off, "block length %u is %s", len,
                                len < 12 ? "below 12" : "not a multiple of 4");
        if (len > CAPFILE_MAX_RECORD)
            return capfile_fail(f, errbuf, off, "block length %u is over the %zu MiB record cap", len,
                                CAPFILE_MAX_RECORD >> 20);
        if (type != BT_IDB && type != BT_EPB && type != BT_SPB && type != BT_OPB) {
            /* Name resolution, statistics, secrets, custom, unknown: not
             * packets, so read past without keeping them or counting. */
            capfile_consume(f, 8);
            long long skipped = capfile_skip(f, len - 12, errbuf);
            if (skipped < 0)
                return -1;
            got = skipped == len - 12 ? capfile_need(f, 4, &p, errbuf) : 0;
            if (got < 0)
                return -1;
            if (got < 4)
                return capfile_fail(f, errbuf, off, "truncated block of type 0x%08x (%llu of %u bytes)", type,
                                    (unsigned long long)(capfile_tell(f) + (uint64_t)got - off), len);
            if (cap_u32(p, s->be) != len)
                return capfile_fail(f, errbuf, off, "block trailer length %u differs from header length %u",
                                    cap_u32(p, s->be), len);
            capfile_consume(f, 4);
            continue;
        }
        got = capfile_need(f, len, &p, errbuf);
        if (got < 0)
            return -1;
        if ((uint32_t)got < len)
            return capfile_fail(f, errbuf, off, "truncated block of type 0x%08x (%ld of %u bytes)", type, got, len);
        if (cap_u32(p + len - 4, s->be) != len)
            return capfile_fail(f, errbuf, off, "block trailer length %u differs from header length %u",
                                cap_u32(p + len - 4, s->be), len);
        capfile_consume(f, len);
        int rc = type == BT_IDB ? ng_idb(f, s, p, len, off, errbuf) : ng_packet(f, s, type, p, len, off, pkt);
        if (rc != 0)
            return rc;
    }
}

static int ng_open(struct azf_capfile *f, char *errbuf)
{
    struct ng_state *s = calloc(1, sizeof(*s));
    if (!s)
        return capfile_fail(f, errbuf, 0, "out of memory");
    f->priv = s;
    return ng_shb(f, s, errbuf);
}

static void ng_close(struct azf_capfile *f)
{
    struct ng_state *s = f->priv;
    if (s)
        free(s->ifs);
    free(s);
    f->priv = NULL;
}

const struct capfile_ops azf_capfile_pcapng_ops = {
    .fmt = AZF_CAP_PCAPNG,
    .open = ng_open,
    .next = ng_next,
    .close = ng_close,
};
