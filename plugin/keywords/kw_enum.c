/* azflow plugin: the named-value keywords (azure.flowlog, .decision, .direction,
 * .state, .encryption, .mirrored, .vpn), AzKeywordsRegister and shared lookups. */
#include "suricata-common.h"
#include "decode.h"
#include "detect.h"
#include "detect-parse.h"
#include "detect-engine-helper.h"
#include "util-debug.h"

#include "flowlog.h"
#include "../flowinfo.h"
#include "keywords.h"

/* --- shared by every keyword file ------------------------------------------- */

const struct az_flowinfo *AzKwFlowInfo(const Packet *p)
{
    /* Flowless packets (ICMP errors without flow, decoder-only) have no records. */
    return p->flow != NULL ? AzFlowInfoGet(p->flow) : NULL;
}

const struct az_flowinfo *AzKwRecordInfo(const Packet *p)
{
    const struct az_flowinfo *info = AzKwFlowInfo(p);
    return AzKwHasRecord(info) ? info : NULL;
}

int AzKwNewId(const char *name)
{
    int id = SCDetectHelperNewKeywordId();
    if (id < 0)
        FatalError("azflow: cannot allocate a rule keyword id for %s", name);
    return id;
}

void AzKeywordsRegister(bool prefilter)
{
    AzKwPrefilterInit(prefilter);
    AzKwEnumRegister();
    AzKwUintRegister();
    AzKwBufferRegister();
}

/* --- the enum machinery -------------------------------------------------------- */

/* Longest argument accepted; Azure's encryption codes are ~20 characters. */
#define AZ_ENUM_ARG_MAX 48

/* Values of the keywords whose field is not an azf_* enum.  0 stays "unknown"
 * so that a missing field never satisfies a negated match either. */
enum { AZ_MIRRORED_TRUE = 1, AZ_MIRRORED_FALSE = 2 };
enum { AZ_ENC_ENCRYPTED = 1, AZ_ENC_UNENCRYPTED = 2, AZ_ENC_CODE = 3 };

/* One accepted argument and the value it stands for. */
struct az_enum_name {
    const char *name;
    uint8_t value;
};

/* A keyword of this file: its name, accepted arguments, and sigmatch id. */
struct az_enum_kw {
    const char *name;
    const struct az_enum_name *names; /* terminated by { NULL, 0 } */
    bool raw_codes;                   /* azure.encryption: also X / NX… codes */
    int id;
};

/* The parsed argument, the SigMatchCtx of every keyword here. */
typedef struct AzEnumData {
    uint8_t value;
    bool negated;
    char code[AZ_ENUM_ARG_MAX]; /* AZ_ENC_CODE only: upper-cased code */
} AzEnumData;

/* A record field equals the rule's value (or not, negated); an unknown
 * field (0) never matches, negated or not, since the log said nothing. */
static bool AzEnumIs(uint8_t field, const AzEnumData *d)
{
    return field != 0 && ((field == d->value) != d->negated);
}

/* Azure's codes are "X" or "NX…" in capitals, digits and underscores; the
 * prefix check turns a misspelt name ("encypted") into an error. */
static bool AzEncCodeNormalise(char *code)
{
    for (char *c = code; *c; c++) {
        *c = (char)toupper((unsigned char)*c);
        if (!isalnum((unsigned char)*c) && *c != '_')
            return false;
    }
    return strcmp(code, "X") == 0 || strncmp(code, "NX", 2) == 0;
}

static void AzEnumReject(const struct az_enum_kw *kw, const char *arg)
{
    char accepted[160] = "";
    size_t used = 0;
    for (const struct az_enum_name *n = kw->names; n->name != NULL; n++) {
        int w = snprintf(accepted + used, sizeof(accepted) - used, "%s%s",
                used ? ", " : "", n->name);
        if (w < 0 || (size_t)w >= sizeof(accepted) - used)
            break;
        used += (size_t)w;
    }
    SCLogError("%s: invalid value '%s'; accepted: %s%s (negate with '!')", kw->name,
            arg ? arg : "", accepted, kw->raw_codes ? ", or an Azure code X / NX / NX_…" : "");
}

/* Parse → Setup → Free, shared; each keyword below adds its Setup and Match. */

static AzEnumData *AzEnumParse(const struct az_enum_kw *kw, const char *arg, bool negated)
{
    if (arg == NULL)
        goto bad;
    /* The rule parser strips `!` and quotes in `!deny` and `!"deny"`;
     * this takes the blanks and the `!` of `"! deny"`.  Two `!` are
     * refused: more likely a slip than a wish for the plain value. */
    while (isblank((unsigned char)*arg))
        arg++;
    if (*arg == '!') {
        if (negated)
            goto bad;
        negated = true;
        arg++;
        while (isblank((unsigned char)*arg))
            arg++;
    }
    size_t len = strlen(arg);
    while (len > 0 && isblank((unsigned char)arg[len - 1]))
        len--;
    if (len == 0 || len >= AZ_ENUM_ARG_MAX)
        goto bad;

    AzEnumData *d = SCCalloc(1, sizeof(*d));
    if (d == NULL) {
        SCLogError("%s: out of memory", kw->name);
        return NULL;
    }
    memcpy(d->code, arg, len);
    d->negated = negated;
    for (const struct az_enum_name *n = kw->names; n->name != NULL; n++) {
        if (strcasecmp(d->code, n->name) == 0) {
            d->value = n->value;
            d->code[0] = '\0';
            return d;
        }
    }
    if (kw->raw_codes && AzEncCodeNormalise(d->code)) {
        d->value = AZ_ENC_CODE;
        return d;
    }
    SCFree(d);
bad:
    AzEnumReject(kw, arg);
    return NULL;
}

static int AzEnumSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg,
        const struct az_enum_kw *kw)
{
    AzEnumData *d = AzEnumParse(kw, arg, s->init_data->negated);
    if (d == NULL)
        return -1;
    if (SCSigMatchAppendSMToList(de_ctx, s, (uint16_t)kw->id, (SigMatchCtx *)d,
                DETECT_SM_LIST_MATCH) == NULL) {
        SCFree(d);
        return -1;
    }
    /* The field lives on the flow, but it is read per packet. */
    s->flags |= SIG_FLAG_REQUIRE_PACKET;
    AzKwPrefilterRule(de_ctx, kw->id);
    return 0;
}

static void AzEnumFree(DetectEngineCtx *de_ctx, void *ptr)
{
    SCFree(ptr);
}

/* --- azure.flowlog ------------------------------------------------------------- */

static int g_kw_flowlog = -1;

int AzKwFlowlogId(void)
{
    return g_kw_flowlog;
}

static int FlowlogSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    /* No argument, so no context: presence of a record is the whole test. */
    if (SCSigMatchAppendSMToList(de_ctx, s, (uint16_t)g_kw_flowlog, NULL,
                DETECT_SM_LIST_MATCH) == NULL)
        return -1;
    s->flags |= SIG_FLAG_REQUIRE_PACKET;
    AzKwPrefilterRule(de_ctx, g_kw_flowlog);
    return 0;
}

static bool FlowlogTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    return AzKwHasRecord(info);
}

static int FlowlogMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return FlowlogTest(AzKwFlowInfo(p), ctx);
}

/* --- azure.decision ------------------------------------------------------------ */

static const struct az_enum_name decision_names[] = {
    { "allow", AZF_DECISION_ALLOW }, { "deny", AZF_DECISION_DENY }, { NULL, 0 }
};
static struct az_enum_kw g_decision = { "azure.decision", decision_names, false, -1 };

static int DecisionSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzEnumSetup(de_ctx, s, arg, &g_decision);
}

static bool DecisionTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    return AzKwHasRecord(info) && AzEnumIs(info->decision, (const AzEnumData *)ctx);
}

static int DecisionMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return DecisionTest(AzKwFlowInfo(p), ctx);
}

/* --- azure.direction ----------------------------------------------------------- */

static const struct az_enum_name direction_names[] = {
    { "inbound", AZF_DIR_INBOUND }, { "outbound", AZF_DIR_OUTBOUND }, { NULL, 0 }
};
static struct az_enum_kw g_direction = { "azure.direction", direction_names, false, -1 };

static int DirectionSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzEnumSetup(de_ctx, s, arg, &g_direction);
}

static bool DirectionTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    return AzKwHasRecord(info) && AzEnumIs(info->direction, (const AzEnumData *)ctx);
}

static int DirectionMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return DirectionTest(AzKwFlowInfo(p), ctx);
}

/* --- azure.state --------------------------------------------------------------- */

static const struct az_enum_name state_names[] = {
    { "begin", AZF_STATE_BEGIN }, { "continuing", AZF_STATE_CONTINUING },
    { "end", AZF_STATE_END }, { "deny", AZF_STATE_DENY }, { NULL, 0 }
};
static struct az_enum_kw g_state = { "azure.state", state_names, false, -1 };

static int StateSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzEnumSetup(de_ctx, s, arg, &g_state);
}

static bool StateTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    /* NSG v1 records carry AZF_STATE_NONE (0), which AzEnumIs never matches. */
    return AzKwHasRecord(info) && AzEnumIs(info->state, (const AzEnumData *)ctx);
}

static int StateMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return StateTest(AzKwFlowInfo(p), ctx);
}

/* --- azure.encryption ---------------------------------------------------------- */

static const struct az_enum_name encryption_names[] = {
    { "encrypted", AZ_ENC_ENCRYPTED }, { "unencrypted", AZ_ENC_UNENCRYPTED }, { NULL, 0 }
};
static struct az_enum_kw g_encryption = { "azure.encryption", encryption_names, true, -1 };

static int EncryptionSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzEnumSetup(de_ctx, s, arg, &g_encryption);
}

static bool EncryptionTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    /* NSG logs have no encryption field: no claim either way. */
    if (!AzKwHasRecord(info) || info->encryption == NULL)
        return false;
    const AzEnumData *d = (const AzEnumData *)ctx;
    bool is;
    switch (d->value) {
        case AZ_ENC_ENCRYPTED:
            is = strcmp(info->encryption, "X") == 0;
            break;
        case AZ_ENC_UNENCRYPTED:
            /* "NX" and every reason code after it ("NX_LOCAL_DST", …). */
            is = strncmp(info->encryption, "NX", 2) == 0;
            break;
        default:
            is = strcmp(info->encryption, d->code) == 0;
            break;
    }
    return is != d->negated;
}

static int EncryptionMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return EncryptionTest(AzKwFlowInfo(p), ctx);
}

/* --- azure.mirrored ------------------------------------------------------------ */

static const struct az_enum_name mirrored_names[] = {
    { "true", AZ_MIRRORED_TRUE }, { "false", AZ_MIRRORED_FALSE }, { NULL, 0 }
};
static struct az_enum_kw g_mirrored = { "azure.mirrored", mirrored_names, false, -1 };

static int MirroredSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzEnumSetup(de_ctx, s, arg, &g_mirrored);
}

static bool MirroredTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    return AzKwHasRecord(info) &&
           AzEnumIs(info->mirrored ? AZ_MIRRORED_TRUE : AZ_MIRRORED_FALSE, (const AzEnumData *)ctx);
}

static int MirroredMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return MirroredTest(AzKwFlowInfo(p), ctx);
}

/* --- azure.vpn ----------------------------------------------------------------- */

static const struct az_enum_name vpn_names[] = {
    { "inner", AZ_VPN_INNER }, { "outer", AZ_VPN_OUTER }, { NULL, 0 }
};
static struct az_enum_kw g_vpn = { "azure.vpn", vpn_names, false, -1 };

static int VpnSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzEnumSetup(de_ctx, s, arg, &g_vpn);
}

static bool VpnTest(const struct az_flowinfo *info, const SigMatchCtx *ctx)
{
    /* A VPN gateway capture marks its packets whether or not a flow-log
     * record exists for them, so no record is required here. */
    return info != NULL && AzEnumIs(info->vpn, (const AzEnumData *)ctx);
}

static int VpnMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,
        const SigMatchCtx *ctx)
{
    return VpnTest(AzKwFlowInfo(p), ctx);
}

/* --- registration ---------------------------------------------------------------- */

static int AzEnumRegisterOne(const char *name, const char *desc, const char *url,
        int (*Setup)(DetectEngineCtx *, Signature *, const char *),
        int (*Match)(DetectEngineThreadCtx *, Packet *, const Signature *, const SigMatchCtx *),
        AzKwTestFn Test, uint16_t flags)
{
    /* sigmatch_table may move with each new id: index it, never keep a pointer. */
    int id = AzKwNewId(name);
    sigmatch_table[id].name = name;
    sigmatch_table[id].desc = desc;
    sigmatch_table[id].url = url;
    sigmatch_table[id].Setup = Setup;
    sigmatch_table[id].Match = Match;
    sigmatch_table[id].Free = (flags & SIGMATCH_NOOPT) ? NULL : AzEnumFree;
    sigmatch_table[id].flags = flags;
    AzKwPrefilterKeyword(id, Test, NULL);
    return id;
}

void AzKwEnumRegister(void)
{
    const uint16_t arg = SIGMATCH_QUOTES_OPTIONAL | SIGMATCH_HANDLE_NEGATION;

    g_kw_flowlog = AzEnumRegisterOne("azure.flowlog",
            "match packets whose flow correlated with an Azure flow-log record",
            AZ_KW_DOC("azureflowlog"), FlowlogSetup, FlowlogMatch, FlowlogTest, SIGMATCH_NOOPT);
    g_decision.id = AzEnumRegisterOne(g_decision.name,
            "match the Azure flow-log decision (allow, deny) of the packet's flow",
            AZ_KW_DOC("azuredecision"), DecisionSetup, DecisionMatch, DecisionTest, arg);
    g_direction.id = AzEnumRegisterOne(g_direction.name,
            "match the Azure flow-log direction (inbound, outbound) of the packet's flow",
            AZ_KW_DOC("azuredirection"), DirectionSetup, DirectionMatch, DirectionTest, arg);
    g_state.id = AzEnumRegisterOne(g_state.name,
            "match the latest Azure flow-log state (begin, continuing, end, deny)",
            AZ_KW_DOC("azurestate"), StateSetup, StateMatch, StateTest, arg);
    g_encryption.id = AzEnumRegisterOne(g_encryption.name,
            "match the Azure VNet encryption status (encrypted, unencrypted or a code)",
            AZ_KW_DOC("azureencryption"), EncryptionSetup, EncryptionMatch, EncryptionTest, arg);
    g_mirrored.id = AzEnumRegisterOne(g_mirrored.name,
            "match whether the flow-log 5-tuple was seen in mirrored traffic (true, false)",
            AZ_KW_DOC("azuremirrored"), MirroredSetup, MirroredMatch, MirroredTest, arg);
    g_vpn.id = AzEnumRegisterOne(g_vpn.name,
            "match a VPN gateway capture packet's layer (inner, outer)",
            AZ_KW_DOC("azurevpn"), VpnSetup, VpnMatch, VpnTest, arg);
}
