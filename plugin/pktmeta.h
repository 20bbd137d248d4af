/* azflow plugin: what capture mode tells the rest of the plugin about a
 * packet, carried in Packet->plugin_v (which only the capture owner writes). */
#ifndef AZFLOW_PKTMETA_H
#define AZFLOW_PKTMETA_H

#include <stdbool.h>
#include <stdint.h>

#define AZ_PKTMETA_MAGIC 0x617a666cu /* "azfl" */

#define AZ_PKT_SYNTHETIC 0x01 /* built from a flow-log record, not captured */

struct az_pktmeta {
    uint32_t magic;
    uint8_t flags;
    uint8_t vpn_layer;   /* enum azf_vpn_layer */
    uint16_t tunnel_id;  /* 1-based into the capture's tunnel table; 0 none */
    uint32_t file_id;    /* 1-based into the capture's file table; 0 none */
    uint32_t reserved;
    int64_t record_ts_us; /* synthetic: the record's time */
};

struct Packet_;
/* The packet's metadata when capture mode produced it (for a tunnelled
 * packet, its root's), else NULL. */
const struct az_pktmeta *AzPktMeta(const struct Packet_ *p);

#endif
