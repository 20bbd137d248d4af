/* azflow plugin: the azure.* rule keywords.  AzKeywordsRegister() is the one
 * entry point; the rest is shared by plugin/kw_*.c only. */
#ifndef AZFLOW_KEYWORDS_H
#define AZFLOW_KEYWORDS_H

#include <stdbool.h>

/* Registers every azure.* keyword and the azure.rule / azure.acl buffers,
 * with the rule engine (plugin/keywords/kw_prefilter.c) unless `prefilter` is false.
 * Must run before Suricata closes buffer registration: from the plugin's
 * Init, or handed to SCSigTablePreRegister() there. */
void AzKeywordsRegister(bool prefilter);

/* --- private to plugin/kw_*.c ---------------------------------------------- */

struct Packet_;
struct az_flowinfo;
struct SigMatchCtx_;

/* A keyword's verdict on a flow's info (NULL: the flow has none).  Its
 * Match is this on the packet's flow; the rule engine calls it with the
 * info already in hand. */
typedef bool (*AzKwTestFn)(const struct az_flowinfo *info, const struct SigMatchCtx_ *ctx);

/* At least one record correlated: what every keyword but azure.vpn needs. */
#define AzKwHasRecord(info) ((info) != NULL && (info)->records > 0)

/* Each keyword file registers its own kind (called by AzKeywordsRegister). */
void AzKwEnumRegister(void);
void AzKwUintRegister(void);
void AzKwBufferRegister(void);

/* The packet's flow info when at least one record correlated, else NULL:
 * what every keyword but azure.vpn needs before it may be true. */
const struct az_flowinfo *AzKwRecordInfo(const struct Packet_ *p);

/* The packet's flow info even without a record (capture-mode VPN packets
 * carry a layer but no record), else NULL. */
const struct az_flowinfo *AzKwFlowInfo(const struct Packet_ *p);

/* A keyword id that Suricata could not allocate is fatal: a plugin whose
 * rules silently fail to load is worse than one that stops. */
int AzKwNewId(const char *name);

/* The rule engine (kw_prefilter.c).  Each keyword registers its id with
 * AzKwPrefilterKeyword, each buffer with AzKwPrefilterBuffer; each Setup
 * calls AzKwPrefilterRule so the engine is set up for the rule's groups. */
struct DetectEngineCtx_;
void AzKwPrefilterInit(bool enabled);
bool AzKwPrefilterEnabled(void);
/* Possible: for the engine's digest test (index.h), whether the keyword
 * could hold on some flow of a key whose info is its best case (a record
 * of the key's, counters at their sums' bound); NULL when Test on that
 * info says exactly that. */
void AzKwPrefilterKeyword(int id, AzKwTestFn Test, AzKwTestFn Possible);
void AzKwPrefilterBuffer(const char *name, int buffer_id);
void AzKwPrefilterRule(struct DetectEngineCtx_ *de_ctx, int id);

/* While set (this thread), the azure buffers read `info` instead of the
 * packet's flow: the engine's digest test inspects a key's best case.
 * Each read rebuilds the buffer then, and the later reads of the plain
 * buffers it set up until the flow's own text replaces it. */
void AzKwBufferOverride(const struct az_flowinfo *info);

/* azure.flowlog's id: the gate the engine claims buffer rules on. */
int AzKwFlowlogId(void);

/* Every keyword's .url: the shipped rule-writer docs (no public website). */
#define AZ_KW_DOC(anchor) "docs/keywords.md#" anchor

#endif
