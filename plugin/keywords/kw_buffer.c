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
#include "util-validate.h"

#include "../flowinfo.h"
#include "keywords.h"

/* Buffer ids, set at registration; a sticky buffer's keyword needs no
 * sigmatch id of its own after registration. */
static int g_rule_buffer_id = -1;
static int g_acl_buffer_id = -1;

/* AzKwBufferOverride's info, per thread, as a detect thread handles one
 * packet at a time; and per plain buffer (rule, acl) whether it may still
 * hold the override's text.  Only those two: the digest test inspects only
 * rules the engine claims, whose azure buffers have no transform
 * (kw_prefilter.c, FlowStable).  A transformed buffer has a list id of its
 * own, is never set up by an override, and must be taken as cached: its
 * inspect engine passes no transforms when its mpm set it up.  Suricata
 * cleans buffers at the end of each packet, so a cleaned buffer (inspect
 * NULL) holds nothing of an override.  (The packet's identity cannot tell
 * this: tunnelled packets all have pcap_cnt 0 and packets are recycled.) */
static __thread const struct az_flowinfo *t_override;
static __thread bool t_stale[2];

void AzKwBufferOverride(const struct az_flowinfo *info)
{
    t_override = info;
}

/* The stale flag of a plain buffer, NULL for any other list id. */
static bool *StaleFlag(const int list_id)
{
    if (list_id == g_rule_buffer_id)
        return &t_stale[0];
    if (list_id == g_acl_buffer_id)
        return &t_stale[1];
    return NULL;
}

/* The buffer of one string of the flow info, transformed once per packet and
 * cached by Suricata in det_ctx; NULL (no buffer) when the log lacks it. */
static InspectionBuffer *AzBufferGet(DetectEngineThreadCtx *det_ctx,
        const DetectEngineTransforms *transforms, const Packet *p, const int list_id,
        const char *(*field)(const struct az_flowinfo *))
{
    InspectionBuffer *buffer = InspectionBufferGet(det_ctx, list_id);
    bool *stale = StaleFlag(list_id);
    DEBUG_VALIDATE_BUG_ON(t_override != NULL && stale == NULL);
    if (stale != NULL && buffer->inspect == NULL)
        *stale = false; /* cleaned since: nothing left of an override */
    /* Set up again over a cached one, never cleared by hand: Suricata
     * queues a buffer for its end-of-packet clean only when it is empty. */
    if (buffer->inspect == NULL || t_override != NULL || (stale != NULL && unlikely(*stale))) {
        const struct az_flowinfo *info = t_override != NULL ? t_override : AzKwRecordInfo(p);
        const char *s = info != NULL ? field(info) : NULL;
        if (stale != NULL)
            *stale = t_override != NULL || (*stale && (s == NULL || *s == '\0'));
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
