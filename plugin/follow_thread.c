/* azflow plugin: follow mode.  One follower per source shares the bookmark
 * file; a single thread polls them in turn so the file has one writer.  A
 * storage source (url) is polled every `poll` seconds; its requests, waits
 * and retries happen on this thread, never on a packet thread. */
#include "suricata-common.h"
#include <pthread.h>
#include "util-debug.h"

#include "azblob.h"

#include "follow_thread.h"
#include "ticker.h"
#include "index.h"
#include "stats.h"

#define AZ_FOLLOW_INTERVAL_MS 1000

/* The same storage error is logged again only after this long. */
#define AZ_ERROR_REPEAT_S 300

struct source {
    struct azf_follower *follower;
    const struct az_flowlog_source *cfg;
    const char *blob;     /* the blob being read, set by on_blob */
    uint64_t problems;    /* in the current poll, for rate-limited logging */
    time_t next_poll;     /* url: when to list again */
    struct azf_blob_stats counted; /* url: what is already in azure.blob_* */
    char last_error[AZF_ERRBUF_SIZE];
    time_t last_error_at;
};

static struct source *g_sources;
static size_t g_nsources;

static int OnTuple(const struct azf_tuple *t, void *user)
{
    struct source *s = user;
    AzIngestTuple(t, s->blob);
    return 0;
}

static int OnReplayed(const struct azf_tuple *t, void *user)
{
    const struct source *s = user;
    if (AzIndexAddReplayed(t, AzSourceName(s->cfg)) < 0)
        AZ_STAT_ADD(records_evicted, 1);
    return 0;
}

static void OnError(uint64_t offset, const char *reason, void *user)
{
    struct source *s = user;
    AzIngestProblem(s->blob ? s->blob : AzSourceName(s->cfg), offset, reason, &s->problems);
}

/* azure.blobs counts each blob once, however many polls read from it: a
 * set of path hashes (a 64-bit FNV-1a collision only undercounts). */
#define AZ_SEEN_MAX 65536
static uint64_t g_seen[AZ_SEEN_MAX];
static size_t g_nseen;

static void CountBlob(const char *path)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *c = path; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ULL;
    h |= 1; /* 0 marks an empty slot */
    size_t i = h % AZ_SEEN_MAX;
    for (size_t n = 0; n < AZ_SEEN_MAX; n++, i = (i + 1) % AZ_SEEN_MAX) {
        if (g_seen[i] == h)
            return;
        if (g_seen[i] == 0) {
            if (g_nseen < AZ_SEEN_MAX / 2) { /* keep probes short */
                g_seen[i] = h;
                g_nseen++;
            }
            AZ_STAT_ADD(blobs, 1);
            return;
        }
    }
}

static void OnBlob(const char *path, void *user)
{
    struct source *s = user;
    s->blob = path;
    CountBlob(path);
}

static void OnNotice(const char *path, const char *what, void *user)
{
    SCLogNotice("azflow: %s: %s", path, what);
}

static int Accept(const char *path, void *user)
{
    const struct source *s = user;
    return AzConfigSourceAccepts(s->cfg, path);
}

/* The storage counters since the last look, into azure.blob_*. */
static void CountRequests(struct source *s)
{
    struct azf_blob_stats now;
    azf_follower_blob_stats(s->follower, &now);
    AZ_STAT_ADD(blob_requests, now.requests - s->counted.requests);
    AZ_STAT_ADD(blob_retries, now.retries - s->counted.retries);
    AZ_STAT_ADD(blob_failures, now.failures - s->counted.failures);
    AZ_STAT_ADD(blob_bytes, now.bytes - s->counted.bytes);
    s->counted = now;
}

/* Storage errors during follow are retried at the next poll, never fatal;
 * one that repeats is logged again only every AZ_ERROR_REPEAT_S. */
static void PollError(struct source *s, const char *errbuf)
{
    time_t now = time(NULL);
    if (strcmp(errbuf, s->last_error) == 0 && now - s->last_error_at < AZ_ERROR_REPEAT_S)
        return;
    SCLogWarning("azflow: follow: %s", errbuf);
    strlcpy(s->last_error, errbuf, sizeof(s->last_error));
    s->last_error_at = now;
}

static void PollAll(bool all)
{
    time_t now = time(NULL);
    for (size_t i = 0; i < g_nsources; i++) {
        struct source *s = &g_sources[i];
        if (s->cfg->url != NULL && !all && now < s->next_poll)
            continue;
        char errbuf[AZF_ERRBUF_SIZE];
        s->problems = 0;
        if (azf_follower_poll(s->follower, errbuf) < 0) {
            PollError(s, errbuf);
        } else if (s->last_error[0] != '\0') {
            SCLogNotice("azflow: follow: %s: read again", AzSourceName(s->cfg));
            s->last_error[0] = '\0';
        }
        s->blob = NULL;
        if (s->cfg->url != NULL) {
            CountRequests(s);
            s->next_poll = time(NULL) + (time_t)s->cfg->poll_s;
        }
    }
}

/* A follower for a path or a url source.  A url source's credential,
 * container and TLS are checked with one request, so a mistake stops
 * start-up with its key. */
static struct azf_follower *NewFollower(const struct az_flowlog_source *src, size_t i,
        const char *bookmarks, const struct azf_follow_cbs *cbs, char *err, size_t errlen)
{
    char errbuf[AZF_ERRBUF_SIZE];
    struct azf_follower *f;
    if (src->url == NULL) {
        f = azf_follower_new(src->path, bookmarks, cbs, errbuf);
    } else {
        struct azf_blob_opts o = { .url = src->url, .sas_file = src->sas_file,
            .account_key_file = src->account_key_file, .managed_identity = src->managed_identity,
            .ca_file = src->ca_file, .since_s = src->since_s };
        f = azf_follower_new_blob(&o, bookmarks, cbs, errbuf);
        if (f != NULL && azf_follower_blob_check(f, errbuf) < 0) {
            azf_follower_free(f);
            f = NULL;
        }
    }
    if (f == NULL)
        snprintf(err, errlen, "azure.flow-logs.%zu: %s", i, errbuf);
    return f;
}

struct once_ctx {
    const char *blob;
    uint64_t problems;
    size_t blobs;
};

static int OnceTuple(const struct azf_tuple *t, void *user)
{
    AzIngestTuple(t, ((struct once_ctx *)user)->blob);
    return 0;
}

static void OnceError(uint64_t offset, const char *reason, void *user)
{
    struct once_ctx *c = user;
    AzIngestProblem(c->blob, offset, reason, &c->problems);
}

static void OnceBlob(const char *path, void *user)
{
    struct once_ctx *c = user;
    c->blob = path;
    c->problems = 0;
    c->blobs++;
    CountBlob(path);
}

int AzFollowOnce(const struct az_flowlog_source *src, size_t i, char *err, size_t errlen)
{
    struct once_ctx c = { .blob = src->url };
    struct azf_follow_cbs cbs = { .on_tuple = OnceTuple, .on_error = OnceError, .on_blob = OnceBlob,
        .on_notice = OnNotice, .user = &c };
    struct azf_follower *f = NewFollower(src, i, NULL, &cbs, err, errlen);
    if (f == NULL)
        return -1;
    struct source s = { .follower = f, .cfg = src };
    azf_follower_set_filter(f, Accept, &s);
    uint64_t before = AZ_STAT_GET(records);
    char errbuf[AZF_ERRBUF_SIZE];
    int rc = 0;
    if (azf_follower_poll(f, errbuf) < 0) {
        snprintf(err, errlen, "azure.flow-logs.%zu: %s", i, errbuf);
        rc = -1;
    }
    CountRequests(&s);
    azf_follower_free(f);
    if (rc == 0)
        SCLogInfo("azflow: %s: %zu blobs, %" PRIu64 " records", src->url, c.blobs,
                AZ_STAT_GET(records) - before);
    return rc;
}

int AzFollowInit(const struct az_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->nsources; i++)
        if (cfg->sources[i].follow)
            g_nsources++;
    if (g_nsources == 0)
        return 0;
    g_sources = calloc(g_nsources, sizeof(*g_sources));
    if (g_sources == NULL) {
        snprintf(err, errlen, "azure.flow-logs: out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < cfg->nsources; i++) {
        if (!cfg->sources[i].follow)
            continue;
        struct source *s = &g_sources[n++];
        s->cfg = &cfg->sources[i];
        struct azf_follow_cbs cbs = { .on_tuple = OnTuple, .on_error = OnError, .on_blob = OnBlob,
            .on_notice = OnNotice, .user = s };
        s->follower = NewFollower(s->cfg, i, cfg->bookmarks, &cbs, err, errlen);
        if (s->follower == NULL)
            return -1;
        azf_follower_set_filter(s->follower, Accept, s);
    }
    /* After a restart the bookmarks skip what was delivered before, but
     * flows within the correlation window still need those records: re-read
     * the last window's worth (by the clock), silently. */
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t since = ((int64_t)now.tv_sec - (int64_t)cfg->window_s) * 1000000;
    long replayed = 0;
    for (size_t i = 0; i < g_nsources; i++) {
        long r = azf_follower_replay(g_sources[i].follower, since, OnReplayed, &g_sources[i]);
        replayed += r > 0 ? r : 0;
    }
    if (replayed > 0)
        SCLogInfo("azflow: %ld records of the last %" PRIu64 "s re-read from before the bookmarks",
                replayed, cfg->window_s);
    uint64_t before = AZ_STAT_GET(records);
    PollAll(true);
    SCLogInfo("azflow: following %zu source(s): %" PRIu64 " records read past the bookmarks at start-up",
            g_nsources, AZ_STAT_GET(records) - before);
    return 0;
}

static void PollTick(void)
{
    PollAll(false);
}

static struct az_ticker g_ticker = AZ_TICKER_INIT(AZ_FOLLOW_INTERVAL_MS, PollTick, azf_blob_thread_end, NULL);

int AzFollowStart(void)
{
    if (g_nsources == 0 || AzTickerRunning(&g_ticker))
        return 0;
    if (AzTickerStart(&g_ticker) < 0)
        return -1;
    /* The thread must stop before the crypto library's own exit handler
     * (registered when the first storage source started libcurl, after
     * the plugin's) tears down what its requests use: exit handlers run
     * last-registered first, so this one goes before it. */
    static bool registered;
    if (!registered && atexit(AzFollowStop) == 0)
        registered = true;
    return 0;
}

void AzFollowStop(void)
{
    if (AzTickerRunning(&g_ticker)) {
        /* A storage request under way or a retry wait ends now; what it
         * was reading is read again after a restart. */
        for (size_t i = 0; i < g_nsources; i++)
            azf_follower_cancel(g_sources[i].follower);
        AzTickerStop(&g_ticker);
    }
    for (size_t i = 0; i < g_nsources; i++)
        if (g_sources[i].follower != NULL)
            azf_follower_free(g_sources[i].follower);
    free(g_sources);
    g_sources = NULL;
    g_nsources = 0;
}
