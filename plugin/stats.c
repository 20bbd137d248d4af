/* azflow plugin: exposes the azure.* counters through Suricata's global
 * counters, so they appear in stats.log and EVE stats like built-in ones.
 * They are registered into each run's stats context (see plugin.c), never
 * while the plugin is idle. */
#include "suricata-common.h"
#include "counters.h"

#include "stats.h"

struct az_stats az_stats;

#define GETTER(field)                                                                              \
    static uint64_t Get_##field(void)                                                              \
    {                                                                                              \
        return AZ_STAT_GET(field);                                                                 \
    }
GETTER(records)
GETTER(records_invalid)
GETTER(records_correlated)
GETTER(records_evicted)
GETTER(blobs)
GETTER(flows_enriched)
GETTER(detect_calls)
GETTER(detect_key_changes)
GETTER(detect_candidates)
GETTER(detect_flows_unmatchable)
GETTER(late_surrogates)
GETTER(late_flow_gone)
GETTER(late_dropped)
GETTER(flows_retained)
GETTER(flows_retain_evicted)
GETTER(history_flows)
GETTER(history_evicted)
GETTER(blob_requests)
GETTER(blob_retries)
GETTER(blob_failures)
GETTER(blob_bytes)

static uint64_t Get_memuse(void)
{
    return AZ_STAT_GET(index_memuse) + AZ_STAT_GET(history_memuse);
}

/* Seconds from the newest record time indexed to now: a stale source
 * shows as a growing lag (0 until a record is indexed). */
static uint64_t Get_lag(void)
{
    uint64_t newest = AZ_STAT_GET(newest_record_us);
    struct timeval now;
    gettimeofday(&now, NULL);
    uint64_t now_us = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_usec;
    return newest == 0 || newest >= now_us ? 0 : (now_us - newest) / 1000000;
}

void AzStatsRunStart(void)
{
    /* What a run did starts from zero, as Suricata's own counters do with
     * each run's stats context; what the index holds carries over. */
    atomic_store(&az_stats.records_correlated, 0);
    atomic_store(&az_stats.flows_enriched, 0);
    atomic_store(&az_stats.detect_calls, 0);
    atomic_store(&az_stats.detect_key_changes, 0);
    atomic_store(&az_stats.detect_candidates, 0);
    atomic_store(&az_stats.detect_flows_unmatchable, 0);
    /* With stats disabled Suricata reports none; registering would only
     * fill a context nobody reads. */
    if (!StatsEnabled())
        return;
    StatsRegisterGlobalCounter("azure.records", Get_records);
    StatsRegisterGlobalCounter("azure.records_invalid", Get_records_invalid);
    StatsRegisterGlobalCounter("azure.records_correlated", Get_records_correlated);
    StatsRegisterGlobalCounter("azure.records_evicted", Get_records_evicted);
    StatsRegisterGlobalCounter("azure.blobs", Get_blobs);
    StatsRegisterGlobalCounter("azure.flows_enriched", Get_flows_enriched);
    StatsRegisterGlobalCounter("azure.memuse", Get_memuse);
    StatsRegisterGlobalCounter("azure.detect_calls", Get_detect_calls);
    StatsRegisterGlobalCounter("azure.detect_key_changes", Get_detect_key_changes);
    StatsRegisterGlobalCounter("azure.detect_candidates", Get_detect_candidates);
    StatsRegisterGlobalCounter("azure.detect_flows_unmatchable", Get_detect_flows_unmatchable);
    StatsRegisterGlobalCounter("azure.late_surrogates", Get_late_surrogates);
    StatsRegisterGlobalCounter("azure.late_flow_gone", Get_late_flow_gone);
    StatsRegisterGlobalCounter("azure.late_dropped", Get_late_dropped);
    StatsRegisterGlobalCounter("azure.flows_retained", Get_flows_retained);
    StatsRegisterGlobalCounter("azure.flows_retain_evicted", Get_flows_retain_evicted);
    StatsRegisterGlobalCounter("azure.history_flows", Get_history_flows);
    StatsRegisterGlobalCounter("azure.history_evicted", Get_history_evicted);
    StatsRegisterGlobalCounter("azure.blob_requests", Get_blob_requests);
    StatsRegisterGlobalCounter("azure.blob_retries", Get_blob_retries);
    StatsRegisterGlobalCounter("azure.blob_failures", Get_blob_failures);
    StatsRegisterGlobalCounter("azure.blob_bytes", Get_blob_bytes);
    StatsRegisterGlobalCounter("azure.lag", Get_lag);
}
