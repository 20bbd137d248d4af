/* azflow plugin: the counter keywords azure.pkts_toserver, azure.pkts_toclient,
 * azure.bytes_toserver, azure.bytes_toclient, in Suricata's integer syntax. */
#include "suricata-common.h"
#include "decode.h"
#include "detect.h"
#include "detect-parse.h"
#include "detect-engine-uint.h"
#include "util-debug.h"

#include "../flowinfo.h"
#include "keywords.h"

/* Which summed counter of the flow info a keyword reads. */
enum az_counter { AZ_PKTS_TOSERVER, AZ_PKTS_TOCLIENT, AZ_BYTES_TOSERVER, AZ_BYTES_TOCLIENT };

/* A keyword of this file: its name, counter and sigmatch id. */
struct az_uint_kw {
    const char *name;
    enum az_counter counter;
    int id;
};

static struct az_uint_kw g_pkts_toserver = { "azure.pkts_toserver", AZ_PKTS_TOSERVER, -1 };
static struct az_uint_kw g_pkts_toclient = { "azure.pkts_toclient", AZ_PKTS_TOCLIENT, -1 };
static struct az_uint_kw g_bytes_toserver = { "azure.bytes_toserver", AZ_BYTES_TOSERVER, -1 };
static struct az_uint_kw g_bytes_toclient = { "azure.bytes_toclient", AZ_BYTES_TOCLIENT, -1 };

/* Parse → Setup → Match → Free, shared; the keywords differ only in the
 * counter, so each one below is a Setup and a Match of one line. */

static DetectUintData_u64 *AzUintParse(const struct az_uint_kw *kw, const char *arg)
{
    /* Suricata's own parser, so `>100`, `10-20`, `!0`, `1mb` mean here
     * what they mean for flow.bytes_toserver. */
    DetectUintData_u64 *du = arg != NULL ? SCDetectU64Parse(arg) : NULL;
    if (du == NULL)
        SCLogError("%s: invalid value '%s'; expected an unsigned integer expression "
                   "such as 100, >100, <=5, 10-20, !0 or 1mb",
                kw->name, arg ? arg : "");
    return du;
}

static int AzUintSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg,
        const struct az_uint_kw *kw)
{
    DetectUintData_u64 *du = AzUintParse(kw, arg);
    if (du == NULL)
        return -1;
    if (SCSigMatchAppendSMToList(de_ctx, s, (uint16_t)kw->id, (SigMatchCtx *)du,
                DETECT_SM_LIST_MATCH) == NULL) {
        SCDetectU64Free(du);
        return -1;
    }
    s->flags |= SIG_FLAG_REQUIRE_PACKET;
    AzKwPrefilterRule(de_ctx, kw->id);
    return 0;
}

static uint64_t Counter(const struct az_flowinfo *info, enum az_counter counter)
{
    switch (counter) {
        case AZ_PKTS_TOSERVER:
            return info->pkts_toserver;
        case AZ_PKTS_TOCLIENT:
            return info->pkts_toclient;
        case AZ_BYTES_TOSERVER:
            return info->bytes_toserver;
        case AZ_BYTES_TOCLIENT:
            return info->bytes_toclient;
    }
    return 0;
}

static bool AzUintTest(const struct az_flowinfo *info, const SigMatchCtx *ctx, enum az_counter counter)
{
    /* NSG v1 records carry no counters: a missing count is not a zero. */
    if (!AzKwHasRecord(info) || !(info->have & AZ_HAVE_COUNTERS))
        return 0;
    return SCDetectU64Match(Counter(info, counter), (const DetectUintData_u64 *)ctx);
}

/* For the rule engine's digest test: could the keyword hold on some flow
 * whose summed counter is at most info's (a flow folds a subset of its
 * key's records)?  Only a lower bound can rule that out. */
static bool AzUintPossible(const struct az_flowinfo *info, const SigMatchCtx *ctx,
        enum az_counter counter)
{
    if (!AzKwHasRecord(info) || !(info->have & AZ_HAVE_COUNTERS))
        return 0;
    const DetectUintData_u64 *du = (const DetectUintData_u64 *)ctx;
    uint64_t least;
    switch (du->mode) {
        case DetectUintModeEqual:
        case DetectUintModeGte:
            least = du->arg1;
            break;
        case DetectUintModeGt:
        case DetectUintModeRange:
            if (du->arg1 == UINT64_MAX)
                return false;
            least = du->arg1 + 1;
            break;
        default:
            return true; /* true at 0, or no simple bound: possible */
    }
    return least <= Counter(info, counter);
}

static void AzUintFree(DetectEngineCtx *de_ctx, void *ptr)
{
    /* Allocated by Rust: SCFree would hand it to the wrong allocator. */
    SCDetectU64Free(ptr);
}

/* --- the four keywords ------------------------------------------------------- */

static int PktsToServerSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzUintSetup(de_ctx, s, arg, &g_pkts_toserver);
}

static int PktsToClientSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzUintSetup(de_ctx, s, arg, &g_pkts_toclient);
}

static int BytesToServerSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzUintSetup(de_ctx, s, arg, &g_bytes_toserver);
}

static int BytesToClientSetup(DetectEngineCtx *de_ctx, Signature *s, const char *arg)
{
    return AzUintSetup(de_ctx, s, arg, &g_bytes_toclient);
}

/* Each counter's Test (on an info), Possible (AzUintPossible) and Match
 * (on the packet's flow). */
#define AZ_UINT_FUNCS(Name, counter)                                                               \
    static bool Name##Test(const struct az_flowinfo *info, const SigMatchCtx *ctx)                 \
    {                                                                                              \
        return AzUintTest(info, ctx, counter);                                                     \
    }                                                                                              \
    static bool Name##Possible(const struct az_flowinfo *info, const SigMatchCtx *ctx)             \
    {                                                                                              \
        return AzUintPossible(info, ctx, counter);                                                 \
    }                                                                                              \
    static int Name##Match(DetectEngineThreadCtx *det_ctx, Packet *p, const Signature *s,          \
            const SigMatchCtx *ctx)                                                                \
    {                                                                                              \
        return Name##Test(AzKwFlowInfo(p), ctx);                                                   \
    }

AZ_UINT_FUNCS(PktsToServer, AZ_PKTS_TOSERVER)
AZ_UINT_FUNCS(PktsToClient, AZ_PKTS_TOCLIENT)
AZ_UINT_FUNCS(BytesToServer, AZ_BYTES_TOSERVER)
AZ_UINT_FUNCS(BytesToClient, AZ_BYTES_TOCLIENT)

/* --- registration ---------------------------------------------------------------- */

static void AzUintRegisterOne(struct az_uint_kw *kw, const char *desc, const char *url,
        int (*Setup)(DetectEngineCtx *, Signature *, const char *),
        int (*Match)(DetectEngineThreadCtx *, Packet *, const Signature *, const SigMatchCtx *),
        AzKwTestFn Test, AzKwTestFn Possible)
{
    /* sigmatch_table may move with each new id: index it, never keep a pointer. */
    kw->id = AzKwNewId(kw->name);
    sigmatch_table[kw->id].name = kw->name;
    sigmatch_table[kw->id].desc = desc;
    sigmatch_table[kw->id].url = url;
    sigmatch_table[kw->id].Setup = Setup;
    sigmatch_table[kw->id].Match = Match;
    sigmatch_table[kw->id].Free = AzUintFree;
    sigmatch_table[kw->id].flags = SIGMATCH_QUOTES_OPTIONAL;
    AzKwPrefilterKeyword(kw->id, Test, Possible);
}

void AzKwUintRegister(void)
{
    AzUintRegisterOne(&g_pkts_toserver,
            "match the summed Azure flow-log packet count, record source to destination",
            AZ_KW_DOC("azurepkts_toserver-azurepkts_toclient"), PktsToServerSetup,
            PktsToServerMatch, PktsToServerTest, PktsToServerPossible);
    AzUintRegisterOne(&g_pkts_toclient,
            "match the summed Azure flow-log packet count, record destination to source",
            AZ_KW_DOC("azurepkts_toserver-azurepkts_toclient"), PktsToClientSetup,
            PktsToClientMatch, PktsToClientTest, PktsToClientPossible);
    AzUintRegisterOne(&g_bytes_toserver,
            "match the summed Azure flow-log byte count, record source to destination",
            AZ_KW_DOC("azurebytes_toserver-azurebytes_toclient"), BytesToServerSetup,
            BytesToServerMatch, BytesToServerTest, BytesToServerPossible);
    AzUintRegisterOne(&g_bytes_toclient,
            "match the summed Azure flow-log byte count, record destination to source",
            AZ_KW_DOC("azurebytes_toserver-azurebytes_toclient"), BytesToClientSetup,
            BytesToClientMatch, BytesToClientTest, BytesToClientPossible);
}
