/* azflow plugin: the sticky buffers azure.rule and azure.acl, packet buffers
 * for content, pcre, fast_pattern and transforms (modelled on ipv4.hdr). */
#include "suricata-common.h"
#include "decode.h"
#include "detect.h"
#include "detect-parse.h"
#include "detect-engine.h"
#include "detect-engine-buffer.h"
#include "detect-engine-inspect-buffer.h"
#include "detect-engine-mpm.h"
#include "detect-engine-prefilter.h"

#include "../flowinfo.h"
#include "keywords.h"

/* Buffer ids, set at registration; a sticky buffer's keyword needs no
 * sigmatch id of its own after registration. */
static int g_rule_buffer_id = -1;
static int g_acl_buffer_id = -1;

/* AzKwBufferOverride's info, per thread, as a detect thread handles one
 * packet at a time; and the packet it was last used on (with its pcap_cnt,
 * as packets are recycled): Suricata cleans its buffers only at the end of
 * a packet, so until then any buffer of ours may hold the override's text.
 * Which ones is not worth tracking: a transform gives a buffer a list id of
 * its own, and overrides come at a flow's first look only. */
static __thread const struct az_flowinfo *t_override;
static __thread const Packet *t_override_pkt;
static __thread uint64_t t_override_cnt;

void AzKwBufferOverride(const struct az_flowinfo *info)
{
    t_override = info;
}

/* The buffer of one string of the flow info, transformed once per packet and
 * cached by Suricata in det_ctx; NULL (no buffer) when the log lacks it. */
static InspectionBuffer *AzBufferGet(DetectEngineThreadCtx *det_ctx,
        const DetectEngineTransforms *transforms, const Packet *p, const int list_id,
        const char *(*field)(const struct az_flowinfo *))
{
    InspectionBuffer *buffer = InspectionBufferGet(det_ctx, list_id);
    if (t_override != NULL) {
        t_override_pkt = p;
        t_override_cnt = p->pcap_cnt;
    }
    /* Set up again over a cached one, never cleared by hand: Suricata
     * queues a buffer for its end-of-packet clean only when it is empty. */
    if (buffer->inspect == NULL || t_override != NULL ||
            unlikely(p == t_override_pkt && p->pcap_cnt == t_override_cnt)) {
        const struct az_flowinfo *info = t_override != NULL ? t_override : AzKwRecordInfo(p);
        const char *s = info != NULL ? field(info) : NULL;
        if (s == NULL || *s == '\0')
            return NULL;
        InspectionBufferSetupAndApplyTransforms(
                det_ctx, list_id, buffer, (const uint8_t *)s, (uint32_t)strlen(s), transforms);
    }
    return buffer;
}

/* Setup for both: switch the rule's active list.  With the rule engine on,
 * also give the rule the record test the buffer implies (azure.flowlog),
 * once: the gate the engine claims the rule on when it is flow-stable
 * (kw_prefilter.c, before Suricata picks a fast pattern). */
static int AzBufferSetup(DetectEngineCtx *de_ctx, Signature *s, int buffer_id)
{
    if (SCDetectBufferSetActiveList(de_ctx, s, buffer_id) < 0)
        return -1;
    s->flags |= SIG_FLAG_REQUIRE_PACKET;
    if (!AzKwPrefilterEnabled())
        return 0;
    const int gate = AzKwFlowlogId();
    for (const SigMatch *sm = s->init_data->smlists[DETECT_SM_LIST_MATCH]; sm != NULL;
            sm = sm->next)
        if (sm->type == gate)
            return 0;
    if (SCSigMatchAppendSMToList(de_ctx, s, (uint16_t)gate, NULL, DETECT_SM_LIST_MATCH) == NULL)
        return -1;
    AzKwPrefilterRule(de_ctx, gate);
    return 0;
}

/* --- azure.rule ---------------------------------------------------------------- */

static const char *RuleField(const struct az_flowinfo *info)
{
    return info->rule;
}

static int RuleSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzBufferSetup(de_ctx, s, g_rule_buffer_id);
}

static InspectionBuffer *RuleGetData(DetectEngineThreadCtx *det_ctx,
        const DetectEngineTransforms *transforms, Packet *p, const int list_id)
{
    return AzBufferGet(det_ctx, transforms, p, list_id, RuleField);
}

/* --- azure.acl ----------------------------------------------------------------- */

static const char *AclField(const struct az_flowinfo *info)
{
    return info->acl;
}

static int AclSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzBufferSetup(de_ctx, s, g_acl_buffer_id);
}

static InspectionBuffer *AclGetData(DetectEngineThreadCtx *det_ctx,
        const DetectEngineTransforms *transforms, Packet *p, const int list_id)
{
    return AzBufferGet(det_ctx, transforms, p, list_id, AclField);
}

/* --- registration ---------------------------------------------------------------- */

static int AzBufferRegisterOne(const char *name, const char *desc, const char *url,
        const char *buffer_desc, int (*Setup)(DetectEngineCtx *, Signature *, const char *),
        InspectionBufferGetPktDataPtr GetData)
{
    /* sigmatch_table may move with each new id: index it, never keep a pointer. */
    int id = AzKwNewId(name);
    sigmatch_table[id].name = name;
    sigmatch_table[id].desc = desc;
    sigmatch_table[id].url = url;
    sigmatch_table[id].Setup = Setup;
    sigmatch_table[id].flags = SIGMATCH_NOOPT | SIGMATCH_INFO_STICKY_BUFFER;

    int buffer_id = DetectBufferTypeRegister(name);
    if (buffer_id < 0)
        FatalError("azflow: cannot register the %s buffer", name);
    DetectBufferTypeSupportsPacket(name);
    /* Priority 2 as ipv4.hdr: mpm also makes transforms available. */
    DetectPktMpmRegister(name, 2, PrefilterGenericMpmPktRegister, GetData);
    DetectPktInspectEngineRegister(name, GetData, DetectEngineInspectPktBufferGeneric);
    DetectBufferTypeSetDescriptionByName(name, buffer_desc);
    AzKwPrefilterBuffer(name, buffer_id);
    return buffer_id;
}

void AzKwBufferRegister(void)
{
    g_rule_buffer_id = AzBufferRegisterOne("azure.rule",
            "sticky buffer on the NSG / security-admin rule name of the Azure flow-log record",
            AZ_KW_DOC("azurerule"), "Azure flow-log rule name", RuleSetup, RuleGetData);
    g_acl_buffer_id = AzBufferRegisterOne("azure.acl",
            "sticky buffer on the Azure VNet aclID, or the NSG resource id, of the record",
            AZ_KW_DOC("azureacl"), "Azure flow-log aclID / NSG resource id", AclSetup,
            AclGetData);
}
