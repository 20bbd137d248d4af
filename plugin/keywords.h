/* azflow plugin: the azure.* rule keywords.  AzKeywordsRegister() is the one
 * entry point; the rest is shared by plugin/kw_*.c only. */
#ifndef AZFLOW_KEYWORDS_H
#define AZFLOW_KEYWORDS_H

/* Registers every azure.* keyword and the azure.rule / azure.acl buffers.
 * Must run before Suricata closes buffer registration: from the plugin's
 * Init, or handed to SCSigTablePreRegister() there. */
void AzKeywordsRegister(void);

/* --- private to plugin/kw_*.c ---------------------------------------------- */

struct Packet_;
struct az_flowinfo;

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

/* Every keyword's .url: the shipped rule-writer docs (no public website). */
#define AZ_KW_DOC(anchor) "docs/keywords.md#" anchor

#endif
