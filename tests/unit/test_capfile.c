/* Unit tests of the capture-file readers: pcap, pcapng and Network Monitor
 * 2.x files built byte by byte here, read back with exact values. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"

/* --- building files ------------------------------------------------------------ */

struct bb {
    uint8_t *d;
    size_t n, cap;
    int be; /* write integers big-endian */
};

static void put(struct bb *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->d = realloc(b->d, b->cap);
        assert_non_null(b->d);
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put8(struct bb *b, uint8_t v)
{
    put(b, &v, 1);
}

static void putn(struct bb *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        put8(b, (uint8_t)(v >> (8 * (b->be ? bytes - 1 - i : i))));
}

static void put16(struct bb *b, uint16_t v) { putn(b, v, 2); }
static void put32(struct bb *b, uint32_t v) { putn(b, v, 4); }
static void put64(struct bb *b, uint64_t v) { putn(b, v, 8); }

static void set32(struct bb *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->d[at + i] = (uint8_t)(v >> (8 * (b->be ? 3 - i : i)));
}

static void pad4(struct bb *b)
{
    while (b->n % 4)
        put8(b, 0);
}

/* Packet bytes: a marker byte then a counter, so each packet is told apart. */
static void payload(uint8_t *p, size_t n, uint8_t mark)
{
    for (size_t i = 0; i < n; i++)
        p[i] = i == 0 ? mark : (uint8_t)i;
}

/* pcap */
static void pcap_hdr(struct bb *b, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
    put32(b, magic);
    put16(b, 2);
    put16(b, 4);
    put32(b, 0);
    put32(b, 0);
    put32(b, snaplen);
    put32(b, linktype);
}

static void pcap_rec(struct bb *b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len, uint8_t mark)
{
    uint8_t data[2048];
    assert_true(caplen <= sizeof(data));
    payload(data, caplen, mark);
    put32(b, sec);
    put32(b, frac);
    put32(b, caplen);
    put32(b, len);
    put(b, data, caplen);
}

/* pcapng: a block is begun, filled, then ended (padding, trailer length). */
static size_t ng_begin(struct bb *b, uint32_t type)
{
    size_t at = b->n;
    put32(b, type);
    put32(b, 0);
    return at;
}

static void ng_end(struct bb *b, size_t at)
{
    pad4(b);
    uint32_t len = (uint32_t)(b->n - at + 4);
    put32(b, len);
    set32(b, at + 4, len);
}

static void ng_shb(struct bb *b)
{
    size_t at = ng_begin(b, 0x0a0d0d0a);
    put32(b, 0x1a2b3c4d);
    put16(b, 1);
    put16(b, 0);
    put64(b, UINT64_MAX); /* section length unknown */
    ng_end(b, at);
}

/* tsresol < 0: none; tsoffset 0: none */
static void ng_idb(struct bb *b, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = ng_begin(b, 1);
    put16(b, linktype);
    put16(b, 0);
    put32(b, snaplen);
    put16(b, 2); /* if_name, to be stepped over */
    put16(b, 5);
    put(b, "eth0x", 5);
    pad4(b);
    if (tsresol >= 0) {
        put16(b, 9);
        put16(b, 1);
        put8(b, (uint8_t)tsresol);
        pad4(b);
    }
    if (tsoffset) {
        put16(b, 14);
        put16(b, 8);
        put64(b, (uint64_t)tsoffset);
    }
    put16(b, 0);
    put16(b, 0);
    ng_end(b, at);
}

static void ng_epb(struct bb *b, uint32_t ifid, uint64_t ticks, uint32_t caplen, uint32_t len, uint8_t mark)
{
    uint8_t data[2048];
    payload(data, caplen, mark);
    size_t at = ng_begin(b, 6);
    put32(b, ifid);
    put32(b, (uint32_t)(ticks >> 32));
    put32(b, (uint32_t)ticks);
    put32(b, caplen);
    put32(b, len);
    put(b, data, caplen);
    ng_end(b, at);
}

static void ng_spb(struct bb *b, uint32_t len, uint32_t stored, uint8_t mark)
{
    uint8_t data[2048];
    payload(data, stored, mark);
    size_t at = ng_begin(b, 3);
    put32(b, len);
    put(b, data, stored);
    ng_end(b, at);
}

static void ng_opaque(struct bb *b, uint32_t type, size_t body)
{
    size_t at = ng_begin(b, type);
    for (size_t i = 0; i < body; i++)
        put8(b, 0xee);
    ng_end(b, at);
}

/* Network Monitor 2.x (always little-endian).  Frames are added, then
 * nm_finish writes the frame table and patches the header. */
struct nmframe {
    uint64_t delta_us;
    uint16_t media;
    uint64_t filetime;
    uint32_t caplen, len;
    uint8_t mark;
};

static void nm_file(struct bb *b, uint8_t minor, uint16_t media, const struct nmframe *fr, int n, int reversed)
{
    static const uint16_t start[8] = {2024, 1, 4, 25, 22, 44, 54, 342}; /* Thu 2024-01-25 22:44:54.342 */
    uint32_t offs[16];
    assert_true(n <= 16);
    put(b, "GMBU", 4);
    put8(b, minor);
    put8(b, 2);
    put16(b, media);
    for (int i = 0; i < 8; i++)
        put16(b, start[i]);
    while (b->n < 128)
        put8(b, 0);
    /* Frames on disk in reverse order when asked: the table decides. */
    for (int k = 0; k < n; k++) {
        int i = reversed ? n - 1 - k : k;
        uint8_t data[2048];
        payload(data, fr[i].caplen, fr[i].mark);
        offs[i] = (uint32_t)b->n;
        put64(b, fr[i].delta_us);
        put32(b, fr[i].len);
        put32(b, fr[i].caplen);
        put(b, data, fr[i].caplen);
        if (minor >= 1)
            put16(b, fr[i].media);
        if (minor >= 2)
            put32(b, 7); /* process index */
        if (minor >= 3) {
            put64(b, fr[i].filetime);
            put8(b, 0);
        }
        put8(b, 0x55); /* a hole between frames, as real files have */
    }
    uint32_t table = (uint32_t)b->n;
    for (int i = 0; i < n; i++)
        put32(b, offs[i]);
    set32(b, 24, table);
    set32(b, 28, (uint32_t)n * 4);
}

/* --- reading them back ---------------------------------------------------------- */

static char dir[] = "/tmp/azf-capfile-XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int setup(void **state)
{
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static const char *write_file(const char *name, const void *p, size_t n)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
    return path;
}

static const char *write_bb(const char *name, struct bb *b)
{
    const char *path = write_file(name, b->d, b->n);
    free(b->d);
    memset(b, 0, sizeof(*b));
    return path;
}

#define MAXPKT 64
struct got {
    int n, rc;           /* packets; the call that ended the reading */
    struct azf_cappkt p[MAXPKT];
    uint8_t first[MAXPKT], last[MAXPKT];
    uint64_t skipped, truncated;
    enum azf_capfmt fmt;
    char err[AZF_ERRBUF_SIZE];
    int nwarn;           /* warnings handed out, in order */
    char warn[4][AZF_ERRBUF_SIZE];
};

static void take_warnings(struct azf_capfile *f, struct got *g)
{
    char w[AZF_ERRBUF_SIZE];
    while (azf_capfile_warning(f, w)) {
        assert_true(g->nwarn < 4);
        memcpy(g->warn[g->nwarn++], w, sizeof(w));
    }
}

static void read_all(const char *path, struct got *g)
{
    char err[AZF_ERRBUF_SIZE];
    memset(g, 0, sizeof(*g));
    struct azf_capfile *f = azf_capfile_open(path, err);
    if (!f)
        print_message("open: %s\n", err);
    assert_non_null(f);
    g->fmt = azf_capfile_format(f);
    struct azf_cappkt pkt;
    while ((g->rc = azf_capfile_next(f, &pkt, g->err)) == 1) {
        assert_true(g->n < MAXPKT);
        if (pkt.caplen) {
            g->first[g->n] = pkt.data[0];
            g->last[g->n] = pkt.data[pkt.caplen - 1];
        }
        g->p[g->n++] = pkt;
        take_warnings(f, g);
    }
    take_warnings(f, g);
    if (g->rc < 0) {
        /* An error is final: the next call repeats it. */
        char again[AZF_ERRBUF_SIZE];
        assert_int_equal(azf_capfile_next(f, &pkt, again), -1);
        assert_string_equal(again, g->err);
    }
    g->skipped = azf_capfile_skipped(f);
    g->truncated = azf_capfile_truncated(f);
    azf_capfile_close(f);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        print_message("\"%s\" lacks \"%s\"\n", hay, needle);
    assert_non_null(strstr(hay, needle));
}

/* --- pcap ----------------------------------------------------------------------- */

static void pcap_us(int be)
{
    struct bb b = {.be = be};
    pcap_hdr(&b, 0xa1b2c3d4, 65535, 1);
    pcap_rec(&b, 1706222694, 342001, 60, 60, 0xa1);
    pcap_rec(&b, 1706222695, 999999, 100, 1514, 0xa2);
    struct got g;
    read_all(write_bb(be ? "us-be.pcap" : "us-le.pcap", &b), &g);
    assert_int_equal(g.fmt, AZF_CAP_PCAP);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.p[0].ts_us, 1706222694342001LL);
    assert_int_equal(g.p[0].ts_ns_rem, 0);
    assert_int_equal(g.p[0].caplen, 60);
    assert_int_equal(g.p[0].len, 60);
    assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(g.p[0].interface, 0);
    assert_int_equal(g.p[0].offset, 24);
    assert_int_equal(g.first[0], 0xa1);
    assert_int_equal(g.last[0], 59);
    assert_int_equal(g.p[1].ts_us, 1706222695999999LL);
    assert_int_equal(g.p[1].caplen, 100);
    assert_int_equal(g.p[1].len, 1514);
    assert_int_equal(g.p[1].offset, 24 + 16 + 60);
    assert_int_equal(g.first[1], 0xa2);
    assert_int_equal(g.skipped, 0);
    assert_int_equal(g.truncated, 1);
}

static void test_pcap_us_le(void **state) { pcap_us(0); }
static void test_pcap_us_be(void **state) { pcap_us(1); }

static void test_pcap_ns(void **state)
{
    for (int be = 0; be < 2; be++) {
        struct bb b = {.be = be};
        /* FCS bits above the link type are not part of it. */
        pcap_hdr(&b, 0xa1b23c4d, 0, 0x14000000 | AZF_LINKTYPE_RAW);
        pcap_rec(&b, 1700000000, 123456789, 20, 20, 0x45);
        pcap_rec(&b, 1700000001, 999, 28, 28, 0x46);
        struct got g;
        read_all(write_bb("ns.pcap", &b), &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.n, 2);
        assert_int_equal(g.p[0].ts_us, 1700000000123456LL);
        assert_int_equal(g.p[0].ts_ns_rem, 789);
        assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_RAW);
        assert_int_equal(g.first[0], 0x45);
        assert_int_equal(g.p[1].ts_us, 1700000001000000LL);
        assert_int_equal(g.p[1].ts_ns_rem, 999);
        assert_int_equal(g.p[1].caplen, 28);
        assert_int_equal(g.truncated, 0);
    }
}

static void test_pcap_truncated_file(void **state)
{
    struct bb b = {0};
    pcap_hdr(&b, 0xa1b2c3d4, 65535, 1);
    pcap_rec(&b, 10, 1, 40, 40, 1);
    pcap_rec(&b, 11, 2, 40, 40, 2);
    pcap_rec(&b, 12, 3, 40, 40, 3);
    b.n -= 10; /* the last record loses 10 of its 40 bytes */
    struct got g;
    read_all(write_bb("cut.pcap", &b), &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.rc, -1);
    assert_int_equal(g.p[1].ts_us, 11000002);
    assert_int_equal(g.first[1], 2);
    char want[64];
    snprintf(want, sizeof(want), "cut.pcap:%d: truncated packet", 24 + 2 * 56);
    assert_contains(g.err, want);
    assert_contains(g.err, dir);

    /* Cut inside the record header. */
    b = (struct bb){0};
    pcap_hdr(&b, 0xa1b2c3d4, 65535, 1);
    pcap_rec(&b, 10, 1, 40, 40, 1);
    put32(&b, 11);
    read_all(write_bb("cut-hdr.pcap", &b), &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rc, -1);
    assert_contains(g.err, "cut-hdr.pcap:80: truncated record header (4 of 16 bytes)");
}

static void test_pcap_bad_lengths(void **state)
{
    struct bb b = {0};
    pcap_hdr(&b, 0xa1b2c3d4, 96, 1);
    pcap_rec(&b, 10, 1, 96, 200, 1);
    pcap_rec(&b, 11, 1, 97, 200, 2); /* over the snaplen: libpcap cuts it to 96 */
    pcap_rec(&b, 12, 1, 98, 200, 3);
    pcap_rec(&b, 13, 1, 40, 40, 4);
    struct got g;
    read_all(write_bb("snap.pcap", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.p[1].caplen, 96);
    assert_int_equal(g.p[1].len, 200);
    assert_int_equal(g.first[1], 2);
    assert_int_equal(g.p[2].caplen, 96);
    assert_int_equal(g.first[3], 4); /* the record after the long one is found */
    assert_int_equal(g.p[3].caplen, 40);
    assert_int_equal(g.truncated, 3);
    assert_int_equal(g.nwarn, 1); /* said once per file */
    assert_contains(g.warn[0], "snap.pcap:136: caplen 97 is over the file's snaplen 96: cut to the snaplen");

    b = (struct bb){0};
    pcap_hdr(&b, 0xa1b2c3d4, 0, 1); /* snaplen 0: only the record cap */
    put32(&b, 1);
    put32(&b, 0);
    put32(&b, 0x7fffffff);
    put32(&b, 0x7fffffff);
    read_all(write_bb("huge.pcap", &b), &g);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.rc, -1);
    assert_contains(g.err, "huge.pcap:24: caplen 2147483647 is over the 256 MiB record cap");

    /* A length the file cannot hold is a truncation, found without
     * allocating for it. */
    b = (struct bb){0};
    pcap_hdr(&b, 0xa1b2c3d4, 0, 1);
    pcap_rec(&b, 1, 0, 10, 10, 1);
    put32(&b, 2);
    put32(&b, 0);
    put32(&b, 200u << 20);
    put32(&b, 200u << 20);
    put(&b, "abc", 3);
    read_all(write_bb("claim.pcap", &b), &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rc, -1);
    assert_contains(g.err, "claim.pcap:50: truncated packet: caplen 209715200, 3 bytes left in the file");

    /* A file header cut short does not open. */
    b = (struct bb){0};
    pcap_hdr(&b, 0xa1b2c3d4, 0, 1);
    char err[AZF_ERRBUF_SIZE];
    const char *path = write_file("short.pcap", b.d, 20);
    free(b.d);
    assert_null(azf_capfile_open(path, err));
    assert_contains(err, "short.pcap:20: truncated pcap file header (20 of 24 bytes)");
}

/* Many packets and one larger than the reader's first buffer: records cross
 * every buffer boundary. */
static void test_pcap_buffering(void **state)
{
    struct bb b = {0};
    pcap_hdr(&b, 0xa1b2c3d4, 0, 1);
    for (uint32_t i = 0; i < 3000; i++)
        pcap_rec(&b, i, 0, 1 + i % 1500, 1 + i % 1500, (uint8_t)i);
    size_t big_at = b.n;
    uint32_t big = 300000;
    put32(&b, 5000);
    put32(&b, 0);
    put32(&b, big);
    put32(&b, big);
    for (uint32_t i = 0; i < big; i++)
        put8(&b, (uint8_t)(i * 7));
    pcap_rec(&b, 5001, 0, 10, 10, 0x77);
    char err[AZF_ERRBUF_SIZE];
    struct azf_capfile *f = azf_capfile_open(write_bb("many.pcap", &b), err);
    assert_non_null(f);
    struct azf_cappkt p;
    for (uint32_t i = 0; i < 3000; i++) {
        assert_int_equal(azf_capfile_next(f, &p, err), 1);
        assert_int_equal(p.ts_us, (int64_t)i * 1000000);
        assert_int_equal(p.caplen, 1 + i % 1500);
        assert_int_equal(p.data[0], (uint8_t)i);
        assert_int_equal(p.data[p.caplen - 1], p.caplen == 1 ? (uint8_t)i : (uint8_t)(p.caplen - 1));
    }
    assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(p.caplen, big);
    assert_int_equal(p.offset, big_at);
    for (uint32_t i = 0; i < big; i += 997)
        assert_int_equal(p.data[i], (uint8_t)(i * 7));
    assert_int_equal(p.data[big - 1], (uint8_t)((big - 1) * 7));
    assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(p.data[0], 0x77);
    assert_int_equal(azf_capfile_next(f, &p, err), 0);
    azf_capfile_close(f);
}

/* --- pcapng ----------------------------------------------------------------------- */

/* Ethernet (µs), IPv4 (ns) and raw IP (1/8 s, offset 100 s) interfaces in one
 * file: what libpcap 1.10 refuses. */
static void test_pcapng_interfaces(void **state)
{
    struct bb b = {0};
    ng_shb(&b);
    ng_idb(&b, AZF_LINKTYPE_ETHERNET, 262144, -1, 0);
    ng_idb(&b, AZF_LINKTYPE_IPV4, 0, 9, 0);
    size_t epb0 = b.n;
    ng_epb(&b, 0, 1706222694342001ULL, 60, 60, 0xe0);
    ng_epb(&b, 1, 1706222694342001234ULL, 33, 33, 0x45); /* padded to 36 */
    ng_idb(&b, AZF_LINKTYPE_RAW, 0, 0x83, 100);
    ng_epb(&b, 2, 8ULL * 1000 + 5, 20, 20, 0x46); /* 1000.625 s + 100 s */
    ng_epb(&b, 0, 1706222695000000ULL, 14, 1514, 0xe1);
    struct got g;
    read_all(write_bb("multi.pcapng", &b), &g);
    assert_int_equal(g.fmt, AZF_CAP_PCAPNG);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 4);

    assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(g.p[0].interface, 0);
    assert_int_equal(g.p[0].ts_us, 1706222694342001LL);
    assert_int_equal(g.p[0].ts_ns_rem, 0);
    assert_int_equal(g.p[0].caplen, 60);
    assert_int_equal(g.p[0].offset, epb0);
    assert_int_equal(g.first[0], 0xe0);

    assert_int_equal(g.p[1].linktype, AZF_LINKTYPE_IPV4);
    assert_int_equal(g.p[1].interface, 1);
    assert_int_equal(g.p[1].ts_us, 1706222694342001LL);
    assert_int_equal(g.p[1].ts_ns_rem, 234);
    assert_int_equal(g.p[1].caplen, 33);
    assert_int_equal(g.first[1], 0x45);
    assert_int_equal(g.last[1], 32);

    assert_int_equal(g.p[2].linktype, AZF_LINKTYPE_RAW);
    assert_int_equal(g.p[2].interface, 2);
    assert_int_equal(g.p[2].ts_us, 1100625000LL);

    assert_int_equal(g.p[3].linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(g.p[3].len, 1514);
    assert_int_equal(g.truncated, 1);
    assert_int_equal(g.skipped, 0);
}

/* A little-endian section, then a big-endian one whose interface 0 is new. */
static void test_pcapng_sections(void **state)
{
    struct bb b = {0};
    ng_shb(&b);
    ng_idb(&b, AZF_LINKTYPE_ETHERNET, 0, -1, 0);
    ng_epb(&b, 0, 1000001, 20, 20, 1);
    b.be = 1;
    ng_shb(&b);
    ng_idb(&b, AZF_LINKTYPE_LINUX_SLL, 0, 3, 0); /* ms */
    ng_epb(&b, 0, 2000123, 24, 30, 2);
    ng_epb(&b, 1, 2000124, 24, 30, 3); /* interface 1 belonged to no section here */
    struct got g;
    read_all(write_bb("sections.pcapng", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(g.p[0].ts_us, 1000001);
    assert_int_equal(g.p[1].linktype, AZF_LINKTYPE_LINUX_SLL);
    assert_int_equal(g.p[1].ts_us, 2000123000LL);
    assert_int_equal(g.p[1].caplen, 24);
    assert_int_equal(g.p[1].len, 30);
    assert_int_equal(g.first[1], 2);
    assert_int_equal(g.skipped, 1);
    assert_int_equal(g.truncated, 1);

    /* A big-endian file from its first byte. */
    b = (struct bb){.be = 1};
    ng_shb(&b);
    ng_idb(&b, AZF_LINKTYPE_RAW, 0, -1, 0);
    ng_epb(&b, 0, 42, 20, 20, 0x45);
    read_all(write_bb("be.pcapng", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_RAW);
    assert_int_equal(g.p[0].ts_us, 42);
    assert_int_equal(g.first[0], 0x45);
}

static void test_pcapng_spb_opb_and_skips(void **state)
{
    struct bb b = {0};
    ng_shb(&b);
    ng_spb(&b, 60, 60, 9);            /* no interface yet: skipped, counted */
    ng_opaque(&b, 4, 20);             /* name resolution */
    ng_idb(&b, AZF_LINKTYPE_ETHERNET, 64, -1, 0);
    ng_opaque(&b, 0x0bad, 9);         /* custom */
    ng_opaque(&b, 0x12345678, 0);     /* unknown */
    size_t spb = b.n;
    ng_spb(&b, 100, 64, 0xab);        /* wire 100, snaplen 64 */
    ng_spb(&b, 30, 30, 0xac);         /* 30 bytes, padded to 32 */
    ng_epb(&b, 7, 1, 20, 20, 0);      /* no interface 7: skipped, counted */
    ng_opaque(&b, 5, 24);             /* interface statistics */
    /* Obsolete packet block: 16-bit interface id, drops count. */
    size_t at = ng_begin(&b, 2);
    put16(&b, 0);
    put16(&b, 0);
    put32(&b, 0);
    put32(&b, 1234567);
    put32(&b, 4);
    put32(&b, 4);
    put(&b, "\x01\x02\x03\x04", 4);
    ng_end(&b, at);
    struct got g;
    read_all(write_bb("spb.pcapng", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.p[0].offset, spb);
    assert_int_equal(g.p[0].caplen, 64);
    assert_int_equal(g.p[0].len, 100);
    assert_int_equal(g.p[0].ts_us, 0); /* an SPB has no time stamp */
    assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(g.first[0], 0xab);
    assert_int_equal(g.last[0], 63);
    assert_int_equal(g.p[1].caplen, 30);
    assert_int_equal(g.p[1].len, 30);
    assert_int_equal(g.last[1], 29);
    assert_int_equal(g.p[2].caplen, 4);
    assert_int_equal(g.p[2].ts_us, 1234567);
    assert_int_equal(g.first[2], 1);
    assert_int_equal(g.skipped, 2);
    assert_int_equal(g.truncated, 1);
}

static void test_pcapng_bad_blocks(void **state)
{
    struct got g;
    struct bb b = {0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, -1, 0);
    ng_epb(&b, 0, 5, 20, 20, 1);
    size_t bad = b.n;
    ng_epb(&b, 0, 6, 20, 20, 2);
    set32(&b, bad + 4, 46); /* not a multiple of 4 */
    read_all(write_bb("len4.pcapng", &b), &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rc, -1);
    char want[128];
    snprintf(want, sizeof(want), "len4.pcapng:%zu: block length 46 is not a multiple of 4", bad);
    assert_contains(g.err, want);

    b = (struct bb){0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, -1, 0);
    bad = b.n;
    ng_epb(&b, 0, 6, 20, 20, 2);
    set32(&b, b.n - 4, 48); /* trailer says 48, header 52 */
    read_all(write_bb("trailer.pcapng", &b), &g);
    assert_int_equal(g.n, 0);
    snprintf(want, sizeof(want), "trailer.pcapng:%zu: block trailer length 48 differs from header length 52", bad);
    assert_contains(g.err, want);

    /* A skipped block is checked the same way. */
    b = (struct bb){0};
    ng_shb(&b);
    bad = b.n;
    ng_opaque(&b, 4, 8);
    set32(&b, b.n - 4, 0);
    read_all(write_bb("trailer2.pcapng", &b), &g);
    assert_int_equal(g.rc, -1);
    assert_contains(g.err, "block trailer length 0 differs from header length 20");

    /* caplen past the end of its block. */
    b = (struct bb){0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, -1, 0);
    bad = b.n;
    ng_epb(&b, 0, 6, 20, 20, 2);
    set32(&b, bad + 20, 21);
    ng_epb(&b, 0, 7, 20, 20, 3);
    size_t bad2 = b.n;
    ng_epb(&b, 0, 8, 20, 20, 4);
    set32(&b, bad2 + 20, 0xffffffffu); /* caplen + 32 must not wrap */
    ng_epb(&b, 0, 9, 20, 20, 5);
    read_all(write_bb("caplen.pcapng", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.first[0], 3);
    assert_int_equal(g.first[1], 5);
    assert_int_equal(g.skipped, 2);
    assert_int_equal(g.nwarn, 1);
    snprintf(want, sizeof(want), "caplen.pcapng:%zu: caplen 21 overruns its 52-byte block: skipped", bad);
    assert_contains(g.warn[0], want);

    /* The file ends inside a block: packets before stay good. */
    b = (struct bb){0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, -1, 0);
    ng_epb(&b, 0, 5, 20, 20, 1);
    bad = b.n;
    ng_epb(&b, 0, 6, 20, 20, 2);
    b.n -= 6;
    read_all(write_bb("cut.pcapng", &b), &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.first[0], 1);
    snprintf(want, sizeof(want), "cut.pcapng:%zu: truncated block of type 0x00000006 (46 of 52 bytes)", bad);
    assert_contains(g.err, want);

    /* Ending inside a skipped block too. */
    b = (struct bb){0};
    ng_shb(&b);
    bad = b.n;
    ng_opaque(&b, 0x0bad, 100);
    b.n -= 50;
    read_all(write_bb("cut2.pcapng", &b), &g);
    assert_int_equal(g.rc, -1);
    snprintf(want, sizeof(want), "cut2.pcapng:%zu: truncated block of type 0x00000bad (62 of 112 bytes)", bad);
    assert_contains(g.err, want);

    /* A second section whose byte-order magic is wrong. */
    b = (struct bb){0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, -1, 0);
    ng_epb(&b, 0, 5, 20, 20, 1);
    bad = b.n;
    ng_shb(&b);
    b.d[bad + 8] = 0;
    read_all(write_bb("bom2.pcapng", &b), &g);
    assert_int_equal(g.n, 1);
    snprintf(want, sizeof(want), "bom2.pcapng:%zu: bad byte-order magic 0x003c2b1a", bad + 8);
    assert_contains(g.err, want);

    /* A bad if_tsresol, a bad byte-order magic. */
    b = (struct bb){0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, 20, 0);   /* interface 0: times unreadable */
    ng_idb(&b, 113, 0, -1, 0); /* interface 1: fine */
    ng_epb(&b, 0, 5, 20, 20, 1);
    ng_epb(&b, 1, 6, 20, 20, 2);
    ng_epb(&b, 0, 7, 20, 20, 3);
    read_all(write_bb("tsresol.pcapng", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.first[0], 2);
    assert_int_equal(g.p[0].interface, 1);
    assert_int_equal(g.p[0].linktype, 113);
    assert_int_equal(g.skipped, 2);
    assert_int_equal(g.nwarn, 1);
    assert_contains(g.warn[0], "if_tsresol 10^-20 is not supported: interface 0's packets are skipped");

    /* Two kinds met before one packet is returned: both are handed out,
     * oldest first. */
    b = (struct bb){0};
    ng_shb(&b);
    ng_idb(&b, 1, 0, 20, 0);
    ng_idb(&b, 1, 0, -1, 0);
    bad = b.n;
    ng_epb(&b, 1, 5, 20, 20, 1);
    set32(&b, bad + 20, 21);
    ng_epb(&b, 1, 6, 20, 20, 2);
    read_all(write_bb("two.pcapng", &b), &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.nwarn, 2);
    assert_contains(g.warn[0], "interface 0's packets are skipped");
    assert_contains(g.warn[1], "caplen 21 overruns its 52-byte block: skipped");

    /* An interface block too short for its fields keeps its index too;
     * a simple packet block (interface 0) on it is skipped as well. */
    b = (struct bb){0};
    ng_shb(&b);
    bad = b.n;
    size_t at = ng_begin(&b, 1);
    put32(&b, 1);
    ng_end(&b, at);
    ng_idb(&b, 1, 0, -1, 0);
    ng_epb(&b, 1, 5, 20, 20, 1);
    ng_spb(&b, 20, 20, 2);
    read_all(write_bb("short-idb.pcapng", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.p[0].interface, 1);
    assert_int_equal(g.skipped, 1); /* the SPB */
    snprintf(want, sizeof(want), "short-idb.pcapng:%zu: interface description block of 16 bytes is below 20", bad);
    assert_contains(g.warn[0], want);

    b = (struct bb){0};
    ng_shb(&b);
    b.d[8] = 0x77;
    char err[AZF_ERRBUF_SIZE];
    const char *path = write_bb("bom.pcapng", &b);
    assert_null(azf_capfile_open(path, err)); /* pcapng by its magic; the BOM is named */
    assert_contains(err, "bom.pcapng:8: bad byte-order magic 0x773c2b1a in section header block");
}

/* --- versions and times the readers work around or refuse --------------------------- */

static void test_versions_and_times(void **state)
{
    char err[AZF_ERRBUF_SIZE];
    struct azf_cappkt p;

    /* pcap 1.4: pcap's magic, an unknown version; the version is named. */
    struct bb b = {0};
    pcap_hdr(&b, 0xa1b2c3d4, 65535, 1);
    b.d[4] = 1;
    assert_null(azf_capfile_open(write_bb("v14.pcap", &b), err));
    assert_contains(err, "v14.pcap:4: unsupported pcap version 1.4");
    assert_true(strstr(err, "not a pcap") == NULL);

    /* A ns fraction of a second or more: kept in its second, warned once
     * with the first record's offset, counted each time. */
    b = (struct bb){0};
    pcap_hdr(&b, 0xa1b23c4d, 0, 1);
    pcap_rec(&b, 1700000000, 5, 20, 20, 0x41);
    pcap_rec(&b, 1700000000, 1500000000u, 20, 20, 0x42);
    pcap_rec(&b, 1700000001, 2000000000u, 20, 20, 0x43);
    struct azf_capfile *f = azf_capfile_open(write_bb("ns-over.pcap", &b), err);
    assert_non_null(f);
    assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(azf_capfile_warning(f, err), 0);
    assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(p.ts_us, 1700000000999999LL);
    assert_int_equal(p.ts_ns_rem, 999);
    assert_int_equal(azf_capfile_warning(f, err), 1);
    assert_contains(err, "ns-over.pcap:60: time fraction 1500000000 ns is a second or more: clamped to the end of second 1700000000");
    assert_int_equal(azf_capfile_warning(f, err), 0); /* handed out once */
    assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(p.ts_us, 1700000001999999LL);
    assert_int_equal(azf_capfile_warning(f, err), 0); /* once per file */
    assert_int_equal(azf_capfile_bad_times(f), 2);
    azf_capfile_close(f);

    /* µs files: 1,000,000 µs is a second too. */
    b = (struct bb){0};
    pcap_hdr(&b, 0xa1b2c3d4, 0, 1);
    pcap_rec(&b, 1700000000, 1000000, 20, 20, 0x41);
    f = azf_capfile_open(write_bb("us-over.pcap", &b), err);
    assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(p.ts_us, 1700000000999999LL);
    assert_int_equal(azf_capfile_warning(f, err), 1);
    assert_contains(err, "us-over.pcap:24: time fraction 1000000 us");
    azf_capfile_close(f);

    /* pcapng 1.1: read, warned with the version's offset; 1.2 silently. */
    for (int minor = 1; minor <= 2; minor++) {
        b = (struct bb){0};
        ng_shb(&b);
        b.d[14] = (uint8_t)minor;
        ng_idb(&b, 1, 0, -1, 0);
        ng_epb(&b, 0, 5, 20, 20, 1);
        f = azf_capfile_open(write_bb("v11.pcapng", &b), err);
        assert_non_null(f);
        assert_int_equal(azf_capfile_next(f, &p, err), 1);
        assert_int_equal(p.caplen, 20);
        if (minor == 1) {
            assert_int_equal(azf_capfile_warning(f, err), 1);
            assert_contains(err, "v11.pcapng:12: pcapng section version 1.1 is not 1.0 or 1.2: read as 1.0");
        } else {
            assert_int_equal(azf_capfile_warning(f, err), 0);
        }
        assert_int_equal(azf_capfile_next(f, &p, err), 0);
        azf_capfile_close(f);
    }
}

/* --- Network Monitor ---------------------------------------------------------------- */

#define NM_START_US 1706222694342000LL /* 2024-01-25 22:44:54.342 */

static void test_netmon_20(void **state)
{
    struct nmframe fr[2] = {
        {.delta_us = 0, .caplen = 60, .len = 60, .mark = 0xe0},
        {.delta_us = 1500123, .caplen = 54, .len = 1514, .mark = 0xe1},
    };
    struct bb b = {0};
    nm_file(&b, 0, 1, fr, 2, 1);
    uint32_t off1 = 128; /* reversed on disk: frame 1 first */
    struct got g;
    read_all(write_bb("two.cap", &b), &g);
    assert_int_equal(g.fmt, AZF_CAP_NETMON);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.p[0].ts_us, NM_START_US);
    assert_int_equal(g.p[0].caplen, 60);
    assert_int_equal(g.p[0].len, 60);
    assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_ETHERNET);
    assert_int_equal(g.p[0].offset, off1 + 16 + 54 + 1);
    assert_int_equal(g.first[0], 0xe0);
    assert_int_equal(g.last[0], 59);
    assert_int_equal(g.p[1].ts_us, NM_START_US + 1500123);
    assert_int_equal(g.p[1].caplen, 54);
    assert_int_equal(g.p[1].len, 1514);
    assert_int_equal(g.p[1].offset, off1);
    assert_int_equal(g.first[1], 0xe1);
    assert_int_equal(g.truncated, 1);
    assert_int_equal(g.skipped, 0);
}

/* 2.1+: a media type per frame; metadata frames are not packets, Wi-Fi is a
 * packet this library cannot type. */
static void test_netmon_media(void **state)
{
    struct nmframe fr[6] = {
        {.delta_us = 1, .media = 1, .caplen = 60, .len = 60, .mark = 1},
        {.delta_us = 2, .media = 9, .caplen = 20, .len = 20, .mark = 0x45},
        {.delta_us = 3, .media = 6, .caplen = 40, .len = 40, .mark = 3},
        {.delta_us = 4, .media = 0xffff, .caplen = 10, .len = 10, .mark = 4},
        {.delta_us = 5, .media = 0xe000 | AZF_LINKTYPE_IPV6, .caplen = 40, .len = 40, .mark = 0x60},
        {.delta_us = (uint64_t)-1000, .media = 0, .caplen = 14, .len = 14, .mark = 6},
    };
    for (uint8_t minor = 1; minor <= 2; minor++) {
        struct bb b = {0};
        nm_file(&b, minor, 1, fr, 6, 0);
        struct got g;
        read_all(write_bb("media.cap", &b), &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.n, 4);
        assert_int_equal(g.p[0].linktype, AZF_LINKTYPE_ETHERNET);
        assert_int_equal(g.p[0].ts_us, NM_START_US + 1);
        assert_int_equal(g.p[1].linktype, AZF_LINKTYPE_RAW);
        assert_int_equal(g.first[1], 0x45);
        assert_int_equal(g.p[2].linktype, AZF_LINKTYPE_IPV6);
        assert_int_equal(g.first[2], 0x60);
        assert_int_equal(g.p[3].linktype, AZF_LINKTYPE_ETHERNET);
        assert_int_equal(g.p[3].ts_us, NM_START_US - 1000);
        assert_int_equal(g.skipped, 1);
    }
}

/* 2.3: each frame carries its UTC time (FILETIME), which wins. */
static void test_netmon_23(void **state)
{
    struct nmframe fr[2] = {
        {.delta_us = 999, .media = 1, .filetime = 133506962951234567ULL, .caplen = 60, .len = 60, .mark = 1},
        {.delta_us = 1000, .media = 1, .filetime = 0, .caplen = 60, .len = 60, .mark = 2},
    };
    struct bb b = {0};
    nm_file(&b, 3, 1, fr, 2, 0);
    struct got g;
    read_all(write_bb("v23.cap", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.p[0].ts_us, 1706222695123456LL);
    assert_int_equal(g.p[0].ts_ns_rem, 700);
    assert_int_equal(g.p[1].ts_us, NM_START_US + 1000); /* no FILETIME: the header's */
    assert_int_equal(g.first[1], 2);
}

static void test_netmon_bad(void **state)
{
    struct nmframe fr[2] = {
        {.delta_us = 0, .caplen = 60, .len = 60, .mark = 1},
        {.delta_us = 1, .caplen = 60, .len = 60, .mark = 2},
    };
    struct got g;
    struct bb b = {0};
    struct nmframe fr3[3] = {fr[0], fr[1], {.delta_us = 2, .caplen = 60, .len = 60, .mark = 3}};
    nm_file(&b, 0, 1, fr3, 3, 0);
    set32(&b, 128 + 77 + 12, 5000); /* frame 1 claims 5000 captured bytes */
    read_all(write_bb("cut.cap", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2); /* the table still leads to frame 2 */
    assert_int_equal(g.first[1], 3);
    assert_int_equal(g.skipped, 1);
    assert_int_equal(g.nwarn, 1);
    assert_contains(g.warn[0], "cut.cap:205: truncated frame 1: 5016 bytes needed, 166 left in the file: skipped");

    /* A table entry past the end of the file. */
    b = (struct bb){0};
    nm_file(&b, 0, 1, fr3, 3, 0);
    set32(&b, b.n - 8, 1u << 30);
    read_all(write_bb("entry.cap", &b), &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.first[0], 1);
    assert_int_equal(g.first[1], 3);
    assert_int_equal(g.skipped, 1);
    assert_contains(g.warn[0], "entry.cap:1073741824: truncated frame 1 header (0 of 16 bytes): skipped");

    char err[AZF_ERRBUF_SIZE];
    b = (struct bb){0};
    nm_file(&b, 0, 1, fr, 2, 0);
    set32(&b, 24, (uint32_t)b.n); /* frame table past the end */
    assert_null(azf_capfile_open(write_bb("table.cap", &b), err));
    assert_contains(err, "table.cap:24: frame table (8 bytes at ");

    b = (struct bb){0};
    nm_file(&b, 0, 1, fr, 2, 0);
    b.d[10] = 13; /* month 13 */
    assert_null(azf_capfile_open(write_bb("month.cap", &b), err));
    assert_contains(err, "month.cap:8: bad capture start time 2024-13-25 22:44:54");
}

/* --- sniffing and unknown files -------------------------------------------------------- */

/* --- look-ahead and rewind ---------------------------------------------------------- */

/* A pcapng of `n` packets (packet i: caplen 1 + i % 1500, first byte i) with
 * a packet block whose caplen overruns it after the fifth: a skip and a
 * warning, each of which must be said again after the rewind. */
static void lookahead_file(struct bb *b, uint32_t n)
{
    ng_shb(b);
    ng_idb(b, 1, 0, 6, 0);
    for (uint32_t i = 0; i < n; i++) {
        ng_epb(b, 0, (uint64_t)i * 1000, 1 + i % 1500, 1 + i % 1500, (uint8_t)i);
        if (i == 4) {
            size_t at = b->n;
            ng_epb(b, 0, 0, 10, 10, 0xee);
            set32(b, at + 20, 1000); /* caplen */
        }
    }
}

/* The file's bytes through a FIFO, written by a child as a capture tool
 * would: the reader cannot seek, nor open it a second time. */
static const char *fifo_of(const char *name, struct bb *b, pid_t *writer)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(mkfifo(path, 0600), 0);
    *writer = fork();
    assert_true(*writer >= 0);
    if (*writer == 0) {
        int fd = open(path, O_WRONLY);
        size_t done = 0;
        while (fd >= 0 && done < b->n) {
            ssize_t w = write(fd, b->d + done, b->n - done);
            if (w <= 0)
                _exit(1);
            done += (size_t)w;
        }
        _exit(fd >= 0 ? 0 : 1);
    }
    free(b->d);
    memset(b, 0, sizeof(*b));
    return path;
}

static void assert_packet(const struct azf_cappkt *p, uint32_t i)
{
    assert_int_equal(p->ts_us, (int64_t)i * 1000);
    assert_int_equal(p->caplen, 1 + i % 1500);
    assert_int_equal(p->data[0], (uint8_t)i);
}

/* Reads `ahead` packets, rewinds, then reads them all: the same packets,
 * the skip counted and warned about once again, as a fresh open would. */
static void lookahead_then_all(const char *path, uint32_t n, uint32_t ahead)
{
    char err[AZF_ERRBUF_SIZE];
    struct azf_capfile *f = azf_capfile_open(path, err);
    assert_non_null(f);
    assert_int_equal(azf_capfile_lookahead(f, err), 0);
    struct azf_cappkt p;
    for (uint32_t i = 0; i < ahead; i++) {
        assert_int_equal(azf_capfile_next(f, &p, err), 1);
        assert_packet(&p, i);
    }
    assert_int_equal(azf_capfile_skipped(f), 1);
    assert_int_equal(azf_capfile_warning(f, err), 1);
    assert_int_equal(azf_capfile_rewind(f, err), 0);
    assert_int_equal(azf_capfile_skipped(f), 0);
    assert_int_equal(azf_capfile_warning(f, err), 0);
    for (uint32_t i = 0; i < n; i++) {
        int rc = azf_capfile_next(f, &p, err);
        if (rc != 1)
            print_message("packet %u: %d %s\n", i, rc, err);
        assert_int_equal(rc, 1);
        assert_packet(&p, i);
        if (i == 5) {
            assert_int_equal(azf_capfile_warning(f, err), 1);
            assert_contains(err, "skipped");
        }
    }
    assert_int_equal(azf_capfile_next(f, &p, err), 0);
    assert_int_equal(azf_capfile_skipped(f), 1);
    azf_capfile_close(f);
}

static void test_lookahead_fifo(void **state)
{
    /* ~2.2 MB: the look-ahead of 1000 packets is far past the pipe's and
     * the reader's buffers, so it is held only because it was kept. */
    struct bb b = {0};
    lookahead_file(&b, 3000);
    pid_t writer;
    const char *path = fifo_of("ahead.fifo", &b, &writer);
    lookahead_then_all(path, 3000, 1000);
    int status;
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Everything looked ahead at, end of stream included. */
    lookahead_file(&b, 50);
    path = fifo_of("all.fifo", &b, &writer);
    lookahead_then_all(path, 50, 50);
    assert_int_equal(waitpid(writer, &status, 0), writer);
}

static void test_lookahead_file(void **state)
{
    /* A regular file is rewound by seeking: its buffer slid long ago. */
    struct bb b = {0};
    lookahead_file(&b, 3000);
    lookahead_then_all(write_bb("ahead.pcapng", &b), 3000, 1000);
}

static void test_rewind_unkept_fifo(void **state)
{
    /* Without the look-ahead a pipe's start is gone once the buffer slid:
     * the rewind says so and the reader stays failed, never wrong. */
    struct bb b = {0};
    lookahead_file(&b, 3000);
    pid_t writer;
    const char *path = fifo_of("unkept.fifo", &b, &writer);
    char err[AZF_ERRBUF_SIZE];
    struct azf_capfile *f = azf_capfile_open(path, err);
    assert_non_null(f);
    struct azf_cappkt p;
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(azf_capfile_next(f, &p, err), 1);
    assert_int_equal(azf_capfile_rewind(f, err), -1);
    assert_contains(err, "unkept.fifo:0: seek: Illegal seek");
    char again[AZF_ERRBUF_SIZE];
    assert_int_equal(azf_capfile_next(f, &p, again), -1);
    assert_string_equal(again, err);
    azf_capfile_close(f); /* the writer sees the pipe closed */
    int status;
    assert_int_equal(waitpid(writer, &status, 0), writer);
}

static void test_sniff(void **state)
{
    static const uint8_t pcap_le[] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0};
    static const uint8_t pcap_be_ns[] = {0xa1, 0xb2, 0x3c, 0x4d, 0, 2};
    static const uint8_t ng[] = {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a};
    static const uint8_t ng_bad[] = {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1b};
    assert_int_equal(azf_capfile_sniff(pcap_le, sizeof(pcap_le)), AZF_CAP_PCAP);
    assert_int_equal(azf_capfile_sniff(pcap_be_ns, sizeof(pcap_be_ns)), AZF_CAP_PCAP);
    assert_int_equal(azf_capfile_sniff(pcap_le, 4), AZF_CAP_PCAP);
    assert_int_equal(azf_capfile_sniff(pcap_le, 3), AZF_CAP_UNKNOWN);
    assert_int_equal(azf_capfile_sniff(ng, sizeof(ng)), AZF_CAP_PCAPNG);
    assert_int_equal(azf_capfile_sniff(ng_bad, sizeof(ng_bad)), AZF_CAP_UNKNOWN);
    assert_int_equal(azf_capfile_sniff((const uint8_t *)"GMBU\x01\x02", 6), AZF_CAP_NETMON);
    assert_int_equal(azf_capfile_sniff((const uint8_t *)"GMBU\x00\x03", 6), AZF_CAP_UNKNOWN);
    assert_int_equal(azf_capfile_sniff((const uint8_t *)"RTSS\x01\x01", 6), AZF_CAP_UNKNOWN); /* NetMon 1.x */
    assert_int_equal(azf_capfile_sniff((const uint8_t *)"{\"records\":[", 12), AZF_CAP_UNKNOWN);
    assert_int_equal(azf_capfile_sniff(NULL, 0), AZF_CAP_UNKNOWN);
}

static void test_garbage(void **state)
{
    char err[AZF_ERRBUF_SIZE];
    const char *path = write_file("garbage.cap", "GARBAGE, not a capture", 22);
    assert_null(azf_capfile_open(path, err));
    assert_contains(err, "garbage.cap: not a pcap, pcapng or Network Monitor 2.x capture (magic 0x47415242)");
    assert_contains(err, dir);

    path = write_file("tiny.cap", "\xd4\xc3", 2);
    assert_null(azf_capfile_open(path, err));
    assert_contains(err, "tiny.cap: 2 bytes: too short");

    path = write_file("netmon1.cap", "RTSS\x01\x01\x01\x00", 8);
    assert_null(azf_capfile_open(path, err));
    assert_contains(err, "(magic 0x52545353)");

    assert_null(azf_capfile_open("/nonexistent/x.pcap", err));
    assert_string_equal(err, "/nonexistent/x.pcap: No such file or directory");

    assert_null(azf_capfile_open(dir, err)); /* a folder */
    assert_contains(err, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_us_le),
        cmocka_unit_test(test_pcap_us_be),
        cmocka_unit_test(test_pcap_ns),
        cmocka_unit_test(test_pcap_truncated_file),
        cmocka_unit_test(test_pcap_bad_lengths),
        cmocka_unit_test(test_pcap_buffering),
        cmocka_unit_test(test_pcapng_interfaces),
        cmocka_unit_test(test_pcapng_sections),
        cmocka_unit_test(test_pcapng_spb_opb_and_skips),
        cmocka_unit_test(test_pcapng_bad_blocks),
        cmocka_unit_test(test_versions_and_times),
        cmocka_unit_test(test_netmon_20),
        cmocka_unit_test(test_netmon_media),
        cmocka_unit_test(test_netmon_23),
        cmocka_unit_test(test_netmon_bad),
        cmocka_unit_test(test_lookahead_fifo),
        cmocka_unit_test(test_lookahead_file),
        cmocka_unit_test(test_rewind_unkept_fifo),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
