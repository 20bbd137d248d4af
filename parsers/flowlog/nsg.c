/* nsg: NSG flow logs v1/v2 — properties.flows[] {rule, flows[] {mac, flowTuples[]}}.
 * The per-NIC mac overrides the record's macAddress (absent before ~2020). */
#include <stddef.h>

#include "decoder_int.h"

static const struct walk_level nsg_levels[2] = {
    {"rule", "flows", offsetof(struct azf_tuple, rule), 0, "properties.flows[]"},
    {"mac", "flowTuples", offsetof(struct azf_tuple, mac), 1, "properties.flows[].flows[]"},
};

void azf__nsg_walk(struct rec_ctx *c, const char *flows_at)
{
    azf__walk(c, flows_at, nsg_levels, 2);
}
