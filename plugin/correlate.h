/* azflow plugin: joins Suricata flows with indexed flow-log records through
 * flow storage and the flow init/update callbacks. */
#ifndef AZFLOW_CORRELATE_H
#define AZFLOW_CORRELATE_H

#include <stdint.h>

#include <stdbool.h>

/* Registers the flow storage and callbacks; call from the plugin's Init.
 * Without flow-log sources flows carry only capture-mode metadata. */
int AzCorrelateRegister(bool have_sources);

#include <stdbool.h>

struct Flow_;
/* The flow's `"azure":{…}` member, or NULL when it has nothing to say.
 * Built once per change of the aggregate; `at_end` first folds the records
 * of the flow's whole lifetime (flow and netflow records, which come at the
 * flow's end without a packet). */
const char *AzFlowAzureJson(struct Flow_ *f, bool at_end, bool late);
/* After stream and detection of a packet of f (late.c's per-worker hook,
 * live runs with late records only): holds the flow in the table while its
 * records are missing, and keeps its surrogate details current. */
struct Packet_;
void AzCorrelateAfterPacket(struct Flow_ *f, const struct Packet_ *p);

#endif
