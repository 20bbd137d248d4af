/* Storage client internals shared by blob_*.c: the parsed URL, the
 * credential, one HTTP request with retries, the listing parser.
 * Private to parsers/. */
#ifndef AZF_BLOB_INT_H
#define AZF_BLOB_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "azblob.h"

/* The REST version every request pins: Azure and Azurite 3.x accept it. */
#define AZF_XMS_VERSION "2021-12-02"

struct azf_blob_url {
    char *origin;    /* "https://acct.blob.core.windows.net" or "http://127.0.0.1:10000" */
    char *account;
    char *container;
    char *prefix;    /* blob-name prefix, "" for the whole container */
    char *path;      /* URL path of the container as sent: "/container" or "/acct/container" */
    char *printed;   /* origin + path (+ "/" + prefix): the source as it is printed */
};

int azf_blob_url_parse(const char *url, struct azf_blob_url *u, char errbuf[AZF_ERRBUF_SIZE]);
void azf_blob_url_free(struct azf_blob_url *u);
/* Percent-encodes s for a URL path (keep_slash) or a query value; malloc'd. */
char *azf_pct_encode(const char *s, int keep_slash);

/* --- credential --------------------------------------------------------- */
enum azf_cred_kind { AZF_CRED_ANON, AZF_CRED_SAS, AZF_CRED_KEY, AZF_CRED_TOKEN };

struct azf_cred {
    enum azf_cred_kind kind;
    char *sas;                 /* the query string, without '?' */
    unsigned char key[64];
    int keylen;
    char *client_id;           /* managed identity: NULL for the system-assigned one */
    char *imds;                /* token endpoint (AZFLOW_IMDS_ENDPOINT overrides, for tests) */
    char *token;               /* bearer token and its expiry (s since epoch) */
    int64_t token_exp;
};

/* Loads the credential of o (files or environment); notes non-fatal
 * problems through note(what). */
int azf_cred_load(struct azf_cred *c, const struct azf_blob_opts *o,
                  void (*note)(const char *what, void *u), void *u, char errbuf[AZF_ERRBUF_SIZE]);
void azf_cred_free(struct azf_cred *c);
/* Shared Key: the Authorization header value for a string to sign. */
int azf_cred_sign(const struct azf_cred *c, const char *account, const char *sts, char *out, size_t outlen);

/* --- HTTP --------------------------------------------------------------- */
struct azf_http;

struct azf_http_req {
    const char *path;      /* URL path as sent, percent-encoded */
    const char *query[16]; /* name, raw value pairs, sorted by name; NULL-terminated */
    const char *printed;   /* what errors call the resource (its URL, never a query);
                              NULL: the caller names it (a blob read: the follower
                              prints the blob's URL and offset before the reason) */
    uint64_t range_from, range_to; /* inclusive byte range when range_to != 0 */
    const char *if_match;  /* quoted ETag, or NULL */
};

struct azf_http_resp {
    long status;
    char *body;            /* NUL-terminated (a retry starts it over) */
    size_t len;
    char error_code[64];   /* x-ms-error-code */
    int64_t skew_s;        /* the answer's Date minus our clock (0: no Date) */
};

/* Azure's Shared Key window: a request dated further off is refused
 * (403 AuthenticationFailed). */
#define AZF_SKEW_MAX_S (15 * 60)

struct azf_http *azf_http_new(const struct azf_blob_url *u, struct azf_cred *c, const char *ca_file,
                              char errbuf[AZF_ERRBUF_SIZE]);
void azf_http_free(struct azf_http *h);
/* GET with retries.  0: a final HTTP status in resp (any, 2xx or not);
 * -1: no answer (transport, TLS, retries exhausted, cancelled) with errbuf. */
int azf_http_get(struct azf_http *h, const struct azf_http_req *rq, struct azf_http_resp *resp,
                 char errbuf[AZF_ERRBUF_SIZE]);
/* Several GETs at once (the ranged reads of a poll): at most a few in
 * flight (4; AZFLOW_BLOB_PARALLEL sets 1-16 for tests), started in the
 * order given, each with its own retries as azf_http_get; each job's rc,
 * resp and errbuf as azf_http_get's. */
struct azf_http_job {
    const struct azf_http_req *rq;
    struct azf_http_resp resp;
    int rc;
    char errbuf[AZF_ERRBUF_SIZE];
};
void azf_http_get_many(struct azf_http *h, struct azf_http_job *jobs, size_t n);
void azf_http_resp_free(struct azf_http_resp *r);
/* "URL: HTTP 403 AuthorizationFailure: what to fix" for a non-2xx answer
 * (without "URL: " when rq->printed is NULL). */
void azf_http_status_error(const struct azf_http_req *rq, const struct azf_http_resp *r,
                           char errbuf[AZF_ERRBUF_SIZE]);
void azf_http_stats(const struct azf_http *h, struct azf_blob_stats *out);
void azf_http_add_bytes(struct azf_http *h, uint64_t n);
/* The service's clock minus ours at the last answer with a Date header. */
int64_t azf_http_skew(const struct azf_http *h);
void azf_http_cancel(struct azf_http *h);
/* 1 once azf_http_cancel was called: every request fails from then on. */
int azf_http_cancelled(struct azf_http *h);
/* Managed identity: a fresh token from the endpoint when the one held
 * expires within 5 minutes. */
int azf_http_token(struct azf_http *h, char errbuf[AZF_ERRBUF_SIZE]);

/* --- List Blobs --------------------------------------------------------- */
struct azf_listed {
    char *name;
    uint64_t size;
    int64_t created;   /* Creation-Time, s since epoch */
    char etag[80];     /* as listed (unquoted) */
};

/* The longest blob name read from a listing: Azure allows 1,024 characters,
 * at most 4 bytes each in UTF-8.  A longer one is not a name Azure gives. */
#define AZF_NAME_MAX 4096

/* A name a listing held but the parser skipped (longer than AZF_NAME_MAX). */
struct azf_skipped {
    uint64_t offset;   /* byte offset of its element in the listing answer */
    uint64_t len;      /* its length in bytes */
    uint64_t hash;     /* FNV-1a 64 of all its bytes: the same name, said once */
    int prefix;        /* a BlobPrefix (a resource), not a Blob */
};

struct azf_listing {
    struct azf_listed *blobs;
    size_t nblobs, capblobs;
    char **prefixes;   /* BlobPrefix names (delimiter listings) */
    size_t nprefixes, capprefixes;
    char *next_marker; /* NULL or "": the listing is complete */
    struct azf_skipped *skipped; /* of the last page parsed */
    size_t nskipped, capskipped;
};

/* Parses one List Blobs page, appending to l (next_marker and skipped
 * replaced).  A name over AZF_NAME_MAX is skipped and noted in l->skipped,
 * the rest of the page read; a NextMarker too long to hold is an error
 * (the listing could not go on). */
int azf_listing_parse(const char *xml, size_t len, struct azf_listing *l, char errbuf[AZF_ERRBUF_SIZE]);
void azf_listing_free(struct azf_listing *l);
/* RFC 1123 ("Sat, 28 Nov 2026 04:27:22 GMT") -> s since epoch; -1 if not. */
int64_t azf_rfc1123(const char *s);

#endif /* AZF_BLOB_INT_H */
