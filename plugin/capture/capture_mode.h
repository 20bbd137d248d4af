/* azflow plugin: capture mode (`--capture-plugin=azure`) — reads capture
 * files or an interface and merges flow-log records into the packet stream,
 * as synthetic packets where no mirrored flow matched a record. */
#ifndef AZFLOW_CAPTURE_MODE_H
#define AZFLOW_CAPTURE_MODE_H

#include <stdbool.h>
#include <stdint.h>

#include "../flowinfo.h"

/* Registers the `azure` capture plugin; call from the plugin's Init. */
void AzCaptureRegister(void);
/* Tables filled while reading (ids 1-based; NULL for 0 or unknown). */
const struct az_capture_file *AzCaptureFile(uint32_t id);
const struct azf_vpn_info *AzCaptureTunnel(uint16_t id);
struct Packet_;
/* A flow's VPN view starts as its first packet's; a later packet completes
 * it: the layer where the first packet had none, a tunnel with an SPI (or
 * with its gateway known) where the flow's had none — a NAT-T flow starts
 * with IKE and its SPI comes with the ESP after it.  True when it changed. */
bool AzCaptureVpnUpdate(struct az_flowinfo *in, const struct Packet_ *p);
/* Did capture mode skip input (unreadable files, unknown link types)? */
bool AzCaptureSkippedInput(void);

#endif
