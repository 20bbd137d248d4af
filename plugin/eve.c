/* azflow plugin: EVE enrichment and azure_flow events.  Events leave the
 * index in time order once packet time has passed a record by the window
 * (so its flow, if any, is known), and all remaining ones at shutdown. */
#include "suricata-common.h"
#include "decode.h"
#include "flow.h"
#include "output.h"
#include "output-eve.h"
#include "output-json.h"
#include "util-time.h"
#include "util-debug.h"

#include "azure_json.h"
#include "correlate.h"
#include "eve.h"
#include "flowinfo.h"
#include "index.h"
#include "late.h"
#include "plugin.h"
#include "recent.h"
#include "sctime.h"

#define AZ_EVENTS_PER_CALL 64


/* --- enrichment of every EVE record of a correlated flow ----------------- */
static void EveEnrich(ThreadVars *tv, const Packet *p, Flow *f, SCJsonBuilder *jb, void *user)
{
    if (f == NULL)
        return;
    const char *json = AzFlowAzureJson(f, p == NULL, AzLateIsSurrogate(p));
    if (json != NULL)
        SCJbSetFormatted(jb, json);
}

/* --- event_type: azure_flow ----------------------------------------------- */
static void TupleToInfo(const struct azf_tuple *t, struct az_flowinfo *info)
{
    memset(info, 0, sizeof(*info));
    info->source = t->source;
    info->version = t->version;
    info->direction = t->direction;
    info->decision = t->decision;
    info->state = t->state;
    info->have = t->has_counters ? AZ_HAVE_COUNTERS : 0;
    info->pkts_toserver = t->pkts_toserver;
    info->bytes_toserver = t->bytes_toserver;
    info->pkts_toclient = t->pkts_toclient;
    info->bytes_toclient = t->bytes_toclient;
    info->encryption = t->encryption;
    info->rule = t->rule;
    info->acl = t->acl;
    info->resource_id = t->resource_id;
    info->target_resource_id = t->target_resource_id;
    info->mac = t->mac;
}

static void LogEvent(ThreadVars *tv, OutputJsonThreadCtx *ctx, const struct az_event *ev)
{
    const struct azf_tuple *t = &ev->tuple;
    SCJsonBuilder *jb = SCJbNewObject();
    if (jb == NULL)
        return;
    char buf[64];
    CreateIsoTimeString(AzUsToTime(t->ts_us), buf, sizeof(buf));
    SCJbSetString(jb, "timestamp", buf);

    struct az_key key;
    AzKeyFromTuple(&key, t);
    /* Ports as EVE prints them: only where the protocol has them. */
    bool ports = azf_proto_has_ports(t->proto);
    uint64_t flow_id = AzRecentFind(&key, t->ts_us, t->ts_res_us);
    if (flow_id != 0)
        SCJbSetUint(jb, "flow_id", flow_id);
    SCJbSetString(jb, "event_type", "azure_flow");
    SCJbSetString(jb, "src_ip", AzEveAddr(&t->src, buf, sizeof(buf)));
    if (ports)
        SCJbSetUint(jb, "src_port", t->sport);
    SCJbSetString(jb, "dest_ip", AzEveAddr(&t->dst, buf, sizeof(buf)));
    if (ports)
        SCJbSetUint(jb, "dest_port", t->dport);
    const char *proto = azf_proto_str(t->proto);
    if (proto == NULL) {
        snprintf(buf, sizeof(buf), "%u", t->proto);
        proto = buf;
    }
    SCJbSetString(jb, "proto", proto);

    struct az_flowinfo info;
    TupleToInfo(t, &info);
    info.mirrored = flow_id != 0;
    struct az_jbuf json = { 0 };
    if (AzAzureJson(&json, &info, false, ev->blob) == 0)
        SCJbSetFormatted(jb, json.p);
    AzJbufFree(&json);
    OutputJsonBuilderBuffer(tv, NULL, NULL, jb, ctx);
    SCJbFree(jb);
}

static void LogDue(ThreadVars *tv, OutputJsonThreadCtx *ctx, int64_t now_us, bool flush)
{
    struct az_event evs[AZ_EVENTS_PER_CALL];
    size_t n;
    do {
        n = AzIndexTake(AZ_CURSOR_EVENTS, now_us, flush, evs, AZ_EVENTS_PER_CALL);
        for (size_t i = 0; i < n; i++)
            LogEvent(tv, ctx, &evs[i]);
    } while (n == AZ_EVENTS_PER_CALL);
}

static bool AzureFlowCondition(ThreadVars *tv, void *thread_data, const Packet *p)
{
    return AzIndexDue(AZ_CURSOR_EVENTS, AzTimeUs(p->ts));
}

static int AzureFlowLog(ThreadVars *tv, void *thread_data, const Packet *p)
{
    /* This packet's time says a record is due; but another worker may not
     * have reached that time yet and still hold the record's flow unseen.
     * Suricata's time (offline: the lowest of all packet threads; live: the
     * clock) is safe.  Asked only here, when something is due. */
    int64_t now = AzTimeUs(p->ts);
    int64_t safe = AzTimeUs(TimeGet());
    LogDue(tv, thread_data, safe < now ? safe : now, false);
    return 0;
}

static TmEcode AzureFlowThreadDeinit(ThreadVars *tv, void *thread_data)
{
    /* End of input: records no packet time reached still get their event,
     * written by whichever logging thread ends first. */
    if (thread_data != NULL)
        LogDue(tv, thread_data, INT64_MAX, true);
    return JsonLogThreadDeinit(tv, thread_data);
}

static OutputInitResult AzureFlowInitSub(SCConfNode *conf, OutputCtx *parent_ctx)
{
    OutputInitResult r = OutputJsonLogInitSub(conf, parent_ctx);
    /* Idle (unconfigured), the logger is there but has nothing to log. */
    if (r.ok && AzPluginActive()) {
        AzIndexCursorEnable(AZ_CURSOR_EVENTS);
        AzRecentEnable(); /* events carry their mirrored flow's flow_id */
    }
    return r;
}

int AzEveRegister(void)
{
    return SCEveRegisterCallback(EveEnrich, NULL) ? 0 : -1;
}

void AzEveRegisterLogger(void)
{
    static OutputPacketLoggerFunctions funcs = {
        .LogFunc = AzureFlowLog,
        .ConditionFunc = AzureFlowCondition,
        .ThreadInitFunc = JsonLogThreadInit,
        .ThreadDeinitFunc = AzureFlowThreadDeinit,
    };
    OutputRegisterPacketSubModule(LOGGER_USER, "eve-log", "AzureFlowLog", "eve-log.azure_flow",
            AzureFlowInitSub, &funcs);
}
