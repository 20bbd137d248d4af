/* azflow corpus: pcapng blocks by hand (the format's spec, draft-ietf-opsawg-
 * pcapng), kept in memory and written at close: deterministic, little-endian. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_pcapng.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define IFACES_MAX 8
#define BLOCK_MAX 4096

struct cpng_iface {
    struct cpng_file *file;
    uint32_t id;
    uint64_t units_per_us; /* 1 (µs) or 1000 (ns) */
};

struct cpng_file {
    char *path;
    FILE *m;
    char *buf;
    size_t len;
    struct cpng_iface ifaces[IFACES_MAX];
    uint32_t nifaces;
    int64_t last_us;
};

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* An option (code, value) at b[*off], padded to 4 bytes. */
static void put_opt(uint8_t *b, size_t *off, uint16_t code, const void *val, uint16_t len)
{
    corpus_le16(b + *off, code);
    corpus_le16(b + *off + 2, len);
    memset(b + *off + 4, 0, pad4(len));
    memcpy(b + *off + 4, val, len);
    *off += 4 + pad4(len);
}

/* Finishes a block begun at b (type at 0, body up to `off`): end-of-options
 * when it has options, both length fields, then appends it to the file. */
static int put_block(struct cpng_file *f, uint8_t *b, size_t off, int has_opts,
                     char errbuf[CORPUS_ERRBUF_SIZE])
{
    if (has_opts) {
        corpus_le32(b + off, OPT_ENDOFOPT); /* code 0, length 0 */
        off += 4;
    }
    corpus_le32(b + 4, (uint32_t)(off + 4));
    corpus_le32(b + off, (uint32_t)(off + 4));
    off += 4;
    if (fwrite(b, 1, off, f->m) != off) {
        corpus_err(errbuf, "%s: out of memory", f->path);
        return -1;
    }
    return 0;
}

struct cpng_file *cpng_open(const char *path, const char *appl, char errbuf[CORPUS_ERRBUF_SIZE])
{
    return cpng_open_version(path, appl, 0, errbuf);
}

struct cpng_file *cpng_open_version(const char *path, const char *appl, uint16_t minor,
                                    char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpng_file *f = calloc(1, sizeof(*f));
    uint8_t b[BLOCK_MAX];
    size_t off = 8;

    if (f == NULL || (f->path = strdup(path)) == NULL ||
        (f->m = open_memstream(&f->buf, &f->len)) == NULL) {
        corpus_err(errbuf, "%s: out of memory", path);
        if (f != NULL)
            free(f->path);
        free(f);
        return NULL;
    }
    f->last_us = INT64_MIN;
    corpus_le32(b, BT_SHB);
    corpus_le32(b + off, BYTE_ORDER_MAGIC);
    corpus_le16(b + off + 4, 1); /* version 1.minor */
    corpus_le16(b + off + 6, minor);
    corpus_le64(b + off + 8, UINT64_MAX); /* section length: not given */
    off += 16;
    put_opt(b, &off, OPT_SHB_USERAPPL, appl, (uint16_t)strlen(appl));
    if (put_block(f, b, off, 1, errbuf) < 0) {
        fclose(f->m);
        free(f->buf);
        free(f->path);
        free(f);
        return NULL;
    }
    return f;
}

struct cpng_iface *cpng_add_interface(struct cpng_file *f, uint16_t linktype, uint32_t snaplen,
                                      const char *name, uint8_t tsresol,
                                      char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t b[BLOCK_MAX];
    size_t off = 8;
    struct cpng_iface *ifc;

    if (f->nifaces == IFACES_MAX || (tsresol != 6 && tsresol != 9) || strlen(name) > 256) {
        corpus_err(errbuf, "%s: interface %u: unsupported", f->path, f->nifaces);
        return NULL;
    }
    corpus_le32(b, BT_IDB);
    corpus_le16(b + off, linktype);
    corpus_le16(b + off + 2, 0);
    corpus_le32(b + off + 4, snaplen);
    off += 8;
    put_opt(b, &off, OPT_IF_NAME, name, (uint16_t)strlen(name));
    put_opt(b, &off, OPT_IF_TSRESOL, &tsresol, 1);
    if (put_block(f, b, off, 1, errbuf) < 0)
        return NULL;
    ifc = &f->ifaces[f->nifaces];
    ifc->file = f;
    ifc->id = f->nifaces++;
    ifc->units_per_us = tsresol == 9 ? 1000 : 1;
    return ifc;
}

int cpng_sink(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen, uint32_t len,
              char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpng_iface *ifc = ctx;
    struct cpng_file *f = ifc->file;
    uint8_t b[BLOCK_MAX];
    size_t off = 8;
    uint64_t ts;

    if (ts_us < f->last_us || ts_us < 0) {
        corpus_err(errbuf, "%s: interface %u: time goes backwards", f->path, ifc->id);
        return -1;
    }
    if (caplen > BLOCK_MAX - 64) {
        corpus_err(errbuf, "%s: interface %u: frame too long (%u)", f->path, ifc->id, caplen);
        return -1;
    }
    ts = (uint64_t)ts_us * ifc->units_per_us;
    corpus_le32(b, BT_EPB);
    corpus_le32(b + off, ifc->id);
    corpus_le32(b + off + 4, (uint32_t)(ts >> 32));
    corpus_le32(b + off + 8, (uint32_t)ts);
    corpus_le32(b + off + 12, caplen);
    corpus_le32(b + off + 16, len);
    off += 20;
    memset(b + off, 0, pad4(caplen));
    memcpy(b + off, frame, caplen);
    off += pad4(caplen);
    f->last_us = ts_us;
    return put_block(f, b, off, 0, errbuf);
}

int cpng_close(struct cpng_file *f, char errbuf[CORPUS_ERRBUF_SIZE])
{
    int rc = 0;

    if (f == NULL)
        return 0;
    if (fclose(f->m) != 0 || f->buf == NULL) {
        corpus_err(errbuf, "%s: %s", f->path, strerror(errno));
        rc = -1;
    } else {
        rc = corpus_write_file(f->path, f->buf, f->len, errbuf);
    }
    free(f->buf);
    free(f->path);
    free(f);
    return rc;
}
