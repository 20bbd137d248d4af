/* Follower internals shared by follow.c and bookmarks.c: one bookmark per
 * blob and the text file that keeps them across restarts.  Private to parsers/. */
#ifndef AZF_FOLLOW_INT_H
#define AZF_FOLLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "flowlog.h"

/* How much of a blob's start is hashed to notice that it was replaced by
 * other content: enough to cover the head and the first record, which
 * carries the hour's first time stamp. */
#define AZF_PREFIX_MAX 4096u

#define AZF_FNV_INIT 0xcbf29ce484222325ull

/* Where reading one blob stands.  Only offset/hash/skip decide what is
 * emitted; size/dev/ino/mtime only say "unchanged since last time, no need
 * to open it". */
struct azf_bookmark {
    char *key;         /* absolute path: the blob's name in the bookmark file */
    uint64_t offset;   /* just after the last complete record read */
    uint64_t size;     /* bytes of the file accounted for when last read */
    uint64_t dev, ino;
    int64_t mtime_ns;  /* -1: bytes were left unread (stop, NUL, error): look again */
    uint64_t hash;     /* FNV-1a 64 of the first min(offset, AZF_PREFIX_MAX) bytes */
    uint64_t skip;     /* tuples at offsets <= skip were emitted already (the
                          caller stopped inside the record at `offset`); 0: none */
    /* In memory only. */
    unsigned waiting : 1; /* a "waiting" notice was given; do not repeat it */
    unsigned failing : 1; /* an open/read error was reported; do not repeat it */
    unsigned recheck : 1; /* re-examine next poll even if size/mtime look the same */
};

struct azf_bookmarks {
    struct azf_bookmark *v; /* sorted by key */
    size_t n, cap;
};

uint64_t azf_fnv1a64(uint64_t h, const void *p, size_t n);

/* Appends a zeroed bookmark owning a copy of `key`; NULL when out of memory. */
struct azf_bookmark *azf_bookmarks_add(struct azf_bookmarks *bs, const char *key);
void azf_bookmarks_clear(struct azf_bookmarks *bs);

/* Reads `file` into bs (sorted).  A missing file is an empty set.  Only
 * entries whose key starts with `prefix` are kept (NULL: all).  On a bad
 * line returns <0 with errbuf "file:line: reason". */
int azf_bookmarks_load(const char *file, const char *prefix, struct azf_bookmarks *bs,
                       char errbuf[AZF_ERRBUF_SIZE]);

/* Atomically replaces `file` with bs plus the entries of the current file
 * whose key does not start with `prefix` (other followers' blobs). */
int azf_bookmarks_save(const char *file, const char *prefix, const struct azf_bookmarks *bs,
                       char errbuf[AZF_ERRBUF_SIZE]);

#endif /* AZF_FOLLOW_INT_H */
