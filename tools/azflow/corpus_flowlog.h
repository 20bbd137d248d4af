/* azflow corpus: writes flow-log blobs (VNet flow log v4, NSG flow log v2)
 * for a list of tuples, byte for byte the way the storage account does. */
#ifndef AZF_CORPUS_FLOWLOG_H
#define AZF_CORPUS_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

/* One flow-log tuple in neutral form; each writer spells it its own way. */
struct cflog_tuple {
    int64_t ts_ms;
    uint32_t src, dst;       /* host byte order */
    uint16_t sport, dport;
    uint8_t proto;           /* 6 or 17 */
    char direction;          /* 'I' or 'O' */
    char state;              /* 'B', 'C', 'E' or 'D' (deny) */
    const char *encryption;  /* VNet: "X", "NX", "NX_*" */
    uint64_t pkts_s2d, bytes_s2d, pkts_d2s, bytes_d2s; /* C and E only */
    const char *acl;         /* VNet aclID */
    const char *rule;
    int nsg_visible;         /* 0: the NSG log does not see it (admin rules) */
};

struct cflog_vnet_env {
    const char *flow_log_guid;
    const char *mac;                 /* 12 upper-case hex digits */
    const char *flow_log_resource_id;
    const char *target_resource_id;
};

struct cflog_nsg_env {
    const char *system_id;
    const char *mac;
    const char *resource_id;
};

/* Both writers group tuples by minute into records (record time = the end of
 * the minute), keep first-seen order inside a record, and write compact JSON
 * {"records":[...]}.  Return 0, or -1 with errbuf naming the path. */
int cflog_write_vnet(const char *path, const struct cflog_vnet_env *env,
                     const struct cflog_tuple *t, size_t n, char errbuf[CORPUS_ERRBUF_SIZE]);
int cflog_write_nsg(const char *path, const struct cflog_nsg_env *env,
                    const struct cflog_tuple *t, size_t n, char errbuf[CORPUS_ERRBUF_SIZE]);

#endif /* AZF_CORPUS_FLOWLOG_H */
