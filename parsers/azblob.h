/* azflow storage source: flow-log blobs read where Azure writes them, in a
 * storage account, over the Blob REST API: List Blobs by the hours still
 * being written, then a ranged Get Blob of the committed bytes appended
 * since each blob's bookmark.  The same follower as for local files
 * (flowlog.h) decodes, bookmarks and replays them.
 *
 * Public header of the storage client; host-neutral like the rest of
 * parsers/.  No secret (SAS signature, account key, bearer token) is ever
 * written into a message: URLs are printed without their query. */
#ifndef AZF_AZBLOB_H
#define AZF_AZBLOB_H

#include <stdint.h>

#include "flowlog.h"

#ifdef __cplusplus
extern "C" {
#endif

struct azf_blob_opts {
    /* https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX], or path-style
     * http(s)://HOST[:PORT]/ACCOUNT/CONTAINER[/PREFIX] (Azurite, private
     * endpoints).  A query is refused: a SAS belongs in sas_file. */
    const char *url;
    /* At most one credential; none: AZURE_STORAGE_SAS_TOKEN, else
     * AZURE_STORAGE_KEY from the environment, else anonymous. */
    const char *sas_file;
    const char *account_key_file;
    const char *managed_identity; /* "yes", or the identity's client id */
    const char *ca_file;          /* an extra CA bundle; verification stays on */
    int64_t since_s;              /* without bookmarks, read blobs of hours back to now - since_s */
};

/* The storage requests made so far (counters only grow). */
struct azf_blob_stats {
    uint64_t requests;  /* HTTP requests sent, retries included */
    uint64_t retries;   /* requests repeated after a transient failure */
    uint64_t failures;  /* requests given up: an error status or retries exhausted */
    uint64_t bytes;     /* blob bytes received (ranged reads) */
};

/* Call at the end of a thread that polled storage followers: frees what
 * the crypto library keeps per thread (a leak checker sees it otherwise). */
void azf_blob_thread_end(void);

/* "90", "90s", "15m", "2h", "3d" -> seconds (at most a year); -1 if not. */
int azf_duration_parse(const char *s, int64_t *out);

/* Is s a storage URL (http:// or https://) rather than a path? */
int azf_is_blob_url(const char *s);

/* A follower over a storage container.  Checks the options and the
 * credential without a request: a missing or unreadable key/SAS file, a
 * SAS whose se= is past, a URL with a query, are errors (errbuf).  Problems
 * that are not (a SAS expiring within 24 h, a key file others can read) go
 * to cbs->on_notice.  bookmarks_path as for azf_follower_new. */
struct azf_follower *azf_follower_new_blob(const struct azf_blob_opts *o, const char *bookmarks_path,
                                           const struct azf_follow_cbs *cbs,
                                           char errbuf[AZF_ERRBUF_SIZE]);
/* One List Blobs request now: 0 when the container answers with this
 * credential; else -1 with errbuf naming the URL and what to fix (403:
 * credential, 404: container, TLS: ca-file).  For start-up checks. */
int azf_follower_blob_check(struct azf_follower *f, char errbuf[AZF_ERRBUF_SIZE]);
/* Counters of a storage follower (zeros for a file follower). */
void azf_follower_blob_stats(const struct azf_follower *f, struct azf_blob_stats *out);
/* From any thread, for good: ends waits between retries and transfers
 * under way, so a poll returns soon.  What the cancel cut short is no
 * error: the poll returns without a word, and the blobs it did not finish
 * are read again next time (by a restarted follower too). */
void azf_follower_cancel(struct azf_follower *f);

#ifdef __cplusplus
}
#endif
#endif /* AZF_AZBLOB_H */
