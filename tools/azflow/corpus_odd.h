/* azflow corpus: the `odd` scenario — capture files with the oddities
 * real-world hosts and tools write (corpus_odd.c). */
#ifndef AZF_CORPUS_ODD_H
#define AZF_CORPUS_ODD_H

#include "corpus.h"

/* Writes OUTDIR/odd/ (captures and MANIFEST).  0, or -1 with errbuf set. */
int corpus_build_odd(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE]);

#endif /* AZF_CORPUS_ODD_H */
