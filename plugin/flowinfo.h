/* azflow plugin: what a Suricata flow knows of its flow-log records — the
 * aggregate the keywords match on and the EVE `azure` object prints. */
#ifndef AZFLOW_FLOWINFO_H
#define AZFLOW_FLOWINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"

/* Bits of az_flowinfo.have: which optional fields a record carried. */
#define AZ_HAVE_COUNTERS 0x01

/* VPN layer of a packet from a VPN gateway capture (capture mode). */
enum az_vpn_layer { AZ_VPN_NONE = 0, AZ_VPN_INNER = 1, AZ_VPN_OUTER = 2 };

/* A capture file read in capture mode; Network Watcher files add the VM and
 * the capture's start time (vm NULL otherwise).  Lives until shutdown. */
struct az_capture_file {
    const char *path;
    const char *vm;
    int64_t started_us;
};

/* The aggregate of every record correlated with one flow.  State, decision,
 * encryption and the names are the latest record's; counters are sums, in
 * the record's orientation (toserver = the record's source -> destination).
 * Strings are interned by the index and live until shutdown. */
struct az_flowinfo {
    uint32_t records;        /* 0: no record correlated (yet) */
    uint8_t source;          /* enum azf_source */
    uint8_t version;
    uint8_t direction;       /* enum azf_direction */
    uint8_t decision;        /* enum azf_decision */
    uint8_t state;           /* enum azf_state (latest record) */
    uint8_t have;            /* AZ_HAVE_* */
    bool mirrored;           /* the flow was seen in mirrored traffic */
    uint8_t vpn;             /* enum az_vpn_layer, capture mode only */
    int64_t latest_ts_us;    /* time of the latest record */
    uint64_t pkts_toserver, bytes_toserver, pkts_toclient, bytes_toclient;
    const char *encryption;  /* NULL for NSG logs */
    const char *rule;
    const char *acl;
    const char *resource_id;
    const char *target_resource_id;
    const char *mac;

    /* Capture mode only: where the flow's first packet came from.  These
     * describe packets, not records, so they survive re-aggregation. */
    const struct azf_vpn_info *tunnel;          /* gateway/peer/spi, or NULL */
    const struct az_capture_file *capture;      /* or NULL */
};

struct Flow_;

/* What the rule engine (plugin/keywords/kw_prefilter.c) remembers of a flow, per
 * direction: the key of the last packet it evaluated the flow's rules on,
 * and when rules limited per flow may alert again.  Zeroed with the state. */
struct az_detect_memo {
    uint64_t key[2];     /* facts generation, flow state; 0: never evaluated */
    uint32_t version[2]; /* the detect engine's version at that packet */
    int64_t due_us[2];   /* re-evaluate once packet time passes this; 0: none */
};

/* The rule engine's test of a key's digest (index.h), for flows nothing
 * else has asked about yet: false when no loaded rule could hold on any
 * flow of the key, whatever its records, so the flow needs no state and
 * no lookup.  `version` names the rules it judged by. */
struct az_digest;
struct az_facts_filter {
    bool (*CouldHold)(void *arg, const struct az_digest *d);
    void *arg;
    uint32_t version;
};

/* Whether some loaded detect engine passes a filter (set by the rule
 * engine as its engines come and go).  While one does, a flow made without
 * a state starts loading its digest slot at its first packet, so the
 * filter's read, after stream and app-layer work, finds it in cache. */
void AzFlowFactsFilterLoaded(bool loaded);

/* The generation of the flow's azure facts for the rule engine: 0 when the
 * flow has none (no azure keyword can be true), else a number that changes
 * whenever the facts do (a record folded in, late or not).  Sets *memo to
 * the flow's engine memo and *info to what AzFlowInfoGet would return.
 * With a filter, a flow that has no state yet and whose digest no rule
 * could match returns 0 without one until the digest or the rules change.
 * Same conditions as AzFlowInfoGet. */
uint32_t AzFlowFactsGeneration(struct Flow_ *f, struct az_detect_memo **memo,
        const struct az_flowinfo **info, const struct az_facts_filter *filter);

/* The flow's info, or NULL when it has neither a correlated record nor
 * capture-mode metadata (check records > 0 for the former).  The first call
 * for a flow looks its records up; later ones fold what packet time has
 * brought into reach.  Call with the flow locked (true for keyword Match and
 * EVE callbacks). */
const struct az_flowinfo *AzFlowInfoGet(struct Flow_ *f);

#endif
