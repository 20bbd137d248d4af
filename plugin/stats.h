/* azflow plugin: the contract's stats counters (azure.*), kept as atomics the
 * plugin's threads bump and Suricata's stats thread reads as global counters. */
#ifndef AZFLOW_STATS_H
#define AZFLOW_STATS_H

#include <stdatomic.h>
#include <stdint.h>

struct az_stats {
    atomic_uint_fast64_t records;
    atomic_uint_fast64_t records_invalid;
    atomic_uint_fast64_t records_correlated;
    atomic_uint_fast64_t records_evicted;
    atomic_uint_fast64_t blobs;
    atomic_uint_fast64_t flows_enriched;
    /* azure.memuse is their sum.  Each has its own bound: the record
     * index (buckets, digest, records, interned values) correlation.memcap,
     * the history of mirrored flows (recent.c) history-memcap; so neither
     * may evict for the other's bytes. */
    atomic_uint_fast64_t index_memuse;
    atomic_uint_fast64_t history_memuse;
    /* The rule engine (kw_prefilter.c): packets it ran on, packets on
     * which it evaluated rules (a flow's facts or state changed, or a
     * window ran out), rules it made candidates, and flows it found no
     * loaded rule could match by their digest (no state, no lookup). */
    atomic_uint_fast64_t detect_calls;
    atomic_uint_fast64_t detect_key_changes;
    atomic_uint_fast64_t detect_candidates;
    atomic_uint_fast64_t detect_flows_unmatchable;
    /* late records (live): see late.h */
    atomic_uint_fast64_t late_surrogates;   /* header-only packets sent to a flow's worker */
    atomic_uint_fast64_t late_flow_gone;    /* of those, for a flow no longer in the table */
    atomic_uint_fast64_t late_dropped;      /* not sent: worker gone, out of memory, shutdown */
    atomic_uint_fast64_t flows_retained;    /* flows held in the table awaiting records (gauge) */
    atomic_uint_fast64_t flows_retain_evicted; /* held flows Suricata evicted early */
    atomic_uint_fast64_t history_flows;     /* flows in the history (gauge) */
    atomic_uint_fast64_t history_evicted;   /* flows the history's memcap dropped early */
    /* Storage sources (url): requests, retries, given up, blob bytes. */
    atomic_uint_fast64_t blob_requests;
    atomic_uint_fast64_t blob_retries;
    atomic_uint_fast64_t blob_failures;
    atomic_uint_fast64_t blob_bytes;
    atomic_uint_fast64_t newest_record_us; /* azure.lag is now minus this */
};

extern struct az_stats az_stats;

#define AZ_STAT_ADD(field, n) atomic_fetch_add_explicit(&az_stats.field, (n), memory_order_relaxed)
#define AZ_STAT_SUB(field, n) atomic_fetch_sub_explicit(&az_stats.field, (n), memory_order_relaxed)
#define AZ_STAT_GET(field) atomic_load_explicit(&az_stats.field, memory_order_relaxed)

/* A run starts (its stats context exists, no packet thread runs yet):
 * zeroes the per-run counters and registers all of them with Suricata. */
void AzStatsRunStart(void);

#endif
