/* azflow corpus: Network Monitor 2.x files as NetMon 3.x's help documents
 * them (and Wireshark's wiretap/netmon.c reads them): "GMBU", a header
 * padded to 128 bytes, frames (header, data, 2.3 trailer), the frame table
 * at the end.  Kept in memory, written at close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_netmon.h"

#define HEADER_SIZE 128
#define FRAME_HDR 16     /* ts_delta µs (8), orig_len (4), incl_len (4) */
#define TRAILER_2_3 15   /* network (2), process index (4), UTC FILETIME (8), tz index (1) */
#define MEDIA_ETHERNET 1
#define FRAME_MAX 65535
/* 100 ns ticks from 1601-01-01 to 1970-01-01. */
#define FILETIME_UNIX_EPOCH UINT64_C(116444736000000000)

struct cnm_file {
    char *path;
    int64_t start_us;     /* whole milliseconds */
    FILE *frames;         /* frame records, from file offset HEADER_SIZE */
    char *fbuf;
    size_t flen;
    uint32_t *table;      /* frame offsets */
    size_t nframes, cap;
    int64_t last_us;
};

struct cnm_file *cnm_open(const char *path, int64_t start_us, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cnm_file *f = calloc(1, sizeof(*f));

    if (f == NULL || start_us < 0 || (f->path = strdup(path)) == NULL ||
        (f->frames = open_memstream(&f->fbuf, &f->flen)) == NULL) {
        corpus_err(errbuf, "%s: out of memory", path);
        if (f != NULL)
            free(f->path);
        free(f);
        return NULL;
    }
    f->start_us = start_us - start_us % 1000;
    f->last_us = f->start_us;
    return f;
}

int cnm_sink(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen, uint32_t len,
             char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cnm_file *f = ctx;
    uint8_t hdr[FRAME_HDR], trl[TRAILER_2_3];
    long pos = ftell(f->frames);

    if (ts_us < f->last_us) {
        corpus_err(errbuf, "%s: frame %zu: time goes backwards", f->path, f->nframes + 1);
        return -1;
    }
    if (caplen > FRAME_MAX || pos < 0 || (uint64_t)pos + HEADER_SIZE > UINT32_MAX) {
        corpus_err(errbuf, "%s: frame %zu: does not fit", f->path, f->nframes + 1);
        return -1;
    }
    if (f->nframes == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        uint32_t *t = realloc(f->table, cap * sizeof(*t));
        if (t == NULL) {
            corpus_err(errbuf, "%s: out of memory", f->path);
            return -1;
        }
        f->table = t;
        f->cap = cap;
    }
    f->table[f->nframes++] = (uint32_t)(HEADER_SIZE + pos);
    corpus_le64(hdr, (uint64_t)(ts_us - f->start_us));
    corpus_le32(hdr + 8, len);
    corpus_le32(hdr + 12, caplen);
    corpus_le16(trl, MEDIA_ETHERNET);
    corpus_le32(trl + 2, 0);
    corpus_le64(trl + 6, FILETIME_UNIX_EPOCH + (uint64_t)ts_us * 10);
    trl[14] = 0;
    if (fwrite(hdr, 1, sizeof(hdr), f->frames) != sizeof(hdr) ||
        fwrite(frame, 1, caplen, f->frames) != caplen ||
        fwrite(trl, 1, sizeof(trl), f->frames) != sizeof(trl)) {
        corpus_err(errbuf, "%s: out of memory", f->path);
        return -1;
    }
    f->last_us = ts_us;
    return 0;
}

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The 64-byte header (magic included) for a file of `nframes` frames whose
 * frame table starts at `table_off`; the rest of the 128 bytes stay zero. */
static void header(const struct cnm_file *f, uint32_t table_off, uint8_t h[HEADER_SIZE])
{
    int64_t secs = f->start_us / 1000000, days = secs / 86400, tod = secs % 86400;
    int y, mo, d;

    civil_from_days(days, &y, &mo, &d);
    memset(h, 0, HEADER_SIZE);
    memcpy(h, "GMBU", 4);
    h[4] = 3;                                    /* version 2.3: per-frame UTC times */
    h[5] = 2;
    corpus_le16(h + 6, MEDIA_ETHERNET);
    corpus_le16(h + 8, (uint32_t)y);             /* SYSTEMTIME of the start */
    corpus_le16(h + 10, (uint32_t)mo);
    corpus_le16(h + 12, (uint32_t)((days + 4) % 7)); /* 1970-01-01 was a Thursday */
    corpus_le16(h + 14, (uint32_t)d);
    corpus_le16(h + 16, (uint32_t)(tod / 3600));
    corpus_le16(h + 18, (uint32_t)(tod / 60 % 60));
    corpus_le16(h + 20, (uint32_t)(tod % 60));
    corpus_le16(h + 22, (uint32_t)(f->start_us / 1000 % 1000));
    corpus_le32(h + 24, table_off);
    corpus_le32(h + 28, (uint32_t)(f->nframes * 4));
    /* user data, comments, process info, network info: none (offsets 32..63) */
}

int cnm_close(struct cnm_file *f, char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t *out = NULL;
    size_t n;
    int rc = -1;

    if (f == NULL)
        return 0;
    if (fclose(f->frames) != 0 || f->fbuf == NULL) {
        corpus_err(errbuf, "%s: %s", f->path, strerror(errno));
        goto out;
    }
    n = HEADER_SIZE + f->flen + f->nframes * 4;
    if (f->nframes == 0 || n > UINT32_MAX || (out = malloc(n)) == NULL) {
        corpus_err(errbuf, "%s: %s", f->path, f->nframes == 0 ? "no frames" : "too large");
        goto out;
    }
    header(f, (uint32_t)(HEADER_SIZE + f->flen), out);
    memcpy(out + HEADER_SIZE, f->fbuf, f->flen);
    for (size_t i = 0; i < f->nframes; i++)
        corpus_le32(out + HEADER_SIZE + f->flen + 4 * i, f->table[i]);
    rc = corpus_write_file(f->path, out, n, errbuf);
out:
    free(out);
    free(f->fbuf);
    free(f->table);
    free(f->path);
    free(f);
    return rc;
}
