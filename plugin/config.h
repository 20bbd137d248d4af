/* azflow plugin: the `azure:` section of suricata.yaml, read and validated
 * once at start-up.  A bad value stops Suricata with a message naming the key. */
#ifndef AZFLOW_CONFIG_H
#define AZFLOW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AZ_CONFIG_ERRLEN 512

struct az_flowlog_source {
    char *path;          /* blob file or folder; NULL for a storage source */
    char *url;           /* storage container [+ prefix] (no query); NULL for a path */
    char *sas_file, *account_key_file, *managed_identity, *ca_file; /* url only */
    uint64_t poll_s;     /* url: seconds between listings */
    int64_t since_s;     /* url: without bookmarks, read back this far */
    bool follow;         /* keep reading growing blobs */
    char *include;       /* PCRE2 source text on the blob path, or NULL */
    void *include_re;    /* compiled pcre2_code *, or NULL */
};

struct az_config {
    struct az_flowlog_source *sources;
    size_t nsources;
    uint64_t window_s;   /* correlation.window */
    uint64_t memcap;     /* correlation.memcap, bytes */
    uint64_t delay_s;    /* correlation.delay: how late a record may come */
    uint64_t history_memcap; /* correlation.history-memcap, bytes */
    char *bookmarks;     /* follow-mode state file, or NULL */
    char *capture_input;
    char *capture_interface;
    bool detect_prefilter; /* azure.detect.prefilter (hidden): the rule engine on */
    uint32_t detect_buckets; /* azure.detect.buckets (hidden): index buckets; 0: from memcap */
};

#define AZ_DEFAULT_WINDOW_S 120
#define AZ_DEFAULT_MEMCAP (256ULL * 1024 * 1024)
#define AZ_MIN_MEMCAP (1024ULL * 1024)
#define AZ_DEFAULT_DELAY_S 900
#define AZ_DEFAULT_HISTORY_MEMCAP (256ULL * 1024 * 1024)

/* Reads `azure.*`.  Returns 0, or -1 with `err` naming the key and the fault.
 * An absent `azure:` section is valid: the plugin then has nothing to read. */
int AzConfigLoad(struct az_config *cfg, char *err, size_t errlen);
void AzConfigFree(struct az_config *cfg);
#define AZ_DEFAULT_POLL_S 60
#define AZ_DEFAULT_SINCE_S 7200

/* The source as printed: its path or its URL. */
static inline const char *AzSourceName(const struct az_flowlog_source *src)
{
    return src->path != NULL ? src->path : src->url;
}

/* Does `path` pass the source's include filter? */
bool AzConfigSourceAccepts(const struct az_flowlog_source *src, const char *path);
/* Does any source follow (so records can arrive after their flow)? */
bool AzConfigFollows(const struct az_config *cfg);

#endif
