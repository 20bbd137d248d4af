/* azflow plugin: the rule engine's digest test.  At a flow's first packet
 * correlate.c reads the index's digest slot for the flow's key (the fact
 * classes and states of its records, index.h) and asks this filter whether
 * any rule of the detect engine could ever hold on such a flow; when none
 * could, the flow gets no state and its records are never looked up on the
 * packet thread.  The verdict per set of classes is memoised per thread;
 * what is left to judge per flow is each candidate rule's header on the
 * flow's two ends, and counter bounds on the key's sums. */
#include "suricata-common.h"
#include "decode.h"
#include "detect.h"
#include "detect-engine-address.h"
#include "detect-engine-port.h"
#include "detect-engine-proto.h"
#include "flow.h"

#include "../flowinfo.h"
#include "../index.h"
#include "kw_prefilter_int.h"

/* The rule's keywords on a key's best case: azure tests exactly, or by
 * their Possible where they have one (counters: `counters` says whether to
 * test those at all); `flow` options and the app protocol are the flow's
 * own and may yet hold, so they count as holding.  Sets *uses_counters. */
static bool RuleCould(const struct az_pf_group *g, const struct az_pf_rule *r,
        const struct az_flowinfo *info, bool counters, bool *uses_counters)
{
    for (uint32_t k = r->first_kw; k < r->first_kw + r->nkw; k++) {
        const struct az_pf_kw *kw = &g->kws[k];
        if (kw->Test == NULL)
            continue;
        if (kw->Possible != NULL) {
            *uses_counters = true;
            if (counters && !kw->Possible(info, kw->ctx))
                return false;
        } else if (!counters && !kw->Test(info, kw->ctx)) {
            return false;
        }
    }
    return true;
}

/* Every rule of the detect engine on one class in one state (counters at
 * their most), gathering the candidates; true when the verdict is settled
 * as ALWAYS. */
static bool ClassCould(struct az_pf_ask *a, const struct az_pf_engine *e,
        const struct az_flowinfo *info, struct az_pf_could *c)
{
    for (uint32_t ri = 0; ri < e->nrules; ri++) {
        const struct az_pf_group *g = e->rules[ri].g;
        const struct az_pf_rule *r = e->rules[ri].r;
        bool uses_counters = false;
        if (!RuleCould(g, r, info, false, &uses_counters))
            continue;
        if (uses_counters && !RuleCould(g, r, info, true, &uses_counters))
            continue;
        /* Buffers read only the strings, which are the class's: inspected
         * as the rule would on such a flow (its verdict is cached per pair
         * of strings either way).  Buffers that are not side-effect free
         * may hold. */
        if (r->buffers && r->buffers_cached) {
            AzKwBufferOverride(info);
            bool match = AzPfBuffersMatch(a->det_ctx, a->p, info, r, a->t);
            AzKwBufferOverride(NULL);
            if (!match)
                continue;
        }
        /* No header to judge and no counters: it holds on any flow. */
        if (r->any_header && !uses_counters) {
            c->verdict = AZ_PF_ALWAYS;
            return true;
        }
        /* A rule holds on many states and classes: it is one candidate. */
        bool known = false;
        for (uint8_t b = 0; b < c->nbound && !known; b++)
            known = c->bound[b].r->s == r->s;
        if (known)
            continue;
        if (c->nbound == AZ_PF_BOUND_MAX) {
            c->verdict = AZ_PF_ALWAYS;
            return true;
        }
        c->bound[c->nbound].g = g;
        c->bound[c->nbound].r = r;
        if (uses_counters)
            c->counters |= (uint8_t)(1u << c->nbound);
        c->nbound++;
        c->verdict = AZ_PF_CANDIDATES;
    }
    return false;
}

/* Could one end of the flow as source, the other as destination, pass the
 * rule's header?  DetectRunInspectRuleHeader's tests (IP version, protocol,
 * ports, addresses) on the flow's own ends: Suricata's rule groups sort
 * rules by protocol, direction and port, not by address, so a group holds
 * rules whose addresses no packet of the flow has. */
static bool EndsCould(const Signature *s, const Flow *f, const Address *src, Port sp,
        const Address *dst, Port dp)
{
    const uint32_t sflags = s->flags;
    if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP || f->proto == IPPROTO_SCTP) {
        if (!(sflags & SIG_FLAG_DP_ANY) && DetectPortLookupGroup(s->dp, dp) == NULL)
            return false;
        if (!(sflags & SIG_FLAG_SP_ANY) && DetectPortLookupGroup(s->sp, sp) == NULL)
            return false;
    } else if ((sflags & (SIG_FLAG_DP_ANY | SIG_FLAG_SP_ANY)) !=
               (SIG_FLAG_DP_ANY | SIG_FLAG_SP_ANY)) {
        return false;
    }
    const bool v4 = FLOW_IS_IPV4(f);
    if (!(sflags & SIG_FLAG_DST_ANY) &&
            !(v4 ? DetectAddressMatchIPv4(s->addr_dst_match4, s->addr_dst_match4_cnt, dst)
                 : DetectAddressMatchIPv6(s->addr_dst_match6, s->addr_dst_match6_cnt, dst)))
        return false;
    if (!(sflags & SIG_FLAG_SRC_ANY) &&
            !(v4 ? DetectAddressMatchIPv4(s->addr_src_match4, s->addr_src_match4_cnt, src)
                 : DetectAddressMatchIPv6(s->addr_src_match6, s->addr_src_match6_cnt, src)))
        return false;
    return true;
}

struct az_pf_ends {
    Address src, dst; /* the flow's, as Suricata's address matchers take them */
};

static void EndsOf(const Flow *f, struct az_pf_ends *e)
{
    memset(e, 0, sizeof(*e));
    e->src.family = e->dst.family = FLOW_IS_IPV4(f) ? AF_INET : AF_INET6;
    memcpy(e->src.address.address_un_data8, f->src.addr_data8, 16);
    memcpy(e->dst.address.address_un_data8, f->dst.addr_data8, 16);
}

/* Could a packet of the flow pass the rule's header, either way round (so
 * a flow Suricata turns round later, FlowSwap, is judged the same)?  Only
 * for the flow's own packets: an ICMP error or a fragment on it has other
 * headers (AzPfRun gives those no filter). */
static bool HeaderCould(const Signature *s, const Flow *f, const struct az_pf_ends *e)
{
    if (((s->proto.flags & DETECT_PROTO_IPV4) && !FLOW_IS_IPV4(f)) ||
            ((s->proto.flags & DETECT_PROTO_IPV6) && !FLOW_IS_IPV6(f)))
        return false;
    if (DetectProtoContainsProto(&s->proto, f->proto) == 0)
        return false;
    return EndsCould(s, f, &e->src, f->sp, &e->dst, f->dp) ||
           EndsCould(s, f, &e->dst, f->dp, &e->src, f->sp);
}

static void CouldCompute(struct az_pf_ask *a, const struct az_digest *d, struct az_pf_could *c)
{
    *c = (struct az_pf_could){ .classes = { d->classes[0], d->classes[1] }, .states = d->states,
        .have = d->have, .verdict = AZ_PF_NEVER };
    /* Counters at their most: a counter keyword with a lower bound passes
     * here and is tested on the key's sums in AzPfCouldHold.  A fold takes its
     * facts from its latest record but sums counters over all: it has
     * counters if any record of the key did (d->have). */
    const struct az_digest most = { .have = d->have, .pkts_toserver = UINT64_MAX,
        .pkts_toclient = UINT64_MAX, .bytes_toserver = UINT64_MAX, .bytes_toclient = UINT64_MAX };
    for (int ci = 0; ci < 2 && d->classes[ci] != 0; ci++) {
        for (uint8_t state = 0; state < 8; state++) {
            if (!(d->states & (1u << (8 * ci + state))))
                continue;
            struct az_flowinfo info;
            AzIndexClassInfo(d->classes[ci], state, &most, &info);
            info.mirrored = true; /* as a state made for this flow would say */
            if (ClassCould(a, a->t->engine, &info, c))
                return;
        }
    }
}

/* The filter correlate.c asks at a flow's first packet, before it makes a
 * state: could any rule of this detect engine hold on some flow whose
 * records are among the key's? */
bool AzPfCouldHold(void *arg, const struct az_digest *d)
{
    struct az_pf_ask *a = arg;
    if (d->classes[0] == 0)
        return false; /* no record of the key: no azure keyword holds */
    uint32_t h = d->classes[0] * 0x9e3779b1u ^ d->classes[1] * 0x85ebca77u ^ d->states ^
                 (uint32_t)d->have << 16;
    struct az_pf_could *c = &a->t->could[(h ^ (h >> 16)) & (AZ_PF_COULD - 1)];
    if (c->verdict == 0 || c->classes[0] != d->classes[0] || c->classes[1] != d->classes[1] ||
            c->states != d->states || c->have != d->have)
        CouldCompute(a, d, c);
    if (c->verdict != AZ_PF_CANDIDATES)
        return c->verdict == AZ_PF_ALWAYS;
    struct az_flowinfo sums = { .records = 1, .have = AZ_HAVE_COUNTERS,
        .pkts_toserver = d->pkts_toserver, .pkts_toclient = d->pkts_toclient,
        .bytes_toserver = d->bytes_toserver, .bytes_toclient = d->bytes_toclient };
    const Flow *f = a->p->flow;
    if (!FLOW_IS_IPV4(f) && !FLOW_IS_IPV6(f))
        return true;
    struct az_pf_ends ends;
    EndsOf(f, &ends);
    for (uint8_t i = 0; i < c->nbound; i++) {
        const struct az_pf_group *g = c->bound[i].g;
        const struct az_pf_rule *r = c->bound[i].r;
        if (!r->any_header && !HeaderCould(r->s, f, &ends))
            continue;
        bool could = true;
        if (c->counters & (1u << i))
            for (uint32_t k = r->first_kw; k < r->first_kw + r->nkw && could; k++)
                if (g->kws[k].Possible != NULL)
                    could = g->kws[k].Possible(&sums, g->kws[k].ctx);
        if (could)
            return true;
    }
    return false;
}
