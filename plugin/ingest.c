/* azflow plugin: offline ingestion of flow-log blobs at start-up, before the
 * first packet, so -r runs see every record from their first flow. */
#include "suricata-common.h"
#include "util-debug.h"

#include "follow_thread.h"
#include "index.h"
#include "ingest.h"
#include "late.h"
#include "stats.h"

/* More than this many problems in one blob are counted but not each logged:
 * one corrupt blob must not flood suricata.log. */
#define AZ_LOG_PROBLEMS_PER_BLOB 10

void AzIngestTuple(const struct azf_tuple *t, const char *blob)
{
    AZ_STAT_ADD(records, 1);
    /* The newest record time, for azure.lag (a racing writer only makes
     * it lag by one record). */
    if (t->ts_us > 0 && (uint64_t)t->ts_us > AZ_STAT_GET(newest_record_us))
        atomic_store_explicit(&az_stats.newest_record_us, (uint64_t)t->ts_us, memory_order_relaxed);
    if (AzIndexAdd(t, blob) < 0) {
        AZ_STAT_ADD(records_evicted, 1); /* out of memory: as good as evicted */
        return;
    }
    AzLateRecord(t); /* live: flows whose packets went by learn of it */
}

void AzIngestProblem(const char *blob, uint64_t offset, const char *reason, uint64_t *count)
{
    AZ_STAT_ADD(records_invalid, 1);
    if (++*count <= AZ_LOG_PROBLEMS_PER_BLOB)
        SCLogWarning("azflow: %s:%" PRIu64 ": %s", blob, offset, reason);
    else if (*count == AZ_LOG_PROBLEMS_PER_BLOB + 1)
        SCLogWarning("azflow: %s: more problems; counting them in azure.records_invalid", blob);
}

struct ingest_ctx {
    const char *blob;
    uint64_t problems;
};

static int OnTuple(const struct azf_tuple *t, void *user)
{
    AzIngestTuple(t, ((const struct ingest_ctx *)user)->blob);
    return 0;
}

static void OnError(uint64_t offset, const char *reason, void *user)
{
    struct ingest_ctx *c = user;
    AzIngestProblem(c->blob, offset, reason, &c->problems);
}

int AzIngestOffline(const struct az_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct az_flowlog_source *src = &cfg->sources[i];
        if (src->follow)
            continue; /* read by the follower, from its bookmarks */
        if (src->url != NULL) {
            /* A container is read by the one follower, once, positions
             * kept in memory only. */
            if (AzFollowOnce(src, i, err, errlen) < 0)
                return -1;
            continue;
        }
        char errbuf[AZF_ERRBUF_SIZE];
        char **paths;
        size_t n;
        if (azf_blob_list(src->path, &paths, &n, errbuf) < 0) {
            snprintf(err, errlen, "azure.flow-logs.%zu.path: %s", i, errbuf);
            return -1;
        }
        uint64_t before = AZ_STAT_GET(records);
        size_t blobs = 0;
        for (size_t j = 0; j < n; j++) {
            if (!AzConfigSourceAccepts(src, paths[j]))
                continue;
            struct ingest_ctx c = { .blob = paths[j] };
            if (azf_decode_file(paths[j], OnTuple, OnError, &c, errbuf) < 0) {
                /* A blob unreadable now (deleted, permissions) is a problem
                 * of that blob, not of the configuration. */
                AZ_STAT_ADD(records_invalid, 1);
                SCLogWarning("azflow: %s", errbuf);
                continue;
            }
            AZ_STAT_ADD(blobs, 1);
            blobs++;
        }
        azf_blob_list_free(paths, n);
        SCLogInfo("azflow: %s: %zu blobs, %" PRIu64 " records", src->path, blobs,
                AZ_STAT_GET(records) - before);
    }
    return 0;
}
