/* azflow plugin: the facts digest's side that the index feeds (index.c).
 * Its readers' side, AzIndexDigest and friends, is in index.h. */
#ifndef AZFLOW_DIGEST_H
#define AZFLOW_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of slots for an index of `nbuckets` buckets (a power of two). */
size_t AzDigestSize(size_t nbuckets);

/* Hands the digest its zeroed slots (AzDigestSize bytes, HugeAlloc'd by
 * the index), and takes them back for the index to free (NULL if none);
 * either way decisions taken before are void (the epoch moves). */
void AzDigestAttach(void *slots, size_t nbuckets);
void *AzDigestDetach(void);

/* Folds a new record of a key that hashes to `hash` into the key's slot:
 * its fact class, its state, and its counters (pkts ts, tc, bytes ts, tc;
 * NULL: the record has none).  Called with the key's bucket's stripe
 * write-locked: one slot per bucket. */
void AzDigestAdd(uint32_t hash, uint32_t cls, uint8_t state, const uint64_t *counters);

#endif
