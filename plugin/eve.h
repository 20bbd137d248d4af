/* azflow plugin: EVE output — the `azure` object on every record of a
 * correlated flow, and `event_type: azure_flow`, one per flow-log tuple. */
#ifndef AZFLOW_EVE_H
#define AZFLOW_EVE_H

#include <stdint.h>

/* Registers the EVE callback that enriches records (once configured). */
int AzEveRegister(void);
/* Registers the eve-log.azure_flow sub-module (always, so a suricata.yaml
 * listing it loads with the plugin idle; it then logs nothing). */
void AzEveRegisterLogger(void);

#endif
