/* azflow plugin: what the entry point (plugin.c) offers the other modules.
 * Loaded but not configured, the plugin stays idle: nothing of it touches
 * a flow, an EVE record, a counter or the exit status. */
#ifndef AZFLOW_PLUGIN_H
#define AZFLOW_PLUGIN_H

#include <stdbool.h>

struct az_config;

/* The `azure:` section as read at activation (zeroed while idle). */
const struct az_config *AzPluginConfig(void);

/* Reads the configuration, loads the flow logs and registers the flow
 * storage, callbacks and counters.  Done by the plugin's Init when an
 * `azure:` section exists, else by capture mode's Init when
 * --capture-plugin=azure selected it; both run before Suricata finalises
 * flow storage.  Idempotent. */
void AzPluginActivate(void);
bool AzPluginActive(void);

#endif
