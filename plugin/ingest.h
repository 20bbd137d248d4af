/* azflow plugin: reads the configured flow-log sources through the decoder
 * and hands each tuple on; problems are counted and logged with file:offset. */
#ifndef AZFLOW_INGEST_H
#define AZFLOW_INGEST_H

#include "flowlog.h"
#include "config.h"

/* One good tuple read from `blob`: counted in azure.records and indexed. */
void AzIngestTuple(const struct azf_tuple *t, const char *blob);
/* One problem at blob:offset: counted in azure.records_invalid and logged;
 * past the first few of a blob (*count, kept by the caller) only counted, so
 * one corrupt blob cannot flood suricata.log. */
void AzIngestProblem(const char *blob, uint64_t offset, const char *reason, uint64_t *count);

/* Reads every blob of every non-follow source once, start to end.  Returns 0, or -1
 * with err naming the key of the source that could not be read. */
int AzIngestOffline(const struct az_config *cfg, char *err, size_t errlen);

#endif
