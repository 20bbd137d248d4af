/* azflow plugin: the rule engine for azure.* keywords.  Azure keywords are
 * facts of a flow, not of a packet, so a rule made of them (and of the flow's
 * own state: direction, established, app protocol) can only change its
 * verdict when those inputs change.  Suricata would still evaluate it on
 * every packet; this prefilter engine, one per rule group, makes such rules
 * candidates only on the packet where a flow's inputs changed (its memo in
 * the flow state, plugin/correlate.c), or where a `limit by_flow` window has
 * run out.  Rules whose alerts are not limited once per flow, or which mix
 * azure keywords with per-packet conditions, stay exact by being added on
 * every packet while their azure keywords hold, or by staying in Suricata's
 * own lists.  The digest test, which spares a flow no rule could ever
 * match its state and index lookups, is in kw_prefilter_digest.c.
 *
 * It leans on Suricata internals (Signature, SignatureInitData,
 * SigGroupHeadInitData), which is why plugin.c runs the host guard first. */
#include "suricata-common.h"
#include "action-globals.h"
#include "decode.h"
#include "detect.h"
#include "detect-engine.h"
#include "detect-engine-buffer.h"
#include "detect-engine-prefilter.h"
#include "detect-flow.h"
#include "detect-pcre.h"
#include "detect-parse.h"
#include "detect-threshold.h"
#include "flow.h"
#include "util-prefilter.h"

#include "../flowinfo.h"
#include "keywords.h"
#include "kw_prefilter_int.h"
#include "../sctime.h"
#include "../stats.h"
/* The keyword ids and buffer ids of azflow: which sigmatches are ours. */
#define AZ_PF_MAX_IDS 32
static int g_kw_ids[AZ_PF_MAX_IDS];
static AzKwTestFn g_kw_tests[AZ_PF_MAX_IDS];
static AzKwTestFn g_kw_possible[AZ_PF_MAX_IDS]; /* NULL: the test itself */
static int g_nkw_ids;
static int g_buffer_ids[2];
static int g_nbuffer_ids;
static bool g_enabled;

/* The keyword's test, or NULL when `type` is not an azure keyword. */
static AzKwTestFn AzureTest(int type)
{
    for (int i = 0; i < g_nkw_ids; i++)
        if (g_kw_ids[i] == type)
            return g_kw_tests[i];
    return NULL;
}

static bool IsAzureKeyword(int type)
{
    return AzureTest(type) != NULL;
}

static AzKwTestFn AzurePossible(int type)
{
    for (int i = 0; i < g_nkw_ids; i++)
        if (g_kw_ids[i] == type)
            return g_kw_possible[i];
    return NULL;
}

static bool IsAzureBuffer(int list)
{
    for (int i = 0; i < g_nbuffer_ids; i++)
        if (g_buffer_ids[i] == list)
            return true;
    return false;
}

/* --- counters: per detect thread, folded into az_stats ---------------------- */

/* Plain per-thread counts (struct az_pf_thread), folded into the shared
 * atomics now and then so the packet path never touches a cache line
 * another thread writes. */
#define AZ_PF_FOLD_EVERY 256

static void __attribute__((cold)) ThreadFold(struct az_pf_thread *t)
{
    AZ_STAT_ADD(detect_calls, t->calls);
    AZ_STAT_ADD(detect_key_changes, t->key_changes);
    AZ_STAT_ADD(detect_candidates, t->candidates);
    t->calls = t->key_changes = t->candidates = 0;
}

static void *ThreadInit(void *data)
{
    struct az_pf_thread *t = SCCalloc(1, sizeof(struct az_pf_thread));
    if (t != NULL)
        t->engine = data;
    return t;
}

static void ThreadFree(void *ptr)
{
    if (ptr != NULL)
        ThreadFold(ptr);
    SCFree(ptr);
}

/* --- which rules the engine takes ------------------------------------------ */

/* Rules Suricata would put in its packet non-prefilter list: the only
 * place a candidate added by a packet engine is looked at.  Hook,
 * firewall, app-layer transaction and frame rules are not (a prefilter
 * would take them out of their own lists), nor rules that also run on
 * pseudo packets (the engine runs on real packets only). */
static bool Eligible(const DetectEngineCtx *de_ctx, const Signature *s, bool have_mask)
{
    if (s->flags & (SIG_FLAG_FIREWALL | SIG_FLAG_FW_HOOK_LTE))
        return false;
    if (s->init_data->hook.type != SIGNATURE_HOOK_TYPE_NOT_SET)
        return false;
    if (have_mask ? !(s->mask & SIG_MASK_REQUIRE_REAL_PKT)
                  : (s->flags & (SIG_FLAG_REQUIRE_PACKET | SIG_FLAG_REQUIRE_STREAM)) !=
                            SIG_FLAG_REQUIRE_PACKET)
        return false;
    for (uint32_t x = 0; x < s->init_data->buffer_index; x++) {
        const DetectBufferType *b = DetectEngineBufferTypeGetById(de_ctx, s->init_data->buffers[x].id);
        if (b == NULL || !b->packet)
            return false;
    }
    return true;
}

/* `flow` options that depend on the flow's state, not on the packet. */
#define AZ_PF_FLOW_FLAGS                                                                            \
    (DETECT_FLOW_FLAG_TOSERVER | DETECT_FLOW_FLAG_TOCLIENT | DETECT_FLOW_FLAG_ESTABLISHED |         \
            DETECT_FLOW_FLAG_NOT_ESTABLISHED | DETECT_FLOW_FLAG_STATELESS)

/* An eligible rule whose verdict on a flow's packets in one direction can
 * change only when the flow's azure facts, established or app protocol
 * change: azure keywords, `flow` state options and the azure buffers, and
 * nothing read from the packet itself. */
static bool FlowStable(const Signature *s, bool have_mask)
{
    const SignatureInitData *id = s->init_data;
    if (id->smlists[DETECT_SM_LIST_PMATCH] || id->smlists[DETECT_SM_LIST_BASE64_DATA] ||
            id->smlists[DETECT_SM_LIST_POSTMATCH] || id->smlists[DETECT_SM_LIST_TMATCH])
        return false;
    if (s->flags & SIG_FLAG_DSIZE)
        return false;
    if (have_mask &&
            (s->mask & ~(SignatureMask)(SIG_MASK_REQUIRE_FLOW | SIG_MASK_REQUIRE_REAL_PKT)) != 0)
        return false;
    for (const SigMatch *sm = id->smlists[DETECT_SM_LIST_MATCH]; sm != NULL; sm = sm->next) {
        if (IsAzureKeyword(sm->type))
            continue;
        if (sm->type == DETECT_FLOW &&
                (((const DetectFlowData *)sm->ctx)->flags & ~AZ_PF_FLOW_FLAGS) == 0)
            continue;
        return false;
    }
    for (uint32_t x = 0; x < id->buffer_index; x++)
        if (!IsAzureBuffer((int)id->buffers[x].id))
            return false;
    return true;
}

/* An alert rule whose alerts are limited to one per flow per window: being
 * true on every later packet of the window changes nothing, so it needs
 * evaluating only when its inputs change and when the window runs out.
 * Sets *seconds to the window. */
static bool LimitedOncePerFlow(const Signature *s, uint32_t *seconds)
{
    if (s->action != ACTION_ALERT)
        return false; /* drop/pass/reject act on every packet */
    const SigMatch *sm = s->init_data->smlists[DETECT_SM_LIST_THRESHOLD];
    if (sm == NULL || sm->next != NULL || sm->type != DETECT_THRESHOLD)
        return false;
    const DetectThresholdData *td = (const DetectThresholdData *)sm->ctx;
    if (td->type != TYPE_LIMIT || td->track != TRACK_FLOW || td->count != 1)
        return false;
    *seconds = td->seconds;
    return true;
}

static SigMatch *FirstAzureMatch(const Signature *s)
{
    for (SigMatch *sm = s->init_data->smlists[DETECT_SM_LIST_MATCH]; sm != NULL; sm = sm->next)
        if (IsAzureKeyword(sm->type))
            return sm;
    return NULL;
}

/* --- every group of one detect engine (struct az_pf_engine) ------------------- */

static pthread_mutex_t g_engines_lock = PTHREAD_MUTEX_INITIALIZER;
static struct az_pf_engine *g_engines;

/* Lists g's rules the engine does not list yet; false when out of memory. */
static bool EngineAddRules(struct az_pf_engine *e, const struct az_pf_group *g)
{
    for (uint32_t i = 0; i < g->nrules; i++) {
        uint32_t k = 0;
        while (k < e->nrules && e->rules[k].r->s != g->rules[i].s)
            k++;
        if (k < e->nrules)
            continue;
        if (e->nrules == e->rules_cap) {
            uint32_t cap = e->rules_cap * 2 + 16;
            struct az_pf_member *rules = SCRealloc(e->rules, cap * sizeof(*rules));
            if (rules == NULL)
                return false;
            e->rules = rules;
            e->rules_cap = cap;
        }
        e->rules[e->nrules++] = (struct az_pf_member){ g, &g->rules[i] };
    }
    return true;
}

static struct az_pf_engine *EngineJoin(const DetectEngineCtx *de_ctx, struct az_pf_group *g)
{
    pthread_mutex_lock(&g_engines_lock);
    struct az_pf_engine *e = g_engines;
    while (e != NULL && e->de_ctx != de_ctx)
        e = e->next;
    if (e == NULL && (e = SCCalloc(1, sizeof(*e))) != NULL) {
        e->de_ctx = de_ctx;
        e->next = g_engines;
        g_engines = e;
        AzFlowFactsFilterLoaded(true);
    }
    if (e != NULL && e->ngroups == e->cap) {
        uint32_t cap = e->cap * 2 + 16;
        struct az_pf_group **groups = SCRealloc(e->groups, cap * sizeof(*groups));
        if (groups != NULL) {
            e->groups = groups;
            e->cap = cap;
        }
    }
    if (e != NULL && e->ngroups < e->cap && EngineAddRules(e, g)) {
        e->groups[e->ngroups++] = g;
        g->engine = e;
    }
    pthread_mutex_unlock(&g_engines_lock);
    /* A group left out would make the others' verdicts wrong: the rules
     * fail to load instead (out of memory). */
    return g->engine;
}

/* A group's engine is freed with the last of its groups, when Suricata
 * frees the detect engine: no packet thread uses it any more. */
static void EngineLeave(struct az_pf_group *g)
{
    struct az_pf_engine *e = g->engine;
    if (e == NULL)
        return;
    pthread_mutex_lock(&g_engines_lock);
    for (uint32_t i = 0; i < e->ngroups; i++) {
        if (e->groups[i] == g) {
            e->groups[i] = e->groups[--e->ngroups];
            break;
        }
    }
    /* The rules listed from g: from another group that has them, or gone. */
    for (uint32_t k = 0; k < e->nrules;) {
        if (e->rules[k].g != g) {
            k++;
            continue;
        }
        const Signature *sig = e->rules[k].r->s;
        e->rules[k] = e->rules[--e->nrules];
        for (uint32_t gi = 0; gi < e->ngroups; gi++) {
            const struct az_pf_group *o = e->groups[gi];
            uint32_t i = 0;
            while (i < o->nrules && o->rules[i].s != sig)
                i++;
            if (i < o->nrules) {
                e->rules[e->nrules++] = (struct az_pf_member){ o, &o->rules[i] };
                break;
            }
        }
    }
    if (e->ngroups == 0) {
        for (struct az_pf_engine **pp = &g_engines; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == e) {
                *pp = e->next;
                break;
            }
        }
        SCFree(e->groups);
        SCFree(e->rules);
        SCFree(e);
        AzFlowFactsFilterLoaded(g_engines != NULL);
    }
    pthread_mutex_unlock(&g_engines_lock);
}

static void GroupFree(void *ptr)
{
    struct az_pf_group *g = ptr;
    if (g == NULL)
        return;
    EngineLeave(g);
    SCFree(g->rules);
    SCFree(g->kws);
    SCFree(g);
}

/* --- per packet ---------------------------------------------------------------- */

/* The rule's azure keywords, `flow` options and app protocol: what the
 * rule loop would test first, so a rule added here fails only later. */
static bool RuleHolds(DetectEngineThreadCtx *det_ctx, Packet *p, const struct az_flowinfo *info,
        const struct az_pf_group *g, const struct az_pf_rule *r)
{
    if (r->alproto != ALPROTO_UNKNOWN && !AppProtoEquals(r->alproto, p->flow->alproto))
        return false;
    for (uint32_t k = r->first_kw; k < r->first_kw + r->nkw; k++) {
        const struct az_pf_kw *kw = &g->kws[k];
        if (kw->Test != NULL ? !kw->Test(info, kw->ctx) : !kw->Match(det_ctx, p, r->s, kw->ctx))
            return false;
    }
    return true;
}

/* A buffer rule's contents on the flow's azure.rule / azure.acl: they read
 * only those strings, so the verdict is memoised per pair of strings.  A
 * miss runs the rule's own inspection of those buffers (the engines the
 * rule loop would run; Suricata caches the buffers for the rest of the
 * packet), so a rule whose strings cannot match is never a candidate. */
bool AzPfBuffersMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const struct az_flowinfo *info,
        const struct az_pf_rule *r, struct az_pf_thread *t)
{
    const uint32_t version = det_ctx->de_ctx->version;
    struct az_pf_verdict *v = NULL;
    if (t != NULL) {
        uintptr_t h = (uintptr_t)info->rule * 31 + (uintptr_t)info->acl * 17 + r->iid;
        v = &t->verdicts[(h ^ (h >> 9)) & (AZ_PF_VERDICTS - 1)];
        if (v->rule == info->rule && v->acl == info->acl && v->iid == r->iid &&
                v->version == version && (v->rule != NULL || v->acl != NULL))
            return v->match;
    }
    bool match = true;
    for (const DetectEnginePktInspectionEngine *e = r->s->pkt_inspect; e != NULL && match;
            e = e->next) {
        if (!IsAzureBuffer(e->sm_list))
            continue;
        uint8_t alert_flags = 0;
        match = e->v1.Callback(det_ctx, e, r->s, p, &alert_flags);
    }
    if (v != NULL) {
        *v = (struct az_pf_verdict){ .rule = info->rule, .acl = info->acl, .iid = r->iid,
            .version = version, .match = match };
    }
    return match;
}

/* Adds the rules of [from, to) that read a key bit in `changed` and whose
 * keywords hold; true if any did. */
static bool AddHolding(DetectEngineThreadCtx *det_ctx, Packet *p, const struct az_flowinfo *info,
        const struct az_pf_group *g, uint32_t from, uint32_t to, uint64_t changed,
        struct az_pf_thread *t)
{
    bool any = false;
    for (uint32_t i = from; i < to; i++) {
        const struct az_pf_rule *r = &g->rules[i];
        if ((r->key_mask & changed) != 0 && RuleHolds(det_ctx, p, info, g, r) &&
                (!r->buffers_cached || AzPfBuffersMatch(det_ctx, p, info, r, t))) {
            PrefilterAddSids(&det_ctx->pmq, &r->iid, 1);
            any = true;
            if (t != NULL)
                t->candidates++;
        }
    }
    return any;
}

/* Bits of the key below the generation. */
#define AZ_PF_KEY_REVERSED 0x1ULL
#define AZ_PF_KEY_EST 0x2ULL
#define AZ_PF_KEY_ALPROTO 0xffff0000ULL
#define AZ_PF_KEY_GENERATION 0xffffffff00000000ULL

/* An ICMP error or a fragment on the flow is matched against other headers
 * (another rule group, no ports) than the flow's own packets: evaluated on
 * its own, leaving the memo to the flow's packets. */
static void __attribute__((noinline, cold)) RunUnstable(DetectEngineThreadCtx *det_ctx, Packet *p,
        const struct az_flowinfo *info, const struct az_pf_group *g, struct az_pf_thread *t)
{
    AddHolding(det_ctx, p, info, g, 0, g->nrules, UINT64_MAX, t);
    if (t != NULL) {
        t->key_changes++;
        ThreadFold(t);
    }
}

/* The flow's inputs changed (`changed`: which key bits) or a window ran out:
 * evaluate the gated rules that read them, and remember the key. */
static void __attribute__((noinline, cold)) Reevaluate(DetectEngineThreadCtx *det_ctx, Packet *p,
        const struct az_flowinfo *info, const struct az_pf_group *g, struct az_detect_memo *memo,
        int dir, uint64_t key, uint64_t changed, int64_t now, bool expired, struct az_pf_thread *t)
{
    const int64_t due = memo->due_us[dir];
    memo->key[dir] = key;
    memo->version[dir] = det_ctx->de_ctx->version;
    if (expired)
        changed = UINT64_MAX;
    if (AddHolding(det_ctx, p, info, g, 0, g->ngated, changed, t)) {
        /* A window opens at the first alert once the last one ended
         * (detect-engine-threshold.c, TYPE_LIMIT): keep an open one.  The
         * window is the flow's, not the direction's, and an add here may
         * have been suppressed by a window opened the other way: never wait
         * past the other direction's due time. */
        if (due == 0 || expired) {
            int64_t next = now + g->window_us;
            const int64_t other = memo->due_us[dir ^ 1];
            if (other > now && other < next)
                next = other;
            memo->due_us[dir] = next;
        }
    } else if (expired) {
        memo->due_us[dir] = 0;
    }
    if (t != NULL) {
        t->key_changes++;
        ThreadFold(t); /* rare, and the final stats are written before threads end */
    }
}

static void __attribute__((hot)) AzPfRun(DetectEngineThreadCtx *det_ctx, Packet *p, const void *pectx)
{
    const struct az_pf_group *g = pectx;
    /* DetectThreadCtxGetKeywordThreadCtx without the call, once per packet. */
    struct az_pf_thread *t = g->thread_id < det_ctx->keyword_ctxs_size
                                     ? det_ctx->keyword_ctxs_array[g->thread_id]
                                     : NULL;
    if (t != NULL && ++t->calls >= AZ_PF_FOLD_EVERY)
        ThreadFold(t);

    Flow *f = p->flow; /* the engine's mask requires one */
    struct az_detect_memo *memo = NULL;
    const struct az_flowinfo *info = NULL;
    struct az_pf_ask ask = { det_ctx, p, t };
    const struct az_facts_filter filter = { AzPfCouldHold, &ask, det_ctx->de_ctx->version };
    /* The filter judges rule headers on the flow's own ends: a packet with
     * other headers (ICMP error, fragment) makes the flow's state instead. */
    const bool unstable = PacketGetIPProto(p) != f->proto || (p->flags & PKT_IS_FRAGMENT);
    const uint32_t generation = AzFlowFactsGeneration(f, &memo, &info,
            t != NULL && t->engine != NULL && !unstable ? &filter : NULL);
    if (generation == 0)
        return; /* no facts: no azure keyword can hold */
    if (unlikely(unstable)) {
        RunUnstable(det_ctx, p, info, g, t);
        return;
    }

    const int dir = (p->flowflags & FLOW_PKT_TOCLIENT) ? 1 : 0;
    /* Everything a flow-stable rule reads besides the facts: established
     * (flow keyword), the app protocol (rule header), and which way round
     * the flow is (swapped once at most, flow.c FlowSwap); and the rules
     * themselves (a reload resets the flow's rule groups). */
    const uint64_t key = ((uint64_t)generation << 32) | ((uint64_t)f->alproto << 16) |
                         ((p->flowflags & FLOW_PKT_ESTABLISHED) ? AZ_PF_KEY_EST : 0) |
                         ((f->flags & FLOW_DIR_REVERSED) ? AZ_PF_KEY_REVERSED : 0);
    const uint64_t changed = det_ctx->de_ctx->version != memo->version[dir]
                                     ? UINT64_MAX
                                     : (key ^ memo->key[dir]) & g->key_mask;
    const int64_t now = AzTimeUs(p->ts);
    const int64_t due = memo->due_us[dir];
    const bool expired = due != 0 && now > due;
    if (unlikely(changed != 0 || expired))
        Reevaluate(det_ctx, p, info, g, memo, dir, key, changed, now, expired, t);
    if (g->nrules > g->ngated)
        AddHolding(det_ctx, p, info, g, g->ngated, g->nrules, UINT64_MAX, t);
}

/* --- rule group setup --------------------------------------------------------- */

static int RuleAdd(struct az_pf_group *g, uint32_t *kw_cap, const Signature *s)
{
    struct az_pf_rule *r = &g->rules[g->nrules];
    r->s = s;
    r->iid = s->iid;
    r->alproto = (s->flags & SIG_FLAG_APPLAYER) ? s->alproto : ALPROTO_UNKNOWN;
    r->buffers_cached = false;
    r->any_header = (s->flags & (SIG_FLAG_SRC_ANY | SIG_FLAG_DST_ANY | SIG_FLAG_SP_ANY |
                                        SIG_FLAG_DP_ANY)) == (SIG_FLAG_SRC_ANY | SIG_FLAG_DST_ANY |
                                                                     SIG_FLAG_SP_ANY | SIG_FLAG_DP_ANY) &&
                    (s->proto.flags & DETECT_PROTO_ANY) &&
                    !(s->proto.flags & (DETECT_PROTO_IPV4 | DETECT_PROTO_IPV6));
    r->buffers = false;
    for (uint32_t x = 0; x < s->init_data->buffer_index; x++)
        if (IsAzureBuffer((int)s->init_data->buffers[x].id))
            r->buffers = true;
    r->nkw = 0;
    uint32_t first = 0;
    for (uint32_t i = 0; i < g->nrules; i++)
        first += g->rules[i].nkw;
    r->first_kw = first;
    for (const SigMatch *sm = s->init_data->smlists[DETECT_SM_LIST_MATCH]; sm != NULL;
            sm = sm->next) {
        if (!IsAzureKeyword(sm->type) && sm->type != DETECT_FLOW)
            continue;
        if (first + r->nkw >= *kw_cap) {
            uint32_t cap = *kw_cap * 2 + 8;
            struct az_pf_kw *kws = SCRealloc(g->kws, cap * sizeof(*kws));
            if (kws == NULL)
                return -1;
            g->kws = kws;
            *kw_cap = cap;
        }
        g->kws[first + r->nkw].Test = AzureTest(sm->type);
        g->kws[first + r->nkw].Possible = AzurePossible(sm->type);
        g->kws[first + r->nkw].Match = sigmatch_table[sm->type].Match;
        g->kws[first + r->nkw].ctx = sm->ctx;
        r->nkw++;
    }
    g->nrules++;
    return 0;
}

/* A flow-stable rule whose azure buffers hold only side-effect-free
 * inspection (content, pcre without captures, bsize, isdataat): its
 * verdict on the buffers is a function of the strings alone. */
static bool BuffersCacheable(const Signature *s)
{
    const SignatureInitData *id = s->init_data;
    if (id->buffer_index == 0)
        return false;
    for (uint32_t x = 0; x < id->buffer_index; x++) {
        for (const SigMatch *sm = id->buffers[x].head; sm != NULL; sm = sm->next) {
            if (sm->type == DETECT_CONTENT || sm->type == DETECT_BSIZE ||
                    sm->type == DETECT_ISDATAAT)
                continue;
            if (sm->type == DETECT_PCRE && ((const DetectPcreData *)sm->ctx)->idx == 0)
                continue;
            return false;
        }
    }
    return true;
}

/* The flow state bits a gated rule reads: established if it tests it,
 * the app protocol if its header names one. */
static uint64_t RuleKeyMask(const Signature *s)
{
    uint64_t mask = AZ_PF_KEY_GENERATION | AZ_PF_KEY_REVERSED;
    if ((s->flags & SIG_FLAG_APPLAYER) && s->alproto != ALPROTO_UNKNOWN)
        mask |= AZ_PF_KEY_ALPROTO;
    for (const SigMatch *sm = s->init_data->smlists[DETECT_SM_LIST_MATCH]; sm != NULL;
            sm = sm->next)
        if (sm->type == DETECT_FLOW &&
                (((const DetectFlowData *)sm->ctx)->flags &
                        (DETECT_FLOW_FLAG_ESTABLISHED | DETECT_FLOW_FLAG_NOT_ESTABLISHED)))
            mask |= AZ_PF_KEY_EST;
    return mask;
}

/* Decides, for one rule of the group, whether the engine takes it and how:
 * 1 gated, 2 every packet, 0 not ours.  Claims flow-stable rules (so
 * Suricata's non-prefilter list drops them) and releases rules claimed by
 * an explicit `prefilter;` that the engine cannot serve. */
static int RuleClass(const DetectEngineCtx *de_ctx, Signature *s, uint32_t *seconds)
{
    SigMatch *claim = s->init_data->prefilter_sm;
    const bool ours = claim != NULL && IsAzureKeyword(claim->type);
    if (claim != NULL && !ours)
        return 0;
    if (!ours && (s->init_data->mpm_sm != NULL || (s->flags & SIG_FLAG_PREFILTER)))
        return 0; /* it has a fast pattern: the mpm gates it */
    SigMatch *first = FirstAzureMatch(s);
    if (first == NULL)
        return 0;
    const bool eligible = Eligible(de_ctx, s, true);
    const bool stable = eligible && FlowStable(s, true);
    if (!ours) {
        if (!stable)
            return 0; /* per-packet conditions: Suricata's own lists */
        s->init_data->prefilter_sm = first;
        s->flags |= SIG_FLAG_PREFILTER;
    } else if (!eligible) {
        /* `prefilter;` on a rule the engine cannot serve: back to the
         * lists it belongs in, as flowbits does for its own. */
        s->init_data->prefilter_sm = NULL;
        s->flags &= ~SIG_FLAG_PREFILTER;
        return 0;
    }
    return stable && LimitedOncePerFlow(s, seconds) ? 1 : 2;
}

/* The engine switched off: rules claimed by an explicit `prefilter;` go
 * back to Suricata's lists, so they load and run as if it were absent. */
static int AzPfHandBack(SigGroupHead *sgh)
{
    for (uint32_t i = 0; i < sgh->init->sig_cnt; i++) {
        Signature *s = sgh->init->match_array[i];
        if (s != NULL && s->init_data->prefilter_sm != NULL &&
                IsAzureKeyword(s->init_data->prefilter_sm->type)) {
            s->init_data->prefilter_sm = NULL;
            s->flags &= ~SIG_FLAG_PREFILTER;
        }
    }
    return 0;
}

static int AzPfSetup(DetectEngineCtx *de_ctx, SigGroupHead *sgh)
{
    if (!g_enabled)
        return AzPfHandBack(sgh);
    /* Called once per azure keyword type present: one engine per group. */
    for (const PrefilterEngineList *e = sgh->init->pkt_engines; e != NULL; e = e->next)
        if (e->Prefilter == AzPfRun)
            return 0;

    struct az_pf_group *g = SCCalloc(1, sizeof(*g));
    uint8_t *cls = SCCalloc(sgh->init->sig_cnt + 1, 1);
    if (g == NULL || cls == NULL ||
            (g->rules = SCCalloc(sgh->init->sig_cnt + 1, sizeof(*g->rules))) == NULL) {
        SCFree(cls);
        GroupFree(g);
        return -1;
    }
    uint32_t window = UINT32_MAX, n[3] = { 0, 0, 0 };
    for (uint32_t i = 0; i < sgh->init->sig_cnt; i++) {
        Signature *s = sgh->init->match_array[i];
        uint32_t seconds = 0;
        if (s == NULL)
            continue;
        cls[i] = (uint8_t)RuleClass(de_ctx, s, &seconds);
        n[cls[i]]++;
        if (cls[i] == 1 && seconds < window)
            window = seconds;
    }
    /* A group with a post-rule-match engine (a `flowbits:isset; prefilter;`
     * rule): when such an engine adds rules mid-loop, Suricata 8.0.7
     * rewrites the rest of the candidate list (detect.c, "rewrite
     * match_array … deduplicate") and can drop some.  Without the engine a
     * dropped rule is back on the next packet; a rule added only when its
     * inputs change would lose its alert.  So in such groups every rule is
     * added on every packet while its keywords hold: no worse than Suricata
     * alone. */
    if (sgh->init->post_rule_match_engines != NULL) {
        for (uint32_t i = 0; i < sgh->init->sig_cnt; i++)
            if (cls[i] == 1)
                cls[i] = 2;
        n[2] += n[1];
        n[1] = 0;
    }
    /* Gated rules first, then the per-packet ones, each in group order. */
    uint32_t kw_cap = 0;
    for (int want = 1; want <= 2; want++) {
        for (uint32_t i = 0; i < sgh->init->sig_cnt; i++) {
            if (cls[i] != want)
                continue;
            if (RuleAdd(g, &kw_cap, sgh->init->match_array[i]) < 0) {
                SCFree(cls);
                GroupFree(g);
                return -1;
            }
            g->rules[g->nrules - 1].key_mask =
                    want == 1 ? RuleKeyMask(sgh->init->match_array[i]) : UINT64_MAX;
            if (want == 1) {
                g->key_mask |= g->rules[g->nrules - 1].key_mask;
                g->rules[g->nrules - 1].buffers_cached =
                        BuffersCacheable(sgh->init->match_array[i]);
            }
        }
    }
    SCFree(cls);
    g->ngated = n[1];
    g->window_us = (int64_t)window * 1000000;
    if (g->nrules == 0) {
        GroupFree(g);
        return 0;
    }
    if (EngineJoin(de_ctx, g) == NULL) {
        GroupFree(g);
        return -1;
    }
    /* One per detect engine (mode 1: the first group's data): every group
     * of it shares one engine list. */
    g->thread_id = DetectRegisterThreadCtxFuncs(de_ctx, "azflow.detect", ThreadInit, g->engine,
            ThreadFree, 1);
    if (g->thread_id < 0) {
        GroupFree(g);
        return -1;
    }
    /* Real packets with a flow only: the rules it serves require both. */
    return PrefilterAppendEngine(de_ctx, sgh, AzPfRun,
            SIG_MASK_REQUIRE_FLOW | SIG_MASK_REQUIRE_REAL_PKT, SIGNATURE_HOOK_PKT_NOT_SET, g,
            GroupFree, "azure.flowfacts");
}

static bool AzPfSupports(const Signature *s)
{
    return true;
}

/* --- buffer rules: claimed before Suricata picks their fast pattern ---------- */

/* Runs after a rule with azure.rule / azure.acl is parsed, and again when
 * rule groups are prepared (so it must be idempotent).  A flow-stable
 * buffer rule is claimed on its azure.flowlog gate (added by the buffer's
 * Setup), so its strings go through no per-packet mpm. */
static void AzPfBufferSetupCallback(const DetectEngineCtx *de_ctx, Signature *s)
{
    if (s->init_data->prefilter_sm != NULL)
        return;
    const int gate_id = AzKwFlowlogId();
    SigMatch *gate = NULL;
    for (SigMatch *sm = s->init_data->smlists[DETECT_SM_LIST_MATCH]; sm != NULL; sm = sm->next)
        if (sm->type == gate_id)
            gate = sm;
    if (gate == NULL || !Eligible(de_ctx, s, false) || !FlowStable(s, false))
        return;
    s->init_data->prefilter_sm = gate;
}

/* --- what the keyword files call ------------------------------------------- */

void AzKwPrefilterInit(bool enabled)
{
    g_enabled = enabled;
}

bool AzKwPrefilterEnabled(void)
{
    return g_enabled;
}

void AzKwPrefilterKeyword(int id, AzKwTestFn Test, AzKwTestFn Possible)
{
    if (g_nkw_ids >= AZ_PF_MAX_IDS)
        FatalError("azflow: too many azure keywords for the rule engine");
    g_kw_ids[g_nkw_ids] = id;
    g_kw_possible[g_nkw_ids] = Possible;
    g_kw_tests[g_nkw_ids++] = Test;
    /* Also when switched off, so `prefilter;` rules load either way. */
    sigmatch_table[id].SupportsPrefilter = AzPfSupports;
    sigmatch_table[id].SetupPrefilter = AzPfSetup;
}

void AzKwPrefilterBuffer(const char *name, int buffer_id)
{
    if (g_nbuffer_ids >= 2)
        FatalError("azflow: too many azure buffers for the rule engine");
    g_buffer_ids[g_nbuffer_ids++] = buffer_id;
    if (g_enabled)
        DetectBufferTypeRegisterSetupCallback(name, AzPfBufferSetupCallback);
}

void AzKwPrefilterRule(DetectEngineCtx *de_ctx, int id)
{
    /* The default `detect.prefilter.default: mpm` sets up only engines of
     * keyword types some rule asked for; rule writers need not ask. */
    if (g_enabled)
        de_ctx->sm_types_prefilter[id] = true;
}
