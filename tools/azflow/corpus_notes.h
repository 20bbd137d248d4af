/* azflow corpus: packet notes, what a capture file received, for its
 * MANIFEST's `pkt` lines (corpus_notes.c).  A struct noter observes a packet
 * writer and notes each frame under the label the scenario sets. */
#ifndef AZF_CORPUS_NOTES_H
#define AZF_CORPUS_NOTES_H

#include <stdint.h>
#include <stdio.h>

#include "corpus.h"

#define NOTES_MAX 256

struct pkt_note {
    int64_t ts_us;
    uint32_t iface, len, caplen;
    char what[64];   /* "outer esp spi=0xc0ffee01 seq=1", "inner smb", ... */
    char tuple[80];  /* "udp 203.0.113.10:500 -> 20.1.1.4:500" */
};

struct pkt_log {
    struct pkt_note v[NOTES_MAX];
    size_t n;
};

/* A writer observer that notes each frame under the current label. */
struct noter {
    struct pkt_log *log;
    uint32_t iface;
    int ethernet;      /* frames start with an Ethernet header */
    char what[64];
};

/* The writer observer (struct cpkt_writer's): ctx is a struct noter.
 * -1 with errbuf set when the log is full. */
int corpus_note_frame(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen,
                      uint32_t len, char errbuf[CORPUS_ERRBUF_SIZE]);

/* One `pkt FILE#N ...` line per note. */
void corpus_manifest_notes(FILE *m, const char *file, const struct pkt_log *log);

/* How many notes on interface `iface`, and how many of them truncated. */
uint64_t corpus_notes_on(const struct pkt_log *log, uint32_t iface);
uint64_t corpus_notes_truncated(const struct pkt_log *log, uint32_t iface);

#endif /* AZF_CORPUS_NOTES_H */
