/* azflow plugin: the rule engine's private data, shared by its two files:
 * kw_prefilter.c (rule groups, the per-packet run) and kw_prefilter_digest.c
 * (the digest test: could any rule ever hold on a flow of this key?).
 * Include after Suricata's detect headers; nothing outside
 * plugin/keywords/ may include it. */
#ifndef AZFLOW_KW_PREFILTER_INT_H
#define AZFLOW_KW_PREFILTER_INT_H

#include "keywords.h"

struct az_digest;

/* --- one rule group's data -------------------------------------------------- */

typedef int (*AzMatchFn)(DetectEngineThreadCtx *, Packet *, const Signature *, const SigMatchCtx *);

/* An azure keyword (Test on the flow's info) or a `flow` option (Match). */
struct az_pf_kw {
    AzKwTestFn Test;
    AzKwTestFn Possible; /* the digest test's, NULL: Test */
    AzMatchFn Match;
    const SigMatchCtx *ctx;
};

struct az_pf_rule {
    const Signature *s;
    SigIntId iid;
    bool buffers_cached;    /* its azure buffers' verdict is memoised per thread */
    bool buffers;           /* it inspects an azure buffer */
    bool any_header;        /* its header admits every flow (ip any any -> any any) */
    AppProto alproto;       /* the header's app protocol, or ALPROTO_UNKNOWN */
    uint64_t key_mask;      /* the key bits it reads (gated rules) */
    uint32_t first_kw, nkw; /* its azure and `flow` keywords in az_pf_group.kws */
};

struct az_pf_group {
    uint32_t ngated;  /* rules[0..ngated): evaluated on key changes and window ends */
    uint32_t nrules;  /* rules[ngated..nrules): every packet while their keywords hold */
    int64_t window_us; /* the shortest `limit by_flow` window of the gated rules */
    uint64_t key_mask; /* the key bits any gated rule reads */
    int thread_id;    /* det_ctx keyword thread ctx of the counters */
    struct az_pf_rule *rules;
    struct az_pf_kw *kws;
    struct az_pf_engine *engine;
};

/* --- every group of one detect engine ------------------------------------------
 * A flow's packets meet several rule groups (one per direction at least),
 * so "no rule could match this flow" is a question for all of them: the
 * groups of each detect engine are listed here as they are set up, before
 * any packet thread uses the engine.  Lives as long as its groups. */
struct az_pf_engine {
    struct az_pf_engine *next;
    const DetectEngineCtx *de_ctx;
    struct az_pf_group **groups;
    uint32_t ngroups, cap;
    /* Each rule once, from one of the groups it sits in (a rule reads the
     * same in every group): what the digest test walks. */
    struct az_pf_member {
        const struct az_pf_group *g;
        const struct az_pf_rule *r;
    } *rules;
    uint32_t nrules, rules_cap;
};

/* --- per detect thread ---------------------------------------------------------- */

/* What a buffer rule's azure.rule / azure.acl contents concluded for one
 * pair of (interned, so comparable by address) strings. */
struct az_pf_verdict {
    const char *rule, *acl;
    SigIntId iid;
    uint32_t version; /* the detect engine's: iids are reused by reloads */
    bool match;
};

#define AZ_PF_VERDICTS 256 /* a power of two */

/* The digest test's verdict (AzPfCouldHold) on one set of fact classes and
 * states: no rule can hold, some rule can on any flow (more candidates than
 * fit), or only the candidate rules in `bound` can, each on a flow its
 * header admits (and, when it reads counters, whose key's sums its counter
 * keywords admit). */
enum az_pf_could_kind { AZ_PF_NEVER = 1, AZ_PF_ALWAYS, AZ_PF_CANDIDATES };
#define AZ_PF_BOUND_MAX 8
#define AZ_PF_COULD 256 /* a power of two */

struct az_pf_could {
    uint32_t classes[2];
    uint16_t states;
    uint8_t have;
    uint8_t verdict; /* enum az_pf_could_kind; 0: empty */
    uint8_t nbound;
    uint8_t counters; /* bit i: bound[i]'s counter keywords decide too */
    struct {
        const struct az_pf_group *g;
        const struct az_pf_rule *r;
    } bound[AZ_PF_BOUND_MAX];
};
_Static_assert(AZ_PF_BOUND_MAX <= 8, "one bit of `counters` per candidate");

struct az_pf_thread {
    uint64_t calls, key_changes, candidates;
    const struct az_pf_engine *engine; /* every group of this detect engine */
    struct az_pf_verdict verdicts[AZ_PF_VERDICTS];
    struct az_pf_could could[AZ_PF_COULD];
};

/* What AzPfCouldHold needs of the packet being handled. */
struct az_pf_ask {
    DetectEngineThreadCtx *det_ctx;
    Packet *p;
    struct az_pf_thread *t;
};

/* A buffer rule's contents on the flow's azure.rule / azure.acl, memoised
 * per pair of strings in t (NULL: no memo) (kw_prefilter.c). */
bool AzPfBuffersMatch(DetectEngineThreadCtx *det_ctx, Packet *p, const struct az_flowinfo *info,
        const struct az_pf_rule *r, struct az_pf_thread *t);

/* The digest test, the filter correlate.c asks at a flow's first packet
 * (arg: a struct az_pf_ask) (kw_prefilter_digest.c). */
bool AzPfCouldHold(void *arg, const struct az_digest *d);

#endif
