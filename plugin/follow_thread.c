/* azflow plugin: follow mode.  One follower per source shares the bookmark
 * file; a single thread polls them in turn so the file has one writer. */
#include "suricata-common.h"
#include <pthread.h>
#include "util-debug.h"

#include "follow_thread.h"
#include "index.h"
#include "stats.h"

#define AZ_FOLLOW_INTERVAL_MS 1000

struct source {
    struct azf_follower *follower;
    const struct az_flowlog_source *cfg;
    const char *blob;     /* the blob being read, set by on_blob */
    uint64_t problems;    /* in the current poll, for rate-limited logging */
};

static struct source *g_sources;
static size_t g_nsources;
static pthread_t g_thread;
static bool g_running;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static bool g_stop;

static int OnTuple(const struct azf_tuple *t, void *user)
{
    struct source *s = user;
    AzIngestTuple(t, s->blob);
    return 0;
}

static int OnReplayed(const struct azf_tuple *t, void *user)
{
    const struct source *s = user;
    if (AzIndexAddReplayed(t, s->cfg->path) < 0)
        AZ_STAT_ADD(records_evicted, 1);
    return 0;
}

static void OnError(uint64_t offset, const char *reason, void *user)
{
    struct source *s = user;
    AzIngestProblem(s->blob ? s->blob : s->cfg->path, offset, reason, &s->problems);
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

static void PollAll(void)
{
    for (size_t i = 0; i < g_nsources; i++) {
        struct source *s = &g_sources[i];
        char errbuf[AZF_ERRBUF_SIZE];
        s->problems = 0;
        if (azf_follower_poll(s->follower, errbuf) < 0)
            SCLogWarning("azflow: follow: %s", errbuf);
        s->blob = NULL;
    }
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
        char errbuf[AZF_ERRBUF_SIZE];
        s->follower = azf_follower_new(s->cfg->path, cfg->bookmarks, &cbs, errbuf);
        if (s->follower == NULL) {
            snprintf(err, errlen, "azure.flow-logs.%zu: %s", i, errbuf);
            return -1;
        }
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
    PollAll();
    SCLogInfo("azflow: following %zu source(s): %" PRIu64 " records read past the bookmarks at start-up",
            g_nsources, AZ_STAT_GET(records) - before);
    return 0;
}

static void *FollowLoop(void *arg)
{
    pthread_mutex_lock(&g_lock);
    while (!g_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)AZ_FOLLOW_INTERVAL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g_cond, &g_lock, &until);
        if (g_stop)
            break;
        pthread_mutex_unlock(&g_lock);
        PollAll();
        pthread_mutex_lock(&g_lock);
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

int AzFollowStart(void)
{
    if (g_nsources == 0 || g_running)
        return 0;
    if (pthread_create(&g_thread, NULL, FollowLoop, NULL) != 0)
        return -1;
    g_running = true;
    return 0;
}

void AzFollowStop(void)
{
    if (g_running) {
        pthread_mutex_lock(&g_lock);
        g_stop = true;
        pthread_cond_signal(&g_cond);
        pthread_mutex_unlock(&g_lock);
        pthread_join(g_thread, NULL);
        g_running = false;
    }
    for (size_t i = 0; i < g_nsources; i++)
        if (g_sources[i].follower != NULL)
            azf_follower_free(g_sources[i].follower);
    free(g_sources);
    g_sources = NULL;
    g_nsources = 0;
}
