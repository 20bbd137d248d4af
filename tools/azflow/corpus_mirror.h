/* azflow corpus: what the scenario files share (corpus.c defines it): the
 * base time, the NICs captures are taken at, a mirrored flow's table row
 * and its writer, and the MANIFEST lines every scenario writes. */
#ifndef AZF_CORPUS_MIRROR_H
#define AZF_CORPUS_MIRROR_H

#include <stdint.h>
#include <stdio.h>

#include "corpus.h"
#include "corpus_pkt.h"

/* 2026-11-28T04:00:00Z: every scenario's times are offsets from here. */
#define CORPUS_BASE_S INT64_C(1795838400)
#define MS_US INT64_C(1000)
#define S_US INT64_C(1000000)

#define VTAP_SUB "00000000-0000-0000-0000-0000000000aa"

/* Blob paths below a scenario's vnet/ and nsg/ folders, as the storage
 * account names them (every scenario lies in hour 04 of 2026-11-28). */
#define VNET_BLOB_PATH_OF(FLOWLOG, MAC)                                              \
    "flowLogResourceID=/00000000-0000-0000-0000-0000000000AA_NETWORKWATCHERRG/"      \
    "NETWORKWATCHER_EASTUS_" FLOWLOG "/y=2026/m=11/d=28/h=04/m=00/macAddress=" MAC \
    "/PT1H.json"

#define MSGS(a) (a), sizeof(a) / sizeof((a)[0])

/* The NIC a capture is taken at: its frames carry its MAC, every other
 * address sits behind the subnet's gateway MAC. */
struct nic {
    const char *ip;
    const uint8_t *mac;
};

enum log_kind {
    LOG_NONE,  /* no flow-log record mentions it */
    LOG_ALLOW, /* B at the start, E at the end with the counters */
    LOG_DENY,  /* one D tuple at the start */
};

struct mirror_flow {
    const char *name;
    uint8_t proto;
    const char *src;
    uint16_t sport;
    const char *dst;
    uint16_t dport;
    int64_t start_ms;         /* from the base time */
    const struct msg *msgs;   /* the mirrored packets; NULL: the flow is only logged */
    size_t nmsgs;
    enum log_kind log;
    char direction;           /* 'I' / 'O', relative to the NIC */
    const char *encryption;
    const char *acl;
    const char *rule;
    int nsg_visible;          /* 0 for security-admin rules */
    /* logged-only allowed flows: the E tuple's time */
    int64_t end_ms;
    /* the E tuple's counters (pkts s2d, bytes s2d, pkts d2s, bytes d2s): needed
     * for a logged-only flow; on a mirrored one all zero means the packets' own,
     * anything else is a log that claims more than the mirror saw */
    uint64_t counters[4];
};

#define TCP 6
#define UDP 17

/* What a flow became: its packets' span and counters. */
struct mirror_result {
    int64_t first_us, last_us;
    uint64_t counters[4];
};

/* An endpoint at `ip`: the NIC's MAC if it is the NIC, else the gateway's. */
struct cpkt_endpoint corpus_endpoint(const char *ip, uint16_t port, const struct nic *nic);

/* Writes one flow's packets (handshake, messages, close) seen at `nic`,
 * starting lead_us after the table's start time; fills *r. */
int corpus_flow_write(struct cpkt_writer *w, const struct mirror_flow *fl, const struct nic *nic,
                      int64_t lead_us, struct mirror_result *r, char errbuf[CORPUS_ERRBUF_SIZE]);

/* The flow-log tuples one flow contributes (0, 1 or 2). */
struct cflog_tuple;
size_t corpus_flow_tuples(const struct mirror_flow *fl, const struct mirror_result *r,
                          struct cflog_tuple out[2]);

/* The VNet tuples a log kind gives: "B,E", "D" or "-". */
const char *corpus_log_kind_str(enum log_kind k);

/* The lines every MANIFEST starts with. */
void corpus_manifest_head(FILE *m, const char *summary);

/* "flow NAME proto= src= dst= start= end= toserver= toclient=" (no newline). */
void corpus_manifest_flow(FILE *m, const struct mirror_flow *fl, const struct mirror_result *r);

/* The vpngw scenario (corpus_vpngw.c): OUTDIR/vpngw/.  0, or -1 with errbuf set. */
int corpus_build_vpngw(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE]);

#endif /* AZF_CORPUS_MIRROR_H */
