/* capfile: opens a capture file, sniffs its format and hands every call to
 * that format's reader (capfile_pcap.c, capfile_pcapng.c, capfile_netmon.c);
 * also the buffered reader they share, bounded by the largest record. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capfile_int.h"

/* Big enough that read() cost vanishes; grown only for a larger record. */
#define CHUNK ((size_t)64 * 1024)

/* --- sniffing ------------------------------------------------------------------ */

enum azf_capfmt azf_capfile_sniff(const uint8_t *buf, size_t len)
{
    if (!buf || len < 4)
        return AZF_CAP_UNKNOWN;
    uint32_t be = cap_u32(buf, 1);
    switch (be) {
    case 0xa1b2c3d4: case 0xd4c3b2a1: /* µs */
    case 0xa1b23c4d: case 0x4d3cb2a1: /* ns */
        /* Every libpcap writer says version 2.x; check it when we can. */
        if (len >= 6 && cap_u16(buf + 4, be == 0xa1b2c3d4 || be == 0xa1b23c4d) != 2)
            return AZF_CAP_UNKNOWN;
        return AZF_CAP_PCAP;
    case 0x0a0d0d0a:
        if (len >= 12) {
            uint32_t bom = cap_u32(buf + 8, 1);
            if (bom != 0x1a2b3c4d && bom != 0x4d3c2b1a)
                return AZF_CAP_UNKNOWN;
        }
        return AZF_CAP_PCAPNG;
    case 0x474d4255: /* "GMBU" */
        if (len >= 6 && buf[5] != 2)
            return AZF_CAP_UNKNOWN;
        return AZF_CAP_NETMON;
    default:
        return AZF_CAP_UNKNOWN;
    }
}

/* --- errors -------------------------------------------------------------------- */

int capfile_fail(struct azf_capfile *f, char *errbuf, uint64_t off, const char *fmt, ...)
{
    int n = snprintf(f->failure, sizeof(f->failure), "%s:%llu: ", f->path, (unsigned long long)off);
    if (n >= 0 && (size_t)n < sizeof(f->failure)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->failure + n, sizeof(f->failure) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    f->failed = 1;
    if (errbuf)
        memcpy(errbuf, f->failure, AZF_ERRBUF_SIZE);
    return -1;
}

static void vwarn(struct azf_capfile *f, unsigned kind, uint64_t off, const char *tail, const char *fmt,
                  va_list ap)
{
    if (f->warned & kind)
        return;
    f->warned |= kind;
    char *w = f->warnings[(f->warn_first + f->warn_count++) % CAPFILE_WARN_KINDS];
    int n = snprintf(w, AZF_ERRBUF_SIZE, "%s:%llu: ", f->path, (unsigned long long)off);
    if (n >= 0 && (size_t)n < AZF_ERRBUF_SIZE)
        n += vsnprintf(w + n, AZF_ERRBUF_SIZE - (size_t)n, fmt, ap);
    if (n >= 0 && (size_t)n < AZF_ERRBUF_SIZE)
        snprintf(w + n, AZF_ERRBUF_SIZE - (size_t)n, "%s", tail);
}

void capfile_warn(struct azf_capfile *f, unsigned kind, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(f, kind, off, "", fmt, ap);
    va_end(ap);
}

int capfile_skip_item(struct azf_capfile *f, uint64_t off, const char *fmt, ...)
{
    f->skipped++;
    va_list ap;
    va_start(ap, fmt);
    vwarn(f, CAPFILE_WARN_PACKET, off, ": skipped (later ones in this file too, counted)", fmt, ap);
    va_end(ap);
    return 0;
}

/* --- reader -------------------------------------------------------------------- */

uint64_t capfile_tell(const struct azf_capfile *f)
{
    return f->base + f->pos;
}

long capfile_need(struct azf_capfile *f, size_t n, const uint8_t **p, char *errbuf)
{
    if (n > CAPFILE_MAX_RECORD + 64)
        return capfile_fail(f, errbuf, capfile_tell(f), "%zu-byte read is over the %zu MiB record cap", n,
                            CAPFILE_MAX_RECORD >> 20);
    if (f->end - f->pos < n && !f->eof) {
        if (f->pos > 0 && !f->keep) { /* slide what is left to the front */
            memmove(f->buf, f->buf + f->pos, f->end - f->pos);
            f->base += f->pos;
            f->end -= f->pos;
            f->pos = 0;
        }
        /* Kept bytes (look-ahead on a pipe) stay in front of the read position. */
        size_t want = f->pos + n;
        if (want > f->cap) {
            /* A corrupt length must not cost memory for bytes the file does
             * not hold: grow only to what is there (asked again, as the
             * file may have grown since it was opened). */
            size_t ncap = f->cap * 2 > want ? f->cap * 2 : want;
            struct stat st;
            if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= f->base &&
                (uint64_t)st.st_size - f->base < want)
                ncap = (size_t)((uint64_t)st.st_size - f->base);
            if (ncap > f->cap) {
                uint8_t *nb = realloc(f->buf, ncap);
                if (!nb)
                    return capfile_fail(f, errbuf, capfile_tell(f), "out of memory for a %zu-byte record", n);
                f->buf = nb;
                f->cap = ncap;
            }
        }
        while (f->end < want && f->end < f->cap) {
            ssize_t r = read(f->fd, f->buf + f->end, f->cap - f->end);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return capfile_fail(f, errbuf, f->base + f->end, "read: %s", strerror(errno));
            if (r == 0) {
                f->eof = 1;
                break;
            }
            f->end += (size_t)r;
        }
    }
    *p = f->buf + f->pos;
    size_t have = f->end - f->pos;
    return (long)(have < n ? have : n);
}

void capfile_consume(struct azf_capfile *f, size_t n)
{
    f->pos += n <= f->end - f->pos ? n : f->end - f->pos;
}

long long capfile_skip(struct azf_capfile *f, uint64_t n, char *errbuf)
{
    uint64_t done = 0;
    while (done < n) {
        const uint8_t *p;
        uint64_t want = n - done < CHUNK ? n - done : CHUNK;
        long got = capfile_need(f, (size_t)want, &p, errbuf);
        if (got < 0)
            return -1;
        capfile_consume(f, (size_t)got);
        done += (uint64_t)got;
        if ((uint64_t)got < want)
            break;
    }
    return (long long)done;
}

int capfile_seek(struct azf_capfile *f, uint64_t off, char *errbuf)
{
    if (off >= f->base && off <= f->base + f->end) {
        f->pos = (size_t)(off - f->base);
        return 0;
    }
    if (lseek(f->fd, (off_t)off, SEEK_SET) < 0)
        return capfile_fail(f, errbuf, off, "seek: %s", strerror(errno));
    f->base = off;
    f->pos = f->end = 0;
    f->eof = 0;
    return 0;
}

/* --- public API ----------------------------------------------------------------- */

static const struct capfile_ops *const formats[] = {
    &azf_capfile_pcap_ops,
    &azf_capfile_pcapng_ops,
    &azf_capfile_netmon_ops,
};

struct azf_capfile *azf_capfile_open(const char *path, char errbuf[AZF_ERRBUF_SIZE])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    struct azf_capfile *f = calloc(1, sizeof(*f));
    if (f)
        f->path = strdup(path);
    if (f && f->path)
        f->buf = malloc(CHUNK);
    if (!f || !f->path || !f->buf) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", path);
        if (f)
            free(f->path);
        free(f);
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->cap = CHUNK;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        f->size = (uint64_t)st.st_size;
    else
        f->size = UINT64_MAX; /* a pipe or device: no size to check against */

    const uint8_t *p;
    long got = capfile_need(f, 12, &p, errbuf); /* sniff what azf_capfile_sniff can check */
    if (got < 0)
        goto fail;
    if (got < 4) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %ld bytes: too short to be a pcap, pcapng or Network Monitor 2.x capture",
                 path, got);
        goto fail;
    }
    /* By magic alone: a pcap of another version or a NetMon 3.x file is
     * then refused by its own reader, which names the version. */
    enum azf_capfmt fmt = azf_capfile_sniff(p, 4);
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i]->fmt == fmt)
            f->ops = formats[i];
    if (!f->ops) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: not a pcap, pcapng or Network Monitor 2.x capture (magic 0x%08x)",
                 path, cap_u32(p, 1));
        goto fail;
    }
    if (f->ops->open(f, errbuf) != 0)
        goto fail;
    return f;

fail:
    azf_capfile_close(f); /* the format's close copes with a half-done open */
    return NULL;
}

int azf_capfile_next(struct azf_capfile *f, struct azf_cappkt *pkt, char errbuf[AZF_ERRBUF_SIZE])
{
    if (f->failed) {
        memcpy(errbuf, f->failure, AZF_ERRBUF_SIZE);
        return -1;
    }
    memset(pkt, 0, sizeof(*pkt));
    int rc = f->ops->next(f, pkt, errbuf);
    if (rc == 1 && pkt->caplen < pkt->len)
        f->truncated++;
    return rc;
}

/* Look-ahead keeps the bytes only where they cannot be read again: a
 * regular file is rewound by seeking, and costs no memory. */
int azf_capfile_lookahead(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE])
{
    if (f->size != UINT64_MAX)
        return 0;
    /* The pcap and pcapng headers are read without sliding the buffer, so
     * offset 0 is still held; only a reader that seeked (NetMon) may not. */
    if (f->base != 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: cannot look ahead: the start of the stream was already passed",
                 f->path);
        return -1;
    }
    f->keep = 1;
    return 0;
}

int azf_capfile_rewind(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE])
{
    f->keep = 0;
    if (f->ops->close)
        f->ops->close(f);
    f->skipped = f->truncated = f->bad_times = 0;
    f->warned = f->warn_first = f->warn_count = 0;
    f->failed = 0;
    /* Offset 0 is in the buffer (kept, or never slid out), else seek. */
    if (capfile_seek(f, 0, errbuf) != 0)
        return -1;
    return f->ops->open(f, errbuf);
}

enum azf_capfmt azf_capfile_format(const struct azf_capfile *f)
{
    return f->ops->fmt;
}

int azf_capfile_warning(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE])
{
    if (f->warn_count == 0)
        return 0;
    memcpy(errbuf, f->warnings[f->warn_first], AZF_ERRBUF_SIZE);
    f->warn_first = (f->warn_first + 1) % CAPFILE_WARN_KINDS;
    f->warn_count--;
    return 1;
}

uint64_t azf_capfile_bad_times(const struct azf_capfile *f)
{
    return f->bad_times;
}

uint64_t azf_capfile_skipped(const struct azf_capfile *f)
{
    return f->skipped;
}

uint64_t azf_capfile_truncated(const struct azf_capfile *f)
{
    return f->truncated;
}

void azf_capfile_close(struct azf_capfile *f)
{
    if (!f)
        return;
    if (f->ops && f->ops->close)
        f->ops->close(f);
    close(f->fd);
    free(f->buf);
    free(f->path);
    free(f);
}
