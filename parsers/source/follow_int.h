/* Follower internals shared by follow.c, bookmarks.c and the byte sources
 * (source_file.c: local files; blob_source.c: Azure Storage): one bookmark
 * per blob, the text file that keeps them across restarts, and the small
 * table through which the one follower reads from either.  Private to parsers/. */
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
    char *key;         /* the blob's name in the bookmark file: an absolute path,
                          or a blob's URL without its query */
    uint64_t offset;   /* just after the last complete record read */
    uint64_t size;     /* bytes of the file accounted for when last read */
    uint64_t dev, ino; /* a file's; a storage blob: creation time (s), 0 */
    int64_t mtime_ns;  /* a file's; a storage blob: hash of its ETag.
                          -1: bytes were left unread (stop, NUL, error): look again */
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

/* --- where the follower's bytes come from ----------------------------------
 * One blob as a source lists it: the bookmark key, the name the caller is
 * shown, and the state that, unchanged since the bookmark, means "nothing
 * new, do not even open it" (a file: size, dev, inode, mtime; a storage
 * blob: committed size, creation time, ETag). */
struct azf_entry {
    char *key;
    char *path;
    uint64_t size, dev, ino;
    int64_t mtime_ns;
    char *etag;  /* a storage blob's ETag as listed (reads are If-Match it); NULL for a file */
};

struct azf_source_ops {
    /* Every blob now, sorted by key (strcmp).  <0 with errbuf: the source
     * cannot be listed now; the follower then touches no bookmark. */
    int (*list)(void *src, struct azf_entry **v, size_t *n, char errbuf[AZF_ERRBUF_SIZE]);
    /* Opens a listed blob; may refresh e's size and state from what was
     * opened.  0 with *h; 1: gone since the listing (silently); -1: error,
     * reason in why[AZF_ERRBUF_SIZE]. */
    int (*open)(void *src, struct azf_entry *e, void **h, char *why);
    /* Up to len bytes at off; the caller goes on reading sequentially up
     * to `upto` (a read-ahead hint).  Returns the count, 0 at the end, -1
     * with why (why "": changed or gone since the listing, read it again
     * next poll without a word). */
    long (*read)(void *h, void *buf, size_t len, uint64_t off, uint64_t upto, char *why);
    void (*close)(void *h);
    /* May be NULL (then the start is always compared).  1: e is certainly
     * the blob bookmarked at b (a storage blob: same creation time, not
     * shorter), so its start need not be read again to be compared. */
    int (*same_blob)(const struct azf_entry *e, const struct azf_bookmark *b);
    /* A bookmarked blob missing from the listing: gone (1, said and
     * forgotten), or outside what this source lists now (0, an hour no
     * longer written: forgotten silently; 2, one a restart would list
     * again: its bookmark kept as it is). */
    int (*covers)(void *src, const char *key);
    /* May be NULL.  Before it reads them, the follower names the blobs it
     * will read this poll, in that order, each from its bookmark: a source
     * may fetch them ahead, several at once (storage).  n == 0: the poll's
     * reads are over; drop what is left. */
    void (*plan)(void *src, const struct azf_entry *const *e, const uint64_t *from, size_t n);
    void (*free)(void *src);
    /* May be NULL.  1 once the caller cancelled (azf_follower_cancel):
     * failures from then on are the cancel's, not the blobs'. */
    int (*cancelled)(void *src);
    /* 1: what is listed is committed, whole records but for the tail
     * (storage); a record still open at its end was cut by its writer. */
    int committed;
};

void azf_entries_free(struct azf_entry *v, size_t n);

/* Follows `src` through `ops` (owned: freed with the follower).  root: what
 * the caller named (printed); prefix: the start of every key of this source
 * (its bookmarks in a shared file). */
struct azf_follower *azf_follower_new_source(const struct azf_source_ops *ops, void *src,
                                             const char *root, const char *prefix,
                                             const char *bookmarks_path,
                                             const struct azf_follow_cbs *cbs,
                                             char errbuf[AZF_ERRBUF_SIZE]);

/* The source a follower reads, its ops, and the bookmarks it loaded. */
void *azf_follower_src(const struct azf_follower *f);
const struct azf_source_ops *azf_follower_ops(const struct azf_follower *f);
const struct azf_bookmarks *azf_follower_bms(const struct azf_follower *f);

/* The local-file source (source_file.c). */
extern const struct azf_source_ops azf_file_source_ops;
/* root: a file or folder; NULL with errbuf.  *prefix: the key prefix (caller frees). */
void *azf_file_source_new(const char *root, char **prefix, char errbuf[AZF_ERRBUF_SIZE]);

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
