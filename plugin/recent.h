/* azflow plugin: a short memory of the mirrored flows Suricata saw, so a
 * record read after its flow ended still learns its flow_id and `mirrored`. */
#ifndef AZFLOW_RECENT_H
#define AZFLOW_RECENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "index.h"

/* window_s: how far a record's time may lie outside a flow's lifetime. */
int AzRecentInit(size_t max_flows, uint64_t window_s);
void AzRecentDestroy(void);
/* Only the azure_flow event writer and capture mode's merge ask the memory;
 * until one of them enables it (before the first packet), noting is a no-op
 * and flows skip it. */
void AzRecentEnable(void);
extern _Atomic bool az_recent_enabled;
static inline bool AzRecentEnabled(void)
{
    return atomic_load_explicit(&az_recent_enabled, memory_order_relaxed);
}
/* Remembers (or updates, matched by flow_id) a flow; end_us 0 = still live. */
void AzRecentNote(const struct az_key *k, uint64_t flow_id, int64_t start_us, int64_t end_us);
/* The flow_id of a remembered flow whose lifetime, widened by the window,
 * holds ts_us: the mirrored flow a record belongs to; 0 when none. */
uint64_t AzRecentFind(const struct az_key *k, int64_t ts_us);

#endif
