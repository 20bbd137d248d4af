/* azflow plugin: joins Suricata flows with indexed flow-log records through
 * flow storage and the flow init/update callbacks. */
#ifndef AZFLOW_CORRELATE_H
#define AZFLOW_CORRELATE_H

#include <stdint.h>

/* Registers the flow storage and callbacks; call from the plugin's Init. */
int AzCorrelateRegister(uint64_t window_s);

struct Flow_;
/* Brings the flow's aggregate up to date for a record written at its end
 * (flow and netflow EVE records have no packet). */
void AzCorrelateRefresh(struct Flow_ *f);

#endif
