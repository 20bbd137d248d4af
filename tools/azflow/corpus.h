/* azflow corpus: shared pieces of the synthetic test-corpus generator
 * (packet builder, flow-log writer, scenario table in corpus.c). */
#ifndef AZF_CORPUS_H
#define AZF_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CORPUS_ERRBUF_SIZE 1024

/* Fills errbuf like snprintf (a message naming the path that failed). */
__attribute__((format(printf, 2, 3)))
void corpus_err(char errbuf[CORPUS_ERRBUF_SIZE], const char *fmt, ...);

/* Creates every missing directory above `path` (not `path` itself).
 * Returns 0, or -1 with errbuf naming the directory that failed. */
int corpus_mkdir_parents(const char *path, char errbuf[CORPUS_ERRBUF_SIZE]);

/* Writes `len` bytes to `path` (replacing it), creating parent
 * directories.  Returns 0, or -1 with errbuf naming the path. */
int corpus_write_file(const char *path, const void *data, size_t len,
                      char errbuf[CORPUS_ERRBUF_SIZE]);

/* "DIR/REL" into out; -1 with errbuf set when it does not fit. */
int corpus_join_path(char *out, size_t len, const char *dir, const char *rel,
                     char errbuf[CORPUS_ERRBUF_SIZE]);

/* A file built in memory (a MANIFEST, a hand-written capture) and written
 * whole, so a failed scenario leaves no half-written file: open gives the
 * stream (NULL with errbuf naming `path`), close writes what it holds to
 * `path` and frees it (0, or -1 with errbuf set). */
FILE *corpus_memfile_open(char **text, size_t *len, const char *path,
                           char errbuf[CORPUS_ERRBUF_SIZE]);
int corpus_memfile_close(FILE *m, char **text, size_t *len, const char *path,
                          char errbuf[CORPUS_ERRBUF_SIZE]);

/* "2026-11-28T04:00:10.000000Z"-style UTC text for microseconds since the
 * epoch, with `frac` fractional digits (0..7; the 7th is always 0). */
const char *corpus_time_str(int64_t us, int frac, char *buf, size_t len);

/* Big-endian stores (packet headers). */
static inline void corpus_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void corpus_be32(uint8_t *p, uint32_t v)
{
    corpus_be16(p, v >> 16);
    corpus_be16(p + 2, v);
}

/* Little-endian stores for the capture-file writers (pcapng, NetMon). */
static inline void corpus_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void corpus_le32(uint8_t *p, uint32_t v)
{
    corpus_le16(p, v);
    corpus_le16(p + 2, v >> 16);
}

static inline void corpus_le64(uint8_t *p, uint64_t v)
{
    corpus_le32(p, (uint32_t)v);
    corpus_le32(p + 4, (uint32_t)(v >> 32));
}

#endif /* AZF_CORPUS_H */
