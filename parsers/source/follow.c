/* The follower: re-reads growing PT1H.json blobs from just after their last
 * complete record, so Azure's rewritten "]}" tail is never mistaken for data.
 * Where the bytes come from (local files, Azure Storage) is a source behind
 * struct azf_source_ops; framing, bookmarks and replay are the same for all. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowlog.h"
#include "../flowlog/decoder_int.h"
#include "follow_int.h"

/* One read; memory is this plus the decoder's one-record buffer, whatever
 * the blob size. */
#define CHUNK (256u * 1024u)

struct azf_follower {
    const struct azf_source_ops *ops;
    void *src;
    char *root;         /* as the caller named it */
    char *prefix;       /* every bookmark key of this source starts with it */
    char *bookmarks;    /* NULL: positions live in memory only */
    struct azf_follow_cbs cbs;
    int (*accept)(const char *path, void *u);
    void *accept_u;

    struct azf_bookmarks bms; /* this follower's blobs, sorted by key */
    struct azf_decoder *dec;
    unsigned char *buf;          /* CHUNK bytes */
    unsigned char head[AZF_PREFIX_MAX]; /* first bytes fed in this read, for the start hash */
    int dirty;                   /* bookmarks differ from the file */
    int empty_noticed;           /* the root listed no blob, and we said so */
    int stopped;                 /* the caller asked to end this poll */

    /* The blob being read. */
    struct azf_bookmark *cur;
    const char *cur_path;
    int announced;               /* on_blob was called for it in this poll */
    uint64_t last_emitted;       /* offset of the last tuple handed out from it */
    long tuples;                 /* emitted in this poll */
};

/* --- callbacks between the decoder and the caller ------------------------- */

static void announce(struct azf_follower *f)
{
    if (!f->announced && f->cbs.on_blob != NULL)
        f->cbs.on_blob(f->cur_path, f->cbs.user);
    f->announced = 1;
}

static int on_tuple(const struct azf_tuple *t, void *u)
{
    struct azf_follower *f = u;
    /* Re-decoding the record a caller stopped in: its first tuples were out already. */
    if (f->cur->skip != 0 && t->offset <= f->cur->skip)
        return 0;
    announce(f);
    if (t->offset > f->last_emitted)
        f->last_emitted = t->offset;
    f->tuples++;
    return f->cbs.on_tuple(t, f->cbs.user);
}

static void on_error(uint64_t offset, const char *reason, void *u)
{
    struct azf_follower *f = u;
    announce(f);
    if (f->cbs.on_error != NULL)
        f->cbs.on_error(offset, reason, f->cbs.user);
}

static void notice(struct azf_follower *f, const char *path, const char *what)
{
    if (f->cbs.on_notice != NULL)
        f->cbs.on_notice(path, what, f->cbs.user);
}

/* An open/read failure is reported once, not at every poll, until it clears. */
static int cancelled(const struct azf_follower *f)
{
    return f->ops->cancelled != NULL && f->ops->cancelled(f->src);
}

static void blob_error(struct azf_follower *f, struct azf_bookmark *b, const char *path,
                       uint64_t offset, const char *reason)
{
    b->recheck = 1;
    if (cancelled(f)) {
        /* A shutdown, not a fault of the blob: the poll ends here, and this
         * blob and the rest are marked to be read next time. */
        f->stopped = 1;
        return;
    }
    if (b->failing || reason[0] == '\0')
        return; /* "": changed since the listing; the next poll reads it */
    b->failing = 1;
    if (f->cur != b) {
        f->cur = b;
        f->cur_path = path;
        f->announced = 0;
    }
    on_error(offset, reason, f);
}

/* --- one blob -------------------------------------------------------------- */

static int read_full(struct azf_follower *f, void *h, void *buf, size_t len, uint64_t off, char *why)
{
    size_t got = 0;
    while (got < len) {
        long r = f->ops->read(h, (char *)buf + got, len - got, off + got, off + len, why);
        if (r <= 0) {
            if (r == 0)
                snprintf(why, AZF_ERRBUF_SIZE, "read: shorter than listed");
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

enum verdict { GO_ON, WAIT, RESTART, FAIL };

/* Is this still the blob the bookmark was taken from?  The bytes before the
 * bookmark never change while Azure appends, so a different start means
 * other content; a new inode with the same start (azcopy's temp file +
 * rename) is the same blob. */
static enum verdict check_start(struct azf_follower *f, const struct azf_bookmark *b, void *h,
                                uint64_t size, const char **why, char *failure)
{
    if (size == 0) {
        /* Says nothing about the content yet (a copy being made in place);
         * the first bytes that arrive decide. */
        *why = "blob is empty now; keeping its position until content arrives";
        return WAIT;
    }
    size_t hl = b->offset < AZF_PREFIX_MAX ? (size_t)b->offset : AZF_PREFIX_MAX;
    if (size < hl) {
        *why = "blob was truncated; reading it again from the start";
        return RESTART;
    }
    if (read_full(f, h, f->buf, hl, 0, failure) < 0)
        return FAIL;
    if (azf_fnv1a64(AZF_FNV_INIT, f->buf, hl) != b->hash) {
        /* JSON never holds a NUL byte: azcopy's in-place download allocates
         * the whole file first and fills it in any order. */
        if (memchr(f->buf, 0, hl) != NULL) {
            *why = "blob is being written (NUL bytes at its start); waiting";
            return WAIT;
        }
        *why = "blob was replaced (its start changed); reading it again from the start";
        return RESTART;
    }
    if (size < b->offset) {
        *why = "blob was truncated; reading it again from the start";
        return RESTART;
    }
    return GO_ON;
}

/* Feeds [b->offset, size) to the decoder and moves the bookmark to the
 * decoder's safe offset: a torn last record is read again next time. */
static void read_new_bytes(struct azf_follower *f, struct azf_bookmark *b, const char *path,
                           void *h, uint64_t size)
{
    const uint64_t start = b->offset;
    size_t nhead = 0;
    int stopped = 0, incomplete = 0;

    azf_decoder_reset(f->dec, start);
    f->cur = b;
    f->cur_path = path;
    f->announced = 0;
    f->last_emitted = 0;

    uint64_t pos = start;
    while (pos < size) {
        size_t want = size - pos < CHUNK ? (size_t)(size - pos) : CHUNK;
        char why[AZF_ERRBUF_SIZE];
        long r = f->ops->read(h, f->buf, want, pos, size, why);
        if (r < 0) {
            blob_error(f, b, path, pos, why);
            incomplete = 1;
            break;
        }
        if (r == 0)
            break; /* shrank since fstat: the next poll judges it */
        const unsigned char *nul = memchr(f->buf, 0, (size_t)r);
        if (nul != NULL) {
            /* Not written yet (see check_start): feed only what precedes. */
            r = nul - f->buf;
            incomplete = 1;
        }
        if (pos < AZF_PREFIX_MAX) {
            size_t n = (size_t)r < AZF_PREFIX_MAX - pos ? (size_t)r : (size_t)(AZF_PREFIX_MAX - pos);
            memcpy(f->head + nhead, f->buf, n);
            nhead += n;
        }
        int rc = azf_decoder_feed(f->dec, f->buf, (size_t)r);
        pos += (uint64_t)r;
        if (rc == AZF_STOPPED) {
            stopped = 1;
            f->stopped = 1;
            break;
        }
        if (rc < 0) {
            on_error(pos, rc == AZF_ENOMEM ? "out of memory" : "decoder failed", f);
            incomplete = 1;
            break;
        }
        if (nul != NULL)
            break;
    }

    /* Committed bytes hold whole records but for the "]}" tail: a record
     * still open at their end, with a later one begun inside it, was cut by
     * its writer and never completes. */
    while (f->ops->committed && !incomplete && !stopped && pos == size) {
        int rc;
        if (!azf__decoder_skip_torn(f->dec, &rc))
            break;
        if (rc == AZF_STOPPED) {
            stopped = 1;
            f->stopped = 1;
        } else if (rc < 0) {
            on_error(pos, "out of memory", f);
            incomplete = 1;
        }
    }

    uint64_t safe = azf_decoder_safe_offset(f->dec);
    if (safe < start || safe > pos)
        safe = start; /* cannot happen with a sane decoder; never guess forward */
    if (start < AZF_PREFIX_MAX && safe > start) {
        uint64_t upto = safe < AZF_PREFIX_MAX ? safe : AZF_PREFIX_MAX;
        /* FNV is a running hash: extend the start hash by the bytes just fed. */
        b->hash = azf_fnv1a64(b->hash, f->head, (size_t)(upto - start));
    }
    /* A stop inside a record leaves the bookmark before it; remember which
     * of its tuples are out so they are not emitted again. */
    uint64_t skip = b->skip > f->last_emitted ? b->skip : f->last_emitted;
    if (skip < safe)
        skip = 0;

    if (safe != b->offset || skip != b->skip)
        f->dirty = 1;
    b->offset = safe;
    b->skip = skip;
    if (!incomplete)
        b->failing = 0;
    b->recheck = incomplete || stopped;
}

static int same_state(const struct azf_bookmark *b, const struct azf_entry *e)
{
    return b->size == e->size && b->dev == e->dev && b->ino == e->ino && b->mtime_ns == e->mtime_ns;
}

/* Unchanged since the bookmark: not even opened. */
static int needs_read(const struct azf_bookmark *b, const struct azf_entry *e)
{
    return b->recheck || !same_state(b, e);
}

static void follow_blob(struct azf_follower *f, struct azf_bookmark *b, struct azf_entry *e)
{
    const char *path = e->path;

    void *h = NULL;
    char failure[AZF_ERRBUF_SIZE];
    int orc = f->ops->open(f->src, e, &h, failure);
    if (orc != 0) {
        if (orc < 0)
            blob_error(f, b, path, 0, failure);
        return; /* > 0: gone since the listing; the next poll forgets it */
    }
    /* The source judged what it opened (a file renamed over the name). */
    uint64_t size = e->size;
    if (b->offset > 0 && !(f->ops->same_blob != NULL && f->ops->same_blob(e, b))) {
        const char *why = NULL;
        switch (check_start(f, b, h, size, &why, failure)) {
        case GO_ON:
            break;
        case FAIL:
            blob_error(f, b, path, 0, failure);
            f->ops->close(h);
            return;
        case WAIT:
            /* The bookmark keeps its old size/mtime, so it is looked at again. */
            if (!b->waiting)
                notice(f, path, why);
            b->waiting = 1;
            b->recheck = 1;
            f->ops->close(h);
            return;
        case RESTART:
            notice(f, path, why);
            b->offset = 0;
            b->hash = AZF_FNV_INIT;
            b->skip = 0;
            f->dirty = 1;
            break;
        }
    }
    b->waiting = 0;
    read_new_bytes(f, b, path, h, size);
    f->ops->close(h);

    if (!same_state(b, e) || b->recheck)
        f->dirty = 1;
    b->size = size;
    b->dev = e->dev;
    b->ino = e->ino;
    b->mtime_ns = e->mtime_ns;
    if (b->recheck)
        b->mtime_ns = -1; /* bytes left unread: no file matches it, so even a
                             restarted follower looks again */
}

/* --- the follower ---------------------------------------------------------- */

/* A blob this poll meant to read and did not: looked at again next poll,
 * and by a restarted follower (the mark is saved with the bookmark). */
static void left_unread(struct azf_follower *f, struct azf_bookmark *b)
{
    b->recheck = 1;
    if (b->mtime_ns != -1)
        f->dirty = 1;
    b->mtime_ns = -1;
}

/* A bookmarked blob the listing lacks: said when it is gone, silent when
 * it only left what the source lists (an hour no longer written).  1: the
 * bookmark is kept as it is (a restart would list that blob again). */
static int gone(struct azf_follower *f, const char *key)
{
    int c = f->ops->covers != NULL ? f->ops->covers(f->src, key) : 1;
    if (c == 2)
        return 1;
    f->dirty = 1;
    if (c == 0)
        return 0;
    /* The path a user would know it by (root as given, when it is a prefix
     * of the key's spelling). */
    char *path = NULL;
    size_t pl = strlen(f->prefix);
    if (strlen(key) > pl && asprintf(&path, "%s/%s", f->root, key + pl) < 0)
        path = NULL;
    if (strncmp(key, "http", 4) == 0) {
        free(path);
        path = NULL; /* a storage blob's key is its URL already */
    }
    notice(f, path != NULL ? path : strlen(key) > pl || strncmp(key, "http", 4) == 0 ? key : f->root,
           "blob is gone; forgetting its position");
    free(path);
    return 0;
}

void azf_entries_free(struct azf_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].path);
        free(v[i].etag);
    }
    free(v);
}

long azf_follower_poll(struct azf_follower *f, char errbuf[AZF_ERRBUF_SIZE])
{
    struct azf_entry *ents;
    size_t n;
    /* A root that cannot be listed leaves every bookmark as it is: a folder
     * missing for a while (an unmounted share) must not restart all blobs. */
    if (f->ops->list(f->src, &ents, &n, errbuf) < 0)
        return cancelled(f) ? 0 : -1; /* a cancelled listing: a stop, said by nobody */
    f->tuples = 0;
    f->stopped = 0;
    f->cur = NULL;
    /* (A storage source lists only the hours being written: an empty
     * listing there is an hour without blobs yet, judged blob by blob.) */
    if (n == 0 && f->bms.n > 0 && f->ops->covers == NULL) {
        /* Every blob gone at once is more likely a share unmounted from
         * under an empty mount point than retention.  Keeping the positions
         * is safe: a blob that comes back with other content fails the
         * start-hash check and is read from 0. */
        if (!f->empty_noticed)
            notice(f, f->root, "no blobs here now (an unmounted share?); keeping their positions");
        f->empty_noticed = 1;
        azf_entries_free(ents, n);
        return 0;
    }
    f->empty_noticed = 0;

    struct azf_bookmarks old = f->bms, next = { 0 };
    next.cap = old.n + n;
    next.v = calloc(next.cap ? next.cap : 1, sizeof(*next.v));
    if (next.v == NULL) {
        azf_entries_free(ents, n);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", f->root);
        return -1;
    }
    /* The blobs to read this poll, in listing order: bookmark (in next,
     * which never moves) and entry. */
    struct azf_bookmark **rb = calloc(n ? n : 1, sizeof(*rb));
    const struct azf_entry **re = calloc(n ? n : 1, sizeof(*re));
    uint64_t *rfrom = calloc(n ? n : 1, sizeof(*rfrom));
    size_t nr = 0;
    int oom = rb == NULL || re == NULL || rfrom == NULL;
    size_t i = 0;
    /* Listing and bookmarks are both sorted by path: one merge pass. */
    for (size_t j = 0; j < n && !oom; j++) {
        const char *key = ents[j].key;
        for (; i < old.n && strcmp(old.v[i].key, key) < 0; i++) {
            if (gone(f, old.v[i].key))
                next.v[next.n++] = old.v[i];
            else
                free(old.v[i].key);
        }
        int accepted = f->accept == NULL || f->accept(ents[j].path, f->accept_u);
        struct azf_bookmark *b;
        if (i < old.n && strcmp(old.v[i].key, key) == 0) {
            b = &next.v[next.n++];
            *b = old.v[i++];
        } else if (accepted) {
            b = &next.v[next.n++];
            memset(b, 0, sizeof(*b));
            if ((b->key = strdup(key)) == NULL) {
                next.n--;
                oom = 1;
                break;
            }
            b->hash = AZF_FNV_INIT;
            f->dirty = 1;
        } else {
            continue;
        }
        /* A blob the filter rejects keeps its bookmark untouched. */
        if (accepted && needs_read(b, &ents[j])) {
            rb[nr] = b;
            re[nr] = &ents[j];
            rfrom[nr++] = b->offset;
        }
    }
    for (; i < old.n; i++) {
        if (oom) {
            next.v[next.n++] = old.v[i]; /* no verdict without a full listing */
            continue;
        }
        if (gone(f, old.v[i].key))
            next.v[next.n++] = old.v[i];
        else
            free(old.v[i].key);
    }
    free(old.v);
    f->bms = next;
    /* The source may fetch them ahead, several at once; they are decoded
     * one by one in listing order all the same.  After a stop the rest
     * wait for the next poll. */
    if (nr > 0 && f->ops->plan != NULL)
        f->ops->plan(f->src, re, rfrom, nr);
    size_t k = 0;
    for (; k < nr && !f->stopped; k++)
        follow_blob(f, rb[k], (struct azf_entry *)re[k]);
    /* After a stop the rest are marked as a read left short is: a storage
     * source lists an older hour again only for a blob so marked, so
     * unmarked they would be left unread for good by a restart that lists
     * from the last hour on. */
    for (; k < nr; k++)
        left_unread(f, rb[k]);
    if (f->ops->plan != NULL)
        f->ops->plan(f->src, NULL, NULL, 0); /* what a stop left fetched goes */
    free(rb);
    free(re);
    free(rfrom);
    f->cur = NULL;
    azf_entries_free(ents, n);
    if (oom) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", f->root);
        return -1;
    }
    if (f->dirty && f->bookmarks != NULL) {
        /* Whatever was handed out must be delivered before the bookmarks
         * claim it was, or a crash in between would lose it. */
        if (f->cbs.on_commit != NULL && f->cbs.on_commit(f->cbs.user) != 0)
            return f->tuples;
        if (azf_bookmarks_save(f->bookmarks, f->prefix, &f->bms, errbuf) < 0)
            return -1;
    }
    f->dirty = 0;
    return f->tuples;
}

/* --- replay ------------------------------------------------------------------
 * After a restart, what the bookmarks say was already delivered is not
 * delivered again; but a consumer that correlates within a time window
 * still needs the recent part of it.  Replay reads [0, bookmark) of each
 * blob that is still the one the bookmark was taken from and hands out the
 * tuples no older than since_us, through their own callback, without
 * touching a bookmark. */
struct replay_ctx {
    int64_t since_us;
    azf_tuple_fn fn;
    void *user;
    long n;
};

static int replay_tuple(const struct azf_tuple *t, void *u)
{
    struct replay_ctx *r = u;
    if (t->ts_us < r->since_us)
        return 0;
    r->n++;
    return r->fn(t, r->user);
}

long azf_follower_replay(struct azf_follower *f, int64_t since_us, azf_tuple_fn fn, void *user)
{
    struct replay_ctx r = { .since_us = since_us, .fn = fn, .user = user };
    struct azf_entry *ents;
    size_t n;
    char why[AZF_ERRBUF_SIZE];
    if (f->bms.n == 0 || f->ops->list(f->src, &ents, &n, why) < 0)
        return 0; /* nothing bookmarked, or the first poll says what is wrong */
    struct azf_decoder *dec = azf_decoder_new(replay_tuple, NULL, &r);
    if (dec == NULL) {
        azf_entries_free(ents, n);
        return -1;
    }
    /* Listing and bookmarks are both sorted by key. */
    size_t i = 0;
    for (size_t j = 0; j < n; j++) {
        while (i < f->bms.n && strcmp(f->bms.v[i].key, ents[j].key) < 0)
            i++;
        if (i == f->bms.n)
            break;
        const struct azf_bookmark *b = &f->bms.v[i];
        if (strcmp(b->key, ents[j].key) != 0 || b->offset == 0 ||
            (f->accept != NULL && !f->accept(ents[j].path, f->accept_u)))
            continue;
        void *h;
        if (f->ops->open(f->src, &ents[j], &h, why) != 0)
            continue; /* gone or failing: the next poll says so */
        const char *verdict;
        if (check_start(f, b, h, ents[j].size, &verdict, why) != GO_ON) {
            f->ops->close(h); /* replaced or changing: the next poll reads it afresh */
            continue;
        }
        azf_decoder_reset(dec, 0);
        for (uint64_t off = 0; off < b->offset;) {
            size_t want = b->offset - off < CHUNK ? (size_t)(b->offset - off) : CHUNK;
            long got = f->ops->read(h, f->buf, want, off, b->offset, why);
            if (got <= 0 || azf_decoder_feed(dec, f->buf, (size_t)got) != AZF_OK)
                break;
            off += (uint64_t)got;
        }
        f->ops->close(h);
    }
    azf_decoder_free(dec);
    azf_entries_free(ents, n);
    return r.n;
}

void *azf_follower_src(const struct azf_follower *f)
{
    return f->src;
}

const struct azf_source_ops *azf_follower_ops(const struct azf_follower *f)
{
    return f->ops;
}

const struct azf_bookmarks *azf_follower_bms(const struct azf_follower *f)
{
    return &f->bms;
}

void azf_follower_set_filter(struct azf_follower *f, int (*accept)(const char *path, void *u), void *u)
{
    f->accept = accept;
    f->accept_u = u;
}

struct azf_follower *azf_follower_new_source(const struct azf_source_ops *ops, void *src,
                                             const char *root, const char *prefix,
                                             const char *bookmarks_path,
                                             const struct azf_follow_cbs *cbs,
                                             char errbuf[AZF_ERRBUF_SIZE])
{
    struct azf_follower *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        ops->free(src);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", root);
        return NULL;
    }
    f->ops = ops;
    f->src = src;
    f->cbs = *cbs;
    if ((f->root = strdup(root)) == NULL || (f->prefix = strdup(prefix)) == NULL ||
        (f->buf = malloc(CHUNK)) == NULL || (f->dec = azf_decoder_new(on_tuple, on_error, f)) == NULL ||
        (bookmarks_path != NULL && (f->bookmarks = strdup(bookmarks_path)) == NULL)) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", root);
        azf_follower_free(f);
        return NULL;
    }
    if (f->bookmarks != NULL) {
        /* Fail now, not after the first poll has emitted tuples it cannot
         * record. */
        char *dir = strdup(f->bookmarks);
        char *slash = dir == NULL ? NULL : strrchr(dir, '/');
        const char *d = slash == NULL ? "." : (slash == dir ? "/" : (*slash = '\0', dir));
        if (dir == NULL || access(d, W_OK | X_OK) != 0) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: cannot write in folder '%s': %s", f->bookmarks, d,
                     dir == NULL ? "out of memory" : strerror(errno));
            free(dir);
            azf_follower_free(f);
            return NULL;
        }
        free(dir);
        if (azf_bookmarks_load(f->bookmarks, f->prefix, &f->bms, errbuf) < 0) {
            azf_follower_free(f);
            return NULL;
        }
    }
    return f;
}

struct azf_follower *azf_follower_new(const char *root, const char *bookmarks_path,
                                      const struct azf_follow_cbs *cbs, char errbuf[AZF_ERRBUF_SIZE])
{
    if (root == NULL || cbs == NULL || cbs->on_tuple == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "follower: root and on_tuple are required");
        return NULL;
    }
    char *prefix = NULL;
    void *src = azf_file_source_new(root, &prefix, errbuf);
    if (src == NULL)
        return NULL;
    /* Printed paths use root as given, trailing slashes removed, as
     * azf_blob_list spells them. */
    char *r = strdup(root);
    if (r != NULL)
        for (size_t len = strlen(r); len > 1 && r[len - 1] == '/'; len--)
            r[len - 1] = '\0';
    struct azf_follower *f = r == NULL ? NULL
                                       : azf_follower_new_source(&azf_file_source_ops, src, r, prefix,
                                                                 bookmarks_path, cbs, errbuf);
    if (r == NULL) {
        azf_file_source_ops.free(src);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", root);
    }
    free(r);
    free(prefix);
    return f;
}

void azf_follower_free(struct azf_follower *f)
{
    if (f == NULL)
        return;
    if (f->dirty && f->bookmarks != NULL) {
        /* Last chance for positions a failed save left behind; the failure
         * itself was returned by that poll. */
        char errbuf[AZF_ERRBUF_SIZE];
        if (f->cbs.on_commit == NULL || f->cbs.on_commit(f->cbs.user) == 0)
            (void)azf_bookmarks_save(f->bookmarks, f->prefix, &f->bms, errbuf);
    }
    azf_bookmarks_clear(&f->bms);
    if (f->ops != NULL)
        f->ops->free(f->src);
    azf_decoder_free(f->dec);
    free(f->buf);
    free(f->root);
    free(f->prefix);
    free(f->bookmarks);
    free(f);
}
