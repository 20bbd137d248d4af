/* azflow corpus: a Microsoft Network Monitor 2.3 capture writer (the format
 * Windows Network Watcher agents may leave as .cap), Ethernet frames only. */
#ifndef AZF_CORPUS_NETMON_H
#define AZF_CORPUS_NETMON_H

#include <stdint.h>

#include "corpus.h"

struct cnm_file;

/* Starts a NetMon 2.3 file (written by cnm_close) whose header says the
 * capture started at `start_us` (kept to the millisecond, as UTC: the
 * header holds the capturing host's local time, and Azure VMs run in UTC).
 * NULL on error, errbuf set. */
struct cnm_file *cnm_open(const char *path, int64_t start_us, char errbuf[CORPUS_ERRBUF_SIZE]);
/* One Ethernet frame on `ctx` (a struct cnm_file); the shape of a
 * cpkt_sink_fn.  Frames may not precede the start time nor go backwards. */
int cnm_sink(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen, uint32_t len,
             char errbuf[CORPUS_ERRBUF_SIZE]);
/* Appends the frame table, fills in the header, writes the file, frees `f`;
 * 0, or -1 with errbuf naming the path. */
int cnm_close(struct cnm_file *f, char errbuf[CORPUS_ERRBUF_SIZE]);

#endif /* AZF_CORPUS_NETMON_H */
