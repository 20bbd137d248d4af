/* The follower's Azure Storage source.  Each poll lists only the hours
 * still being written (…/y=YYYY/m=MM/d=DD/h=HH/ under every resource of the
 * container, found with one delimiter listing now and then), pages through
 * NextMarker, and hands the follower each blob's committed size, creation
 * time and ETag: an unchanged blob costs no request.  A changed one is read
 * by Range from its bookmark, If-Match the listed ETag, so only committed
 * bytes of the version listed are ever read. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azblob.h"
#include "blob_int.h"
#include "../flowlog/decoder_int.h"
#include "follow_int.h"

/* Commits land a few minutes after their hour ends; keep listing it this
 * long past its end. */
#define LATE_S (15 * 60)
/* Resources (NSGs, flow logs) appear rarely: look for new ones this often. */
#define DISCOVER_S (10 * 60)
/* The most bytes one ranged read asks for. */
#define WINDOW (16u * 1024 * 1024)
/* The most bytes of reads fetched ahead and held at once (a batch). */
#define AHEAD_MAX (2u * WINDOW)
/* A listed ETag in quotes, as If-Match sends it. */
#define QUOTED_ETAG 84
#define OUTSIDE_NOTICES 10
/* Over-long names skipped are said once each, this many at most. */
#define SKIPPED_NOTICES 16
#define SKEW_NOTICE_S 3600

struct blob_source {
    struct azf_blob_url u;
    struct azf_cred cred;
    struct azf_http *http;
    char *keyprefix;       /* origin + container path + "/": every key starts with it */
    char *folder;          /* the url's prefix as a folder ("…/NSG1/"), "" for the container */
    int64_t since_s;
    int64_t first_hour;    /* the oldest hour listed next; 0: not started */
    int64_t newest_bookmarked; /* hour of the newest bookmark at start-up, -1: none */
    int64_t listed_from, listed_to; /* the hours the last listing covered */
    int64_t kept_from;     /* bookmarks of hours from this one on outlive their listing */
    char **named;          /* keys of older hours' blobs the last listing asked for by name */
    size_t nnamed;
    char **res;            /* resource prefixes, each ending in "/y=" */
    size_t nres;
    int64_t res_at, res_hour;
    unsigned outside;      /* names outside the layout noticed so far */
    uint64_t skipped;      /* over-long names skipped by listings, all polls */
    uint64_t said[SKIPPED_NOTICES]; /* hashes of the skipped names said */
    unsigned nsaid;
    int64_t skew_noticed;  /* when clock skew was last said; 0: never */
    struct azf_follow_cbs cbs;
    struct ahead *ahead;   /* this poll's reads, in the follower's order */
    size_t nahead, ahead_next;
    struct azf_follower *f; /* the follower reading it: its bookmarks */
};

/* A ranged read the follower will make this poll, fetched ahead with the
 * ones after it (azf_http_get_many), then handed to blob_read. */
struct ahead {
    char *key;
    char *path;           /* of the request */
    char etag[QUOTED_ETAG];
    uint64_t from, to;    /* the range blob_read will ask for: [from, to) */
    int state;            /* 0 not fetched, 1 fetched (job), 2 taken */
    struct azf_http_job job;
    struct azf_http_req rq;
};

struct blob_handle {
    struct blob_source *s;
    char *path;
    char etag[QUOTED_ETAG];
    uint64_t size;
    struct azf_http_resp r; /* the bytes of the last read */
    uint64_t boff;          /* offset of r.body in the blob */
    struct ahead *ahead;    /* its read planned this poll, or NULL */
};

/* --- names ------------------------------------------------------------------ */

static int64_t floor_hour(int64_t t)
{
    return t - (t % 3600 + 3600) % 3600;
}

/* The hour of a flow-log blob name (…/y=YYYY/m=MM/d=DD/h=HH/…), or -1. */
static int64_t hour_of(const char *name)
{
    const char *p = strstr(name, "y=");
    while (p != NULL && p != name && p[-1] != '/')
        p = strstr(p + 2, "y=");
    if (p == NULL || strlen(p) < 25)
        return -1;
    char iso[24];
    if (p[6] != '/' || strncmp(p + 7, "m=", 2) || p[11] != '/' || strncmp(p + 12, "d=", 2) ||
        p[16] != '/' || strncmp(p + 17, "h=", 2) || p[21] != '/')
        return -1;
    snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:00:00Z", p + 2, p + 9, p + 14, p + 19);
    int64_t us;
    return azf__iso8601_us(iso, strlen(iso), &us) == 0 ? us / 1000000 : -1;
}

/* "who: why" into errbuf; a message past its size is cut at its end (its
 * start names the source). */
static void prefixed(char *errbuf, const char *who, const char *why)
{
    const char *part[3] = { who, ": ", why };
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        size_t k = strlen(part[i]);
        if (k > AZF_ERRBUF_SIZE - 1 - n)
            k = AZF_ERRBUF_SIZE - 1 - n;
        memcpy(errbuf + n, part[i], k);
        n += k;
    }
    errbuf[n] = '\0';
}

static void note(struct blob_source *s, const char *path, const char *what)
{
    if (s->cbs.on_notice != NULL)
        s->cbs.on_notice(path, what, s->cbs.user);
}

static void cred_note(const char *what, void *u)
{
    struct blob_source *s = u;
    note(s, s->u.printed, what);
}

/* --- listing ------------------------------------------------------------------ */

/* Names a listing page skipped (too long to be Azure's): counted, and
 * each said once, by the container's URL, the listing's prefix (an hour's;
 * NULL: the resources' discovery) and the byte offset in its answer. */
static void note_skipped(struct blob_source *s, const char *prefix, const struct azf_listing *l)
{
    for (size_t i = 0; i < l->nskipped; i++) {
        const struct azf_skipped *k = &l->skipped[i];
        s->skipped++;
        if (s->nsaid > SKIPPED_NOTICES)
            continue; /* the last word was said */
        unsigned j = 0;
        while (j < s->nsaid && j < SKIPPED_NOTICES && s->said[j] != k->hash)
            j++;
        if (j < s->nsaid && j < SKIPPED_NOTICES)
            continue; /* this name was said */
        /* Built whole: the prefix of an hour's listing is a resource's path. */
        char *what = NULL;
        const char *q = prefix ? "'" : "";
        int n;
        if (s->nsaid == SKIPPED_NOTICES)
            n = asprintf(&what, "more blob names skipped from listings; skipped without a word");
        else if (k->len == 0)
            n = asprintf(&what, "listing%s%s%s at byte %llu: a blob without a name; skipped (%llu so far)",
                         prefix ? " of prefix '" : "", prefix ? prefix : "", q, (unsigned long long)k->offset,
                         (unsigned long long)s->skipped);
        else
            n = asprintf(&what,
                         "listing%s%s%s at byte %llu: a %s name of %llu bytes, over %u (Azure allows 1,024 "
                         "characters); skipped (%llu so far)",
                         prefix ? " of prefix '" : "", prefix ? prefix : "", q, (unsigned long long)k->offset,
                         k->prefix ? "resource (BlobPrefix)" : "blob", (unsigned long long)k->len,
                         (unsigned)AZF_NAME_MAX, (unsigned long long)s->skipped);
        if (s->nsaid < SKIPPED_NOTICES)
            s->said[s->nsaid] = k->hash;
        s->nsaid++;
        note(s, s->u.printed, n < 0 ? "listing: a blob name skipped" : what);
        if (n >= 0)
            free(what);
    }
}

static int list_pages(struct blob_source *s, const char *prefix, const char *delimiter, const char *printed,
                      struct azf_listing *l, char *errbuf)
{
    char *marker = NULL;
    for (;;) {
        struct azf_http_req rq = { .path = s->u.path, .printed = printed };
        size_t q = 0;
        /* Sorted by name: the Shared Key signature lists them so. */
        rq.query[q++] = "comp";
        rq.query[q++] = "list";
        if (delimiter != NULL) {
            rq.query[q++] = "delimiter";
            rq.query[q++] = delimiter;
        }
        if (marker != NULL) {
            rq.query[q++] = "marker";
            rq.query[q++] = marker;
        }
        rq.query[q++] = "prefix";
        rq.query[q++] = prefix;
        rq.query[q++] = "restype";
        rq.query[q++] = "container";
        rq.query[q] = NULL;
        struct azf_http_resp r;
        int rc = azf_http_get(s->http, &rq, &r, errbuf);
        free(marker);
        marker = NULL;
        if (rc < 0)
            return -1;
        if (r.status != 200) {
            azf_http_status_error(&rq, &r, errbuf);
            azf_http_resp_free(&r);
            return -1;
        }
        char why[AZF_ERRBUF_SIZE];
        rc = azf_listing_parse(r.body ? r.body : "", r.len, l, why);
        azf_http_resp_free(&r);
        if (rc < 0) {
            prefixed(errbuf, printed, why);
            return -1;
        }
        note_skipped(s, delimiter == NULL ? prefix : NULL, l);
        if (l->next_marker == NULL || l->next_marker[0] == '\0')
            return 0;
        marker = l->next_marker;
        l->next_marker = NULL;
    }
}

/* Every page of one listing into l.  Its errors name the container and,
 * for an hour's listing (no delimiter), the prefix listed: one resource's
 * hour from another's. */
static int list_all(struct blob_source *s, const char *prefix, const char *delimiter, struct azf_listing *l,
                    char *errbuf)
{
    char *printed = NULL;
    if (delimiter == NULL && asprintf(&printed, "%s: listing of prefix '%s'", s->u.printed, prefix) < 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->u.printed);
        return -1;
    }
    int rc = list_pages(s, prefix, delimiter, printed != NULL ? printed : s->u.printed, l, errbuf);
    free(printed);
    return rc;
}

static void free_res(struct blob_source *s)
{
    for (size_t i = 0; i < s->nres; i++)
        free(s->res[i]);
    free(s->res);
    s->res = NULL;
    s->nres = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The resource prefixes ("…/y=") of the container: one delimiter listing. */
static int discover(struct blob_source *s, int64_t now, char *errbuf)
{
    struct azf_listing l = { 0 };
    if (list_all(s, s->u.prefix, "/y=", &l, errbuf) < 0) {
        azf_listing_free(&l);
        return -1;
    }
    /* Blobs directly listed have no "/y=" in their name: not the layout. */
    for (size_t i = 0; i < l.nblobs; i++) {
        if (s->outside >= OUTSIDE_NOTICES + 1)
            break;
        if (strncmp(l.blobs[i].name, s->folder, strlen(s->folder)) != 0)
            continue; /* another folder's (…/NSG10 under …/NSG1) */
        char *url = NULL;
        if (asprintf(&url, "%s%s", s->keyprefix, l.blobs[i].name) < 0)
            continue;
        s->outside++;
        note(s, url, s->outside <= OUTSIDE_NOTICES
                         ? "not in the flow-log layout (…/y=YYYY/m=MM/d=DD/h=HH/…/PT1H.json); skipped"
                         : "more blobs outside the flow-log layout; skipped without a word");
        free(url);
    }
    /* Azure returns each prefix through the whole delimiter ("…/y=");
     * Azurite 3.35 stops after its first character ("…/"). */
    for (size_t i = 0; i < l.nprefixes; i++) {
        size_t n = strlen(l.prefixes[i]);
        char *fixed;
        if (n >= 3 && strcmp(l.prefixes[i] + n - 3, "/y=") == 0)
            continue;
        if (n == 0 || l.prefixes[i][n - 1] != '/' || asprintf(&fixed, "%sy=", l.prefixes[i]) < 0) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: unexpected prefix in the listing", s->u.printed);
            azf_listing_free(&l);
            return -1;
        }
        free(l.prefixes[i]);
        l.prefixes[i] = fixed;
    }
    /* Only the url's folder: "…/NSG1" also lists "…/NSG10/y=". */
    size_t kept = 0;
    for (size_t i = 0; i < l.nprefixes; i++) {
        if (strncmp(l.prefixes[i], s->folder, strlen(s->folder)) == 0)
            l.prefixes[kept++] = l.prefixes[i];
        else
            free(l.prefixes[i]);
    }
    l.nprefixes = kept;
    free_res(s);
    s->res = l.prefixes;
    s->nres = l.nprefixes;
    l.prefixes = NULL;
    l.nprefixes = 0;
    azf_listing_free(&l);
    if (s->nres > 1)
        qsort(s->res, s->nres, sizeof(*s->res), cmp_str);
    s->res_at = now;
    s->res_hour = floor_hour(now);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct azf_entry *)a)->key, ((const struct azf_entry *)b)->key);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The service answered, yet its clock is far from ours (a SAS does not
 * sign the request's date; a Shared Key would be refused): said once an
 * hour, for this sensor's clock steers the hours listed too. */
static void skew_notice(struct blob_source *s, int64_t now)
{
    int64_t skew = azf_http_skew(s->http);
    if ((skew <= AZF_SKEW_MAX_S && skew >= -AZF_SKEW_MAX_S) ||
        (s->skew_noticed != 0 && now - s->skew_noticed < SKEW_NOTICE_S && now >= s->skew_noticed))
        return;
    s->skew_noticed = now;
    char what[160];
    snprintf(what, sizeof(what), "clock skew of %lld s against the storage service: fix the sensor's clock (NTP)",
             (long long)skew);
    note(s, s->u.printed, what);
}

static void free_named(struct blob_source *s)
{
    for (size_t i = 0; i < s->nnamed; i++)
        free(s->named[i]);
    free(s->named);
    s->named = NULL;
    s->nnamed = 0;
}

/* A blob of an hour older than those listed whose bytes were left unread
 * (a failed or stopped read) is listed until it is read: else it would
 * leave the listing, and its bookmark, and the rest of it, be forgotten.
 * It is asked for by its own name (one request each), not with its whole
 * hour under every resource: a blob that fails for good (an archived one)
 * costs one listing a poll, not one per resource and hour back to its own,
 * growing every hour. */
static int list_named(struct blob_source *s, const struct azf_bookmarks *bms, struct azf_listing *l, char *errbuf)
{
    free_named(s);
    for (size_t i = 0; bms != NULL && i < bms->n; i++) {
        const struct azf_bookmark *b = &bms->v[i];
        if (!b->recheck && b->mtime_ns != -1)
            continue;
        const char *name = b->key + strlen(s->keyprefix);
        int64_t h = hour_of(name);
        if (h < 0 || h >= s->first_hour)
            continue; /* listed with its hour */
        char **v = realloc(s->named, (s->nnamed + 1) * sizeof(*v));
        if (v == NULL || (v[s->nnamed] = strdup(b->key)) == NULL) {
            if (v != NULL)
                s->named = v;
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->u.printed);
            return -1;
        }
        s->named = v;
        s->nnamed++;
        if (list_all(s, name, NULL, l, errbuf) < 0)
            return -1;
    }
    return 0;
}

/* Sorted entries without repeats (a name listed by itself that another
 * named listing also held): the follower merges unique keys. */
static size_t unique(struct azf_entry *e, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(e[k - 1].key, e[i].key) == 0) {
            free(e[i].key);
            free(e[i].path);
            free(e[i].etag);
            continue;
        }
        e[k++] = e[i];
    }
    return k;
}

static int blob_list(void *src, struct azf_entry **v, size_t *n, char errbuf[AZF_ERRBUF_SIZE])
{
    struct blob_source *s = src;
    *v = NULL;
    *n = 0;
    int64_t now = (int64_t)time(NULL), cur = floor_hour(now);
    if (s->first_hour == 0) {
        /* Without bookmarks `since` says how far back; with them, from the
         * hour before the newest bookmarked one (late commits), however long
         * the sensor was away. */
        s->first_hour = s->newest_bookmarked >= 0 ? s->newest_bookmarked - 3600 : floor_hour(now - s->since_s);
        if (s->first_hour > cur)
            s->first_hour = cur;
    }
    /* The newest hour bookmarked; a blob of an older hour whose bytes were
     * left unread (a failed or stopped read) is listed by its own name
     * (listed_named), not with its whole hour. */
    const struct azf_bookmarks *bms = s->f != NULL ? azf_follower_bms(s->f) : NULL;
    int64_t newest = -1;
    for (size_t i = 0; bms != NULL && i < bms->n; i++) {
        int64_t h = hour_of(bms->v[i].key + strlen(s->keyprefix));
        if (h > newest)
            newest = h;
    }
    /* What a restart would list again: `since` back without bookmarks, the
     * hour before the newest bookmarked one with them.  The bookmarks of
     * those hours outlive their listing (blob_covers), older ones go. */
    s->kept_from = floor_hour(now - s->since_s);
    if (newest >= 0 && newest - 3600 < s->kept_from)
        s->kept_from = newest - 3600;
    if (s->res == NULL || now - s->res_at >= DISCOVER_S || s->res_hour != cur)
        if (discover(s, now, errbuf) < 0)
            return -1;
    struct azf_listing l = { 0 };
    for (size_t i = 0; i < s->nres; i++) {
        for (int64_t h = s->first_hour; h <= cur; h += 3600) {
            time_t t = (time_t)h;
            struct tm tm;
            gmtime_r(&t, &tm);
            char *prefix;
            if (asprintf(&prefix, "%s%04d/m=%02d/d=%02d/h=%02d/", s->res[i], tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour) < 0) {
                azf_listing_free(&l);
                snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->u.printed);
                return -1;
            }
            int rc = list_all(s, prefix, NULL, &l, errbuf);
            free(prefix);
            if (rc < 0) {
                azf_listing_free(&l);
                return -1;
            }
        }
    }
    if (list_named(s, bms, &l, errbuf) < 0) {
        azf_listing_free(&l);
        return -1;
    }
    struct azf_entry *e = calloc(l.nblobs ? l.nblobs : 1, sizeof(*e));
    size_t k = 0;
    int oom = e == NULL;
    for (size_t i = 0; !oom && i < l.nblobs; i++) {
        const struct azf_listed *b = &l.blobs[i];
        if (!ends_with(b->name, ".json"))
            continue;
        if (asprintf(&e[k].key, "%s%s", s->keyprefix, b->name) < 0) {
            e[k].key = NULL;
            oom = 1;
            break;
        }
        if ((e[k].path = strdup(e[k].key)) == NULL || (e[k].etag = strdup(b->etag)) == NULL) {
            k++;
            oom = 1;
            break;
        }
        e[k].size = b->size;
        e[k].dev = b->created > 0 ? (uint64_t)b->created : 0;
        e[k].ino = 0;
        e[k].mtime_ns = (int64_t)(azf_fnv1a64(AZF_FNV_INIT, b->etag, strlen(b->etag)) >> 1);
        k++;
    }
    azf_listing_free(&l);
    if (oom) {
        if (e != NULL)
            azf_entries_free(e, k);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->u.printed);
        return -1;
    }
    if (k > 1)
        qsort(e, k, sizeof(*e), cmp_entry);
    k = unique(e, k);
    skew_notice(s, now);
    s->listed_from = s->first_hour;
    s->listed_to = cur;
    /* The hour just over stays listed for late commits, then its bookmarks go. */
    int64_t keep = floor_hour(now - LATE_S);
    if (keep > s->first_hour)
        s->first_hour = keep;
    *v = e;
    *n = k;
    return 0;
}

static int blob_covers(void *src, const char *key)
{
    struct blob_source *s = src;
    int64_t h = hour_of(key + strlen(s->keyprefix));
    if (h < 0 || (h >= s->listed_from && h <= s->listed_to))
        return 1;
    for (size_t i = 0; i < s->nnamed; i++)
        if (strcmp(s->named[i], key) == 0)
            return 1; /* asked for by name, and not there: gone */
    /* An hour a restart would list again (blob_list): its positions must
     * outlive its listing, or a restart reads those blobs again. */
    return h >= s->kept_from ? 2 : 0;
}

/* --- reading ------------------------------------------------------------------ */

static void drop_ahead(struct blob_source *s)
{
    for (size_t i = 0; i < s->nahead; i++) {
        struct ahead *a = &s->ahead[i];
        azf_http_resp_free(&a->job.resp);
        free(a->key);
        free(a->path);
    }
    free(s->ahead);
    s->ahead = NULL;
    s->nahead = s->ahead_next = 0;
}

/* What a ranged read of listed blob e sends: the URL path (the container's
 * and the percent-encoded blob name) and the If-Match ETag ("" if none
 * listed).  Its errors carry no URL: the follower names the blob, whole,
 * with the offset.  -1 when out of memory, nothing kept. */
static int request_target(const struct blob_source *s, const struct azf_entry *e, char **path,
                          char etag[QUOTED_ETAG])
{
    char *enc = azf_pct_encode(e->key + strlen(s->keyprefix), 1);
    if (enc == NULL || asprintf(path, "%s/%s", s->u.path, enc) < 0) {
        free(enc);
        *path = NULL;
        return -1;
    }
    free(enc);
    etag[0] = '\0';
    if (e->etag != NULL && e->etag[0] != '\0')
        snprintf(etag, QUOTED_ETAG, "\"%s\"", e->etag);
    return 0;
}

/* The ranged read of a blob's new bytes, as blob_read will ask for it. */
static uint64_t range_end(uint64_t from, uint64_t size)
{
    return size - from > WINDOW ? from + WINDOW : size;
}

static void blob_plan(void *src, const struct azf_entry *const *e, const uint64_t *from, size_t n)
{
    struct blob_source *s = src;
    drop_ahead(s);
    if (n < 2)
        return; /* nothing to overlap */
    if ((s->ahead = calloc(n, sizeof(*s->ahead))) == NULL)
        return; /* read one by one, as without a plan */
    for (size_t i = 0; i < n; i++) {
        if (from[i] >= e[i]->size)
            continue; /* nothing to read: no request */
        struct ahead *a = &s->ahead[s->nahead];
        a->key = strdup(e[i]->key);
        if (a->key == NULL || request_target(s, e[i], &a->path, a->etag) < 0) {
            s->nahead++; /* freed with the rest */
            drop_ahead(s);
            return;
        }
        a->from = from[i];
        a->to = range_end(from[i], e[i]->size);
        s->nahead++;
    }
}

/* Fetches planned reads from i on, several at once, as many as AHEAD_MAX
 * bytes hold (at least i's): what a poll holds stays bounded whatever the
 * number of changed blobs. */
static void fetch_ahead(struct blob_source *s, size_t i)
{
    size_t k = i;
    uint64_t bytes = 0;
    for (; k < s->nahead && s->ahead[k].state == 0; k++) {
        struct ahead *a = &s->ahead[k];
        if (k > i && bytes + (a->to - a->from) > AHEAD_MAX)
            break;
        bytes += a->to - a->from;
        a->rq = (struct azf_http_req){ .path = a->path, .range_from = a->from,
                                       .range_to = a->to - 1, .if_match = a->etag[0] ? a->etag : NULL };
        a->rq.query[0] = NULL;
    }
    struct azf_http_job *jobs = calloc(k - i, sizeof(*jobs));
    if (jobs == NULL) {
        k = i + 1; /* one at a time */
        jobs = calloc(1, sizeof(*jobs));
    }
    if (jobs == NULL) {
        s->ahead[i].job.rc = -1;
        snprintf(s->ahead[i].job.errbuf, AZF_ERRBUF_SIZE, "out of memory");
        s->ahead[i].state = 1;
        return;
    }
    for (size_t j = i; j < k; j++)
        jobs[j - i].rq = &s->ahead[j].rq;
    azf_http_get_many(s->http, jobs, k - i);
    for (size_t j = i; j < k; j++) {
        s->ahead[j].job = jobs[j - i];
        s->ahead[j].job.rq = &s->ahead[j].rq;
        s->ahead[j].state = 1;
    }
    free(jobs);
}

static int blob_open(void *src, struct azf_entry *e, void **hp, char *why)
{
    struct blob_source *s = src;
    struct blob_handle *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(why, AZF_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    h->s = s;
    h->size = e->size;
    if (request_target(s, e, &h->path, h->etag) < 0) {
        free(h);
        snprintf(why, AZF_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    /* Opened in the order planned: look from where the last one was. */
    for (size_t k = 0; k < s->nahead; k++) {
        size_t i = (s->ahead_next + k) % s->nahead;
        if (s->ahead[i].state != 2 && strcmp(s->ahead[i].key, e->key) == 0) {
            h->ahead = &s->ahead[i];
            s->ahead_next = i + 1;
            break;
        }
    }
    *hp = h;
    return 0;
}

static long blob_read(void *hp, void *buf, size_t len, uint64_t off, uint64_t upto, char *why)
{
    struct blob_handle *h = hp;
    if (off >= h->size)
        return 0;
    if (!(h->r.body != NULL && off >= h->boff && off < h->boff + h->r.len)) {
        uint64_t end = upto > off ? upto : off + len;
        if (end > h->size)
            end = h->size;
        if (end - off > WINDOW)
            end = off + WINDOW;
        azf_http_resp_free(&h->r);
        struct azf_http_req rq = { .path = h->path, .range_from = off,
                                   .range_to = end - 1, .if_match = h->etag[0] ? h->etag : NULL };
        rq.query[0] = NULL;
        struct azf_http_resp r;
        char errbuf[AZF_ERRBUF_SIZE];
        int rc;
        struct ahead *a = h->ahead;
        if (a != NULL && a->from == off && a->to == end && strcmp(a->etag, h->etag) == 0) {
            /* The read planned: fetched now with the ones after it, or
             * earlier with one before it. */
            if (a->state == 0)
                fetch_ahead(h->s, (size_t)(a - h->s->ahead));
            r = a->job.resp;
            rc = a->job.rc;
            snprintf(errbuf, sizeof(errbuf), "%s", a->job.errbuf);
            memset(&a->job.resp, 0, sizeof(a->job.resp));
            a->state = 2;
            h->ahead = NULL;
        } else {
            rc = azf_http_get(h->s->http, &rq, &r, errbuf);
        }
        if (rc < 0) {
            snprintf(why, AZF_ERRBUF_SIZE, "%s", errbuf);
            return -1;
        }
        if (r.status == 412 || r.status == 404 || r.status == 416) {
            /* Committed again, deleted or shrunk since the listing. */
            azf_http_resp_free(&r);
            why[0] = '\0';
            return -1;
        }
        if (r.status != 206 && r.status != 200) {
            azf_http_status_error(&rq, &r, why);
            azf_http_resp_free(&r);
            return -1;
        }
        azf_http_add_bytes(h->s->http, r.len);
        h->r = r;
        h->boff = r.status == 200 ? 0 : off; /* 200: the whole blob came */
        if (!(off >= h->boff && off < h->boff + h->r.len)) {
            snprintf(why, AZF_ERRBUF_SIZE, "read at %llu: the answer ended early",
                     (unsigned long long)off);
            return -1;
        }
    }
    size_t avail = (size_t)(h->boff + h->r.len - off);
    size_t n = len < avail ? len : avail;
    memcpy(buf, h->r.body + (off - h->boff), n);
    return (long)n;
}

/* Azure appends to a flow-log blob and never rewrites its start; a blob
 * deleted and written again has a new creation time, one rewritten shorter
 * is shorter.  Only then is its start read and compared (the same start:
 * the same blob copied back; read on from the bookmark). */
static int blob_same(const struct azf_entry *e, const struct azf_bookmark *b)
{
    return e->dev != 0 && e->dev == b->dev && e->size >= b->offset;
}

static void blob_close(void *hp)
{
    struct blob_handle *h = hp;
    azf_http_resp_free(&h->r);
    free(h->path);
    free(h);
}

static void blob_free(void *src)
{
    struct blob_source *s = src;
    if (s == NULL)
        return;
    free_res(s);
    free_named(s);
    drop_ahead(s);
    azf_http_free(s->http);
    azf_cred_free(&s->cred);
    azf_blob_url_free(&s->u);
    free(s->keyprefix);
    free(s->folder);
    free(s);
}

static int blob_cancelled(void *src)
{
    return azf_http_cancelled(((struct blob_source *)src)->http);
}

static const struct azf_source_ops blob_ops = {
    .list = blob_list,
    .open = blob_open,
    .read = blob_read,
    .close = blob_close,
    .same_blob = blob_same,
    .covers = blob_covers,
    .plan = blob_plan,
    .free = blob_free,
    .cancelled = blob_cancelled,
    .committed = 1,
};

/* --- the public face ------------------------------------------------------------ */

struct azf_follower *azf_follower_new_blob(const struct azf_blob_opts *o, const char *bookmarks_path,
                                           const struct azf_follow_cbs *cbs,
                                           char errbuf[AZF_ERRBUF_SIZE])
{
    if (o == NULL || o->url == NULL || cbs == NULL || cbs->on_tuple == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "follower: url and on_tuple are required");
        return NULL;
    }
    struct blob_source *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    s->cbs = *cbs;
    s->since_s = o->since_s > 0 ? o->since_s : 0;
    s->newest_bookmarked = -1;
    char why[AZF_ERRBUF_SIZE];
    if (azf_blob_url_parse(o->url, &s->u, errbuf) < 0) {
        free(s);
        return NULL;
    }
    if (azf_cred_load(&s->cred, o, cred_note, s, why) < 0) {
        prefixed(errbuf, s->u.printed, why);
        blob_free(s);
        return NULL;
    }
    /* The prefix names a folder: .../NSG1 is not also .../NSG10 (neither
     * what it lists nor the bookmarks it owns in a shared file). */
    if (asprintf(&s->folder, "%s%s", s->u.prefix, *s->u.prefix ? "/" : "") < 0)
        s->folder = NULL;
    if (s->folder == NULL || asprintf(&s->keyprefix, "%s%s/", s->u.origin, s->u.path) < 0) {
        s->keyprefix = NULL;
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->u.printed);
        blob_free(s);
        return NULL;
    }
    if ((s->http = azf_http_new(&s->u, &s->cred, o->ca_file, errbuf)) == NULL) {
        blob_free(s);
        return NULL;
    }
    /* Bookmarks of this container [+ prefix] are this source's. */
    char *prefix;
    if (asprintf(&prefix, "%s%s", s->keyprefix, s->folder) < 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->u.printed);
        blob_free(s);
        return NULL;
    }
    struct azf_follower *f = azf_follower_new_source(&blob_ops, s, s->u.printed, prefix, bookmarks_path, cbs,
                                                     errbuf);
    free(prefix);
    if (f == NULL)
        return NULL; /* s freed with it */
    s->f = f;
    const struct azf_bookmarks *bms = azf_follower_bms(f);
    for (size_t i = 0; i < bms->n; i++) {
        int64_t h = hour_of(bms->v[i].key + strlen(s->keyprefix));
        if (h > s->newest_bookmarked)
            s->newest_bookmarked = h;
    }
    return f;
}

int azf_follower_blob_check(struct azf_follower *f, char errbuf[AZF_ERRBUF_SIZE])
{
    if (azf_follower_ops(f) != &blob_ops)
        return 0;
    struct blob_source *s = azf_follower_src(f);
    if (s->cred.kind == AZF_CRED_TOKEN && azf_http_token(s->http, errbuf) < 0)
        return -1;
    /* The discovery listing is the first request of every poll anyway. */
    return discover(s, (int64_t)time(NULL), errbuf);
}

void azf_follower_blob_stats(const struct azf_follower *f, struct azf_blob_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (azf_follower_ops(f) == &blob_ops)
        azf_http_stats(((struct blob_source *)azf_follower_src(f))->http, out);
}

void azf_follower_cancel(struct azf_follower *f)
{
    if (azf_follower_ops(f) == &blob_ops)
        azf_http_cancel(((struct blob_source *)azf_follower_src(f))->http);
}

int azf_duration_parse(const char *s, int64_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    long long n = strtoll(s, &end, 10);
    int64_t mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end != '\0' || n < 0 || n > 366LL * 86400 / mul)
        return -1;
    *out = (int64_t)n * mul;
    return 0;
}
