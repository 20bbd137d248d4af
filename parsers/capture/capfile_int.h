/* capfile_int: what the capture-file readers share — the buffered reader, the
 * per-format table of functions, byte-order and error helpers.  Private to
 * parsers/; the public API is capture.h. */
#ifndef AZF_CAPFILE_INT_H
#define AZF_CAPFILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"

/* No record, block or table may be larger: a bigger length is a corrupt file,
 * and memory stays bounded by the largest packet under this cap. */
#define CAPFILE_MAX_RECORD ((size_t)256 << 20)

/* One capture format, like libpcap's sf-pcap.c / sf-pcapng.c. */
struct capfile_ops {
    enum azf_capfmt fmt;
    /* Reads the file header from offset 0; 0 or -1 (errbuf filled). */
    int (*open)(struct azf_capfile *f, char *errbuf);
    /* As azf_capfile_next. */
    int (*next)(struct azf_capfile *f, struct azf_cappkt *pkt, char *errbuf);
    void (*close)(struct azf_capfile *f);
};

extern const struct capfile_ops azf_capfile_pcap_ops;
extern const struct capfile_ops azf_capfile_pcapng_ops;
extern const struct capfile_ops azf_capfile_netmon_ops;

#define CAPFILE_WARN_KINDS 5 /* the CAPFILE_WARN_* bits below */

struct azf_capfile {
    const struct capfile_ops *ops;
    char *path;
    int fd;
    uint64_t size;      /* at open, for sanity checks of absolute offsets */

    /* Buffered reader: buf[pos, end) holds the file from offset base + pos. */
    uint8_t *buf;
    size_t cap, pos, end;
    uint64_t base;
    int eof;
    int keep;           /* look-ahead on a pipe: nothing slides out of buf, so
                         * offset 0 stays in it for azf_capfile_rewind */

    uint64_t skipped, truncated, bad_times;
    unsigned warned;    /* CAPFILE_WARN_* kinds already reported */
    /* Warnings not yet handed out, oldest first: each kind is said once per
     * file, so there can never be more than CAPFILE_WARN_KINDS. */
    unsigned warn_first, warn_count;
    char warnings[CAPFILE_WARN_KINDS][AZF_ERRBUF_SIZE];
    int failed;         /* after a -1 every later call repeats it */
    char failure[AZF_ERRBUF_SIZE];
    void *priv;         /* the format's state */
};

/* --- reader (capfile.c) ------------------------------------------------------
 * capfile_need makes n bytes at the read position contiguous and points *p at
 * them; it returns how many there are (< n only at end of file), or -1 on a
 * read error or an n over CAPFILE_MAX_RECORD (errbuf filled).  The bytes stay
 * valid until the next capfile_need, capfile_skip or capfile_seek. */
long capfile_need(struct azf_capfile *f, size_t n, const uint8_t **p, char *errbuf);
void capfile_consume(struct azf_capfile *f, size_t n);
uint64_t capfile_tell(const struct azf_capfile *f);
/* Skips n bytes by reading them; returns how many were there, or -1. */
long long capfile_skip(struct azf_capfile *f, uint64_t n, char *errbuf);
int capfile_seek(struct azf_capfile *f, uint64_t off, char *errbuf);

/* "path:offset: reason" into errbuf, remembered for later calls; returns -1. */
int capfile_fail(struct azf_capfile *f, char *errbuf, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Kinds of azf_capfile_warning, each reported once per file. */
#define CAPFILE_WARN_TIME 0x1u     /* a time fraction of a second or more */
#define CAPFILE_WARN_VERSION 0x2u  /* a pcapng section of an unknown minor version */
#define CAPFILE_WARN_SNAPLEN 0x4u  /* a pcap record over the file's snaplen, cut to it */
#define CAPFILE_WARN_PACKET 0x8u   /* a framed packet record that cannot be read: skipped */
#define CAPFILE_WARN_IFACE 0x10u   /* a pcapng interface whose options cannot be read */

/* "path:offset: reason" as the pending warning, the first time `kind` occurs. */
void capfile_warn(struct azf_capfile *f, unsigned kind, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A packet record that is framed (the records after it can be found) but
 * cannot be read: counted in `skipped`, said once per file as
 * "path:offset: reason: skipped (...)".  Returns 0. */
int capfile_skip_item(struct azf_capfile *f, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- byte order -------------------------------------------------------------- */
static inline uint16_t cap_u16(const uint8_t *p, int be)
{
    return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t cap_u32(const uint8_t *p, int be)
{
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t cap_u64(const uint8_t *p, int be)
{
    uint64_t a = cap_u32(p, be), b = cap_u32(p + 4, be);
    return be ? a << 32 | b : b << 32 | a;
}

/* Seconds and nanoseconds to the public µs + ns remainder, computed unsigned
 * so an absurd file value wraps instead of overflowing. */
static inline void cap_set_time(struct azf_cappkt *pkt, uint64_t secs, uint64_t ns)
{
    pkt->ts_us = (int64_t)(secs * 1000000u + ns / 1000u);
    pkt->ts_ns_rem = (uint32_t)(ns % 1000u);
}

#endif /* AZF_CAPFILE_INT_H */
