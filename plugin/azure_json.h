/* azflow plugin: the one writer of the EVE `azure` object, as a ready JSON
 * member ("azure":{…}) that a flow caches and every record of it reuses. */
#ifndef AZFLOW_AZURE_JSON_H
#define AZFLOW_AZURE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowinfo.h"

struct az_jbuf {
    char *p;
    size_t len, cap;
};

/* Writes `"azure":{…}` for `in` into b (replacing its content): the
 * aggregate of a flow (with_records) or one azure_flow tuple (blob set).
 * The record strings of `in` and `blob` must be the index's interned
 * strings (their JSON form is taken from there).
 * Fields a log lacks are left out.  Returns 0, or -1 when out of memory. */
int AzAzureJson(struct az_jbuf *b, const struct az_flowinfo *in, bool with_records, const char *blob);
/* Writes `base` (an AzAzureJson result) into b with the members a late
 * alert adds: `"late":true` when `late`, and `"flow_id"` (the mirrored
 * flow's, when the record's own flow is not it) when flow_id is not 0. */
int AzAzureJsonExtend(struct az_jbuf *b, const struct az_jbuf *base, bool late, uint64_t flow_id);
void AzJbufFree(struct az_jbuf *b);

/* An address as Suricata writes it in every EVE record (PrintInet: IPv6 as
 * eight 4-digit groups, not inet_ntop's compressed form), so azure members
 * and azure_flow events join a flow's other records on the same strings. */
const char *AzEveAddr(const struct azf_addr *a, char *buf, size_t len);

#endif
