/* azflow corpus: a minimal pcapng writer (SHB, IDBs with if_tsresol, EPBs)
 * for captures whose interfaces have different link types, which libpcap
 * cannot write. */
#ifndef AZF_CORPUS_PCAPNG_H
#define AZF_CORPUS_PCAPNG_H

#include <stdint.h>

#include "corpus.h"

struct cpng_file;
struct cpng_iface;

/* Starts a little-endian pcapng file (written by cpng_close) with one
 * section whose shb_userappl is `appl`.  NULL on error, errbuf set. */
struct cpng_file *cpng_open(const char *path, const char *appl, char errbuf[CORPUS_ERRBUF_SIZE]);
/* The same with section version 1.minor (1.0 is the only one defined). */
struct cpng_file *cpng_open_version(const char *path, const char *appl, uint16_t minor,
                                    char errbuf[CORPUS_ERRBUF_SIZE]);
/* Declares the next interface (ids count from 0): LINKTYPE_*, snap length,
 * if_name, and if_tsresol as a power of ten (6: µs, 9: ns). */
struct cpng_iface *cpng_add_interface(struct cpng_file *f, uint16_t linktype, uint32_t snaplen,
                                      const char *name, uint8_t tsresol,
                                      char errbuf[CORPUS_ERRBUF_SIZE]);
/* One enhanced packet block on `ctx` (a struct cpng_iface); the shape of a
 * cpkt_sink_fn.  Time may not go backwards across the file. */
int cpng_sink(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen, uint32_t len,
              char errbuf[CORPUS_ERRBUF_SIZE]);
/* Writes the file and frees `f`; 0, or -1 with errbuf naming the path. */
int cpng_close(struct cpng_file *f, char errbuf[CORPUS_ERRBUF_SIZE]);

#endif /* AZF_CORPUS_PCAPNG_H */
