/* azflow plugin: reads the configured flow-log sources through the decoder
 * and hands each tuple on; problems are counted and logged with file:offset. */
#ifndef AZFLOW_INGEST_H
#define AZFLOW_INGEST_H

#include "flowlog.h"
#include "config.h"

/* Receives every good tuple and the blob it came from. */
typedef void (*az_tuple_sink)(const struct azf_tuple *t, const char *blob, void *user);

/* Reads every blob of every non-follow source once, start to end.  Returns 0, or -1
 * with err naming the key of the source that could not be read. */
int AzIngestOffline(const struct az_config *cfg, az_tuple_sink sink, void *user, char *err,
        size_t errlen);

#endif
