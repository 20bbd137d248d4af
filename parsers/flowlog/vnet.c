/* vnet: VNet flow logs (v4) — flowRecords.flows[] {aclID, flowGroups[] {rule, flowTuples[]}}.
 * aclID is an NSG ARM id, an AVNM GUID, or "unspecified"; kept raw. */
#include <stddef.h>

#include "decoder_int.h"

static const struct walk_level vnet_levels[2] = {
    {"aclID", "flowGroups", offsetof(struct azf_tuple, acl), 0, "flowRecords.flows[]"},
    {"rule", "flowTuples", offsetof(struct azf_tuple, rule), 0, "flowRecords.flows[].flowGroups[]"},
};

void azf__vnet_walk(struct rec_ctx *c, const char *flows_at)
{
    azf__walk(c, flows_at, vnet_levels, 2);
}
