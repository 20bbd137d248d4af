/* azflow plugin: late records on a live sensor.  Azure commits a flow's
 * records a minute or more after its packets, so on a live sensor a rule
 * over azure.* facts would only fire on packets that happen to come after
 * the record.  Two things make live detection equal to offline:
 *
 *   retention  a live flow stays in Suricata's flow table until its final
 *              record (end, deny, or an NSG v1 record) has come, or
 *              `correlation.delay` after its last packet;
 *   surrogate  when the follower indexes a record for a flow of the
 *              history, a header-only packet of that flow is queued to the
 *              worker that owns the flow; the worker runs it through flow
 *              lookup, stream and detection like any packet, so the rules
 *              see the new facts on the original flow (its flow_id, its
 *              interface), and the alert says `"late": true`.
 *
 * Both lean on Suricata internals that are not plugin API (a worker's
 * injection queue, the flow's timeout policy): host_guard.h checks the host
 * is the build the plugin was compiled against.  Active only in live
 * runmodes with a following flow-log source; offline runs never see it. */
#ifndef AZFLOW_LATE_H
#define AZFLOW_LATE_H

#include <stdbool.h>
#include <stdint.h>

#include "flowlog.h"

struct Packet_;
struct Flow_;
struct az_worker;

/* From the plugin's Init: `follow` says a flow-log source follows (records
 * can arrive late at all).  Registers the per-worker hook. */
int AzLateRegister(uint64_t delay_s, bool follow);
/* Starts / stops the thread that sends surrogates (logging-ready / exit). */
int AzLateStart(void);
void AzLateStop(void);
/* Is this a live run in which records can come late?  Decided at the first
 * flow (the runmode sets live time after the plugin's Init). */
bool AzLateActive(void);
uint64_t AzLateDelay(void);

/* The follower indexed `t`: the flows of the history it belongs to get a
 * surrogate once the poll that brought it has settled. */
void AzLateRecord(const struct azf_tuple *t);

/* The calling worker thread, for the history's injection details (NULL
 * outside packet threads). */
struct az_worker *AzLateWorker(void);
/* Is `p` a surrogate, and for which mirrored flow was it sent? */
bool AzLateIsSurrogate(const struct Packet_ *p);
uint64_t AzLateSurrogateFlowId(const struct Packet_ *p);
/* The last packet (µs) of the flow a surrogate was sent for, as the
 * history knew it when the record came; 0 when the flow had not ended. */
int64_t AzLateSurrogateFlowEnd(const struct Packet_ *p);

#endif
