/* azflow plugin: capture mode's receive side — capture files or a live
 * interface, merged in time order with the flow-log records. */
#ifndef AZFLOW_CAPTURE_SOURCE_H
#define AZFLOW_CAPTURE_SOURCE_H

#include "suricata-common.h"
#include "threadvars.h"
#include "tm-threads-common.h"

#include "capture_mode.h"

/* Validates azure.capture.* (or the --capture-plugin-args path); sets
 * *offline for file input.  Returns 0, or -1 after logging an error. */
int AzCaptureSourceInit(const char *args, bool *offline);

TmEcode AzCaptureReceiveThreadInit(ThreadVars *tv, const void *initdata, void **data);
TmEcode AzCaptureReceiveLoop(ThreadVars *tv, void *data, void *slot);
void AzCaptureReceiveExitPrintStats(ThreadVars *tv, void *data);
TmEcode AzCaptureReceiveThreadDeinit(ThreadVars *tv, void *data);

/* Table entries (capture.c); 0 when full. */
uint32_t AzCaptureAddFile(const char *path);
uint16_t AzCaptureAddTunnel(const struct azf_vpn_info *vi);
void AzCaptureTablesFree(void);

#endif
