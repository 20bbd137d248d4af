/* azflow plugin: offline ingestion of flow-log blobs at start-up, before the
 * first packet, so -r runs see every record from their first flow. */
#include "suricata-common.h"
#include "util-debug.h"

#include "ingest.h"
#include "stats.h"

/* More than this many problems in one blob are counted but not each logged:
 * one corrupt blob must not flood suricata.log. */
#define AZ_LOG_PROBLEMS_PER_BLOB 10

struct ingest_ctx {
    const char *blob;
    az_tuple_sink sink;
    void *user;
    uint64_t problems;
};

static int OnTuple(const struct azf_tuple *t, void *user)
{
    struct ingest_ctx *c = user;
    AZ_STAT_ADD(records, 1);
    c->sink(t, c->blob, c->user);
    return 0;
}

static void OnError(uint64_t offset, const char *reason, void *user)
{
    struct ingest_ctx *c = user;
    AZ_STAT_ADD(records_invalid, 1);
    if (++c->problems <= AZ_LOG_PROBLEMS_PER_BLOB)
        SCLogWarning("azflow: %s:%" PRIu64 ": %s", c->blob, offset, reason);
    else if (c->problems == AZ_LOG_PROBLEMS_PER_BLOB + 1)
        SCLogWarning("azflow: %s: more problems; counting them in azure.records_invalid", c->blob);
}

int AzIngestOffline(const struct az_config *cfg, az_tuple_sink sink, void *user, char *err,
        size_t errlen)
{
    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct az_flowlog_source *src = &cfg->sources[i];
        if (src->follow)
            continue; /* read by the follower, from its bookmarks */
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
            struct ingest_ctx c = { .blob = paths[j], .sink = sink, .user = user };
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
