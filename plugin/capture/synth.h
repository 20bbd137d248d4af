/* azflow plugin: a flow-log record as a packet — an IPv4/IPv6 header and a
 * bare TCP (ACK), UDP or ICMP header with the record's 5-tuple, no payload. */
#ifndef AZFLOW_SYNTH_H
#define AZFLOW_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "flowlog.h"

#define AZ_SYNTH_MAX 80

/* Writes the raw-IP packet into buf; returns its length, 0 if impossible. */
size_t AzSynthBuild(const struct azf_tuple *t, uint8_t buf[AZ_SYNTH_MAX]);

#endif
