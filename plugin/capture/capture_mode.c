/* azflow plugin: the `azure` capture plugin — its run mode, its receive and
 * decode thread modules, and the tables of files and VPN tunnels it read.
 * The receive loop itself is in capture_source.c. */
#include "suricata-common.h"
#include "suricata-plugin.h"
#include "decode.h"
#include "runmodes.h"
#include "tm-modules.h"
#include "tm-threads.h"
#include "util-affinity.h"
#include "util-datalink.h"
#include "util-debug.h"
#include "util-device.h"
#include "util-time.h"

#include "capture_mode.h"
#include "capture_source.h"
#include "../pktmeta.h"
#include "../plugin.h"

_Static_assert(sizeof(struct az_pktmeta) <= PLUGIN_VAR_SIZE, "packet metadata over plugin_v");

static bool g_active;
static bool g_offline;

/* --- tables ------------------------------------------------------------------
 * Written by the one receive thread, read by workers through flow state:
 * slots are filled before any packet referring to them is handed on and
 * never move (fixed arrays). */
#define AZ_MAX_FILES 65536
#define AZ_MAX_TUNNELS 1024

static struct az_capture_file *g_files[AZ_MAX_FILES];
static uint32_t g_nfiles;
static struct azf_vpn_info g_tunnels[AZ_MAX_TUNNELS];
static uint16_t g_ntunnels;

const struct az_capture_file *AzCaptureFile(uint32_t id)
{
    return (id >= 1 && id <= g_nfiles) ? g_files[id - 1] : NULL;
}

const struct azf_vpn_info *AzCaptureTunnel(uint16_t id)
{
    return (id >= 1 && id <= g_ntunnels) ? &g_tunnels[id - 1] : NULL;
}

uint32_t AzCaptureAddFile(const char *path)
{
    if (g_nfiles >= AZ_MAX_FILES)
        return 0;
    struct az_capture_file *f = SCCalloc(1, sizeof(*f));
    if (f == NULL || (f->path = SCStrdup(path)) == NULL) {
        SCFree(f);
        return 0;
    }
    struct azf_nwcapture nw;
    if (azf_nwcapture_parse_path(path, &nw) == 0) {
        f->vm = SCStrdup(nw.vm);
        f->started_us = nw.started_us;
    }
    g_files[g_nfiles++] = f;
    return g_nfiles;
}

uint16_t AzCaptureAddTunnel(const struct azf_vpn_info *vi)
{
    for (uint16_t i = 0; i < g_ntunnels; i++) {
        const struct azf_vpn_info *t = &g_tunnels[i];
        if (t->have_gateway == vi->have_gateway && t->have_peer == vi->have_peer &&
                t->have_spi == vi->have_spi && (!vi->have_spi || t->spi == vi->spi) &&
                memcmp(&t->gateway, &vi->gateway, sizeof(t->gateway)) == 0 &&
                memcmp(&t->peer, &vi->peer, sizeof(t->peer)) == 0)
            return (uint16_t)(i + 1);
    }
    if (g_ntunnels >= AZ_MAX_TUNNELS)
        return 0;
    g_tunnels[g_ntunnels] = *vi;
    g_tunnels[g_ntunnels].layer = AZF_VPN_NONE; /* the layer is per packet */
    return ++g_ntunnels;
}

void AzCaptureTablesFree(void)
{
    for (uint32_t i = 0; i < g_nfiles; i++) {
        SCFree((char *)g_files[i]->path);
        SCFree((char *)g_files[i]->vm);
        SCFree(g_files[i]);
        g_files[i] = NULL;
    }
    g_nfiles = 0;
    g_ntunnels = 0;
}

const struct az_pktmeta *AzPktMeta(const Packet *p)
{
    if (!g_active)
        return NULL;
    /* Tunnel children (VXLAN inner packets) and defragmented packets are
     * built by Suricata; the capture wrote only their root. */
    const Packet *r = p->root != NULL ? p->root : p;
    const struct az_pktmeta *m = (const struct az_pktmeta *)(const void *)r->plugin_v;
    return m->magic == AZ_PKTMETA_MAGIC ? m : NULL;
}

/* How much a tunnel entry says: an SPI outweighs the endpoints. */
static int TunnelKnows(const struct azf_vpn_info *t)
{
    return (t->have_spi ? 2 : 0) + (t->have_gateway ? 1 : 0);
}

bool AzCaptureVpnUpdate(struct az_flowinfo *in, const Packet *p)
{
    const struct az_pktmeta *m = AzPktMeta(p);
    if (m == NULL || m->vpn_layer == AZF_VPN_NONE)
        return false;
    bool changed = false;
    if (in->vpn == AZ_VPN_NONE) {
        in->vpn = m->vpn_layer;
        changed = true;
    }
    const struct azf_vpn_info *t = AzCaptureTunnel(m->tunnel_id);
    const struct azf_vpn_info *cur = in->tunnel;
    if (t != NULL && t != cur && (cur == NULL || TunnelKnows(t) > TunnelKnows(cur))) {
        in->tunnel = t;
        changed = true;
    }
    return changed;
}

/* --- decode -------------------------------------------------------------------- */
static TmEcode DecodeThreadInit(ThreadVars *tv, const void *initdata, void **data)
{
    DecodeThreadVars *dtv = DecodeThreadVarsAlloc(tv);
    if (dtv == NULL)
        return TM_ECODE_FAILED;
    DecodeRegisterPerfCounters(dtv, tv);
    *data = dtv;
    return TM_ECODE_OK;
}

static TmEcode DecodeThreadDeinit(ThreadVars *tv, void *data)
{
    if (data != NULL)
        DecodeThreadVarsFree(tv, data);
    return TM_ECODE_OK;
}

static TmEcode Decode(ThreadVars *tv, Packet *p, void *data)
{
    DecodeThreadVars *dtv = data;
    DecodeUpdatePacketCounters(tv, dtv, p);
    DecodeLinkLayer(tv, dtv, p->datalink, p, GET_PKT_DATA(p), GET_PKT_LEN(p));
    PacketDecodeFinalize(tv, dtv, p);
    return TM_ECODE_OK;
}

/* --- run mode --------------------------------------------------------------------
 * One thread reads, merges, decodes and inspects: the merge must see every
 * packet's flow before it decides a record is cloud-only, so it cannot run
 * ahead of the workers. */
static int RunModeSingle(void)
{
    if (g_offline)
        TimeModeSetOffline();
    else
        TimeModeSetLive();

    char name[TM_THREAD_NAME_MAX];
    snprintf(name, sizeof(name), "%s#01", thread_name_single);
    ThreadVars *tv = TmThreadCreatePacketHandler(
            name, "packetpool", "packetpool", "packetpool", "packetpool", "pktacqloop");
    if (tv == NULL) {
        SCLogError("azflow: cannot create the capture thread");
        return -1;
    }
    const char *modules[] = { "ReceiveAzure", "DecodeAzure", "FlowWorker" };
    for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
        TmModule *m = TmModuleGetByName(modules[i]);
        if (m == NULL)
            FatalError("azflow: thread module %s missing", modules[i]);
        TmSlotSetFuncAppend(tv, m, NULL);
    }
    TmThreadSetCPU(tv, WORKER_CPU_SET);
    if (TmThreadSpawn(tv) != TM_ECODE_OK)
        FatalError("azflow: cannot start the capture thread");
    return 0;
}

static const char *DefaultRunMode(void)
{
    return "single";
}

static void InitCapture(const char *args, int plugin_slot, int receive_slot, int decode_slot)
{
    g_active = true;
    /* Selected by --capture-plugin=azure, the plugin is configured even
     * without an azure: section (--capture-plugin-args names the input). */
    AzPluginActivate();
    if (AzCaptureSourceInit(args, &g_offline) < 0)
        FatalError("azflow: capture mode cannot start (see the error above)");

    RunModeRegisterNewRunMode(plugin_slot, "single", "Single threaded: read, merge, inspect",
            RunModeSingle, NULL);

    tmm_modules[receive_slot].name = "ReceiveAzure";
    tmm_modules[receive_slot].ThreadInit = AzCaptureReceiveThreadInit;
    tmm_modules[receive_slot].PktAcqLoop = AzCaptureReceiveLoop;
    tmm_modules[receive_slot].ThreadExitPrintStats = AzCaptureReceiveExitPrintStats;
    tmm_modules[receive_slot].ThreadDeinit = AzCaptureReceiveThreadDeinit;
    tmm_modules[receive_slot].flags = TM_FLAG_RECEIVE_TM;

    tmm_modules[decode_slot].name = "DecodeAzure";
    tmm_modules[decode_slot].ThreadInit = DecodeThreadInit;
    tmm_modules[decode_slot].Func = Decode;
    tmm_modules[decode_slot].ThreadDeinit = DecodeThreadDeinit;
    tmm_modules[decode_slot].flags = TM_FLAG_DECODE_TM;
}

void AzCaptureRegister(void)
{
    static SCCapturePlugin plugin = {
        .name = "azure",
        .Init = InitCapture,
        .GetDefaultMode = DefaultRunMode,
    };
    if (SCPluginRegisterCapture(&plugin) < 0)
        FatalError("azflow: cannot register the azure capture plugin");
}
