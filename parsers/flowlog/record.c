/* record: one framed flow-log record -> envelope fields, dispatch to NSG or
 * VNet, and the shared tuple-emitting loop. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder_int.h"

void azf__error(struct azf_decoder *d, uint64_t offset, const char *fmt, ...)
{
    char reason[AZF_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    d->nerrors++;
    if (d->on_error)
        d->on_error(offset, reason, d->user);
}

void rec_error(struct rec_ctx *c, const char *at, const char *fmt, ...)
{
    char reason[AZF_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    azf__error(c->d, c->off + (uint64_t)(at - c->base), "%s", reason);
}

/* A NUL-terminated, unescaped copy in the record's scratch area.  Scratch is
 * sized from the record, and each kept string comes from a distinct span of
 * it, so this does not run out; if it ever did, the field is left out. */
const char *rec_keep(struct rec_ctx *c, const struct js_str *s)
{
    char *out = c->scratch + c->used;
    size_t room = c->cap - c->used;
    long n;
    if (!s->escaped) {
        if (s->len + 1 > room)
            return NULL;
        memcpy(out, s->p, s->len);
        out[s->len] = '\0';
        n = (long)s->len;
    } else if ((n = js_unescape(s, out, room)) < 0) {
        return NULL;
    }
    c->used += (size_t)n + 1;
    return out;
}

/* MACs are compared as 12 upper-case hex digits; one Elastic fixture has
 * mixed case and other tools write separators. */
const char *azf__keep_mac(struct rec_ctx *c, const struct js_str *s)
{
    char *m = (char *)rec_keep(c, s);
    if (!m)
        return NULL;
    char *o = m;
    for (char *p = m; *p; p++) {
        if (*p == '-' || *p == ':')
            continue;
        *o++ = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
    }
    *o = '\0';
    return m;
}

void rec_tuples(struct rec_ctx *c, struct js *s)
{
    struct azf_decoder *d = c->d;
    struct js_iter it;
    struct js_str str;
    char enc[AZF_ENC_MAX];
    char why[AZF_REASON_MAX];
    char unesc[512];
    int r;

    if (js_peek(s) != '[') {
        rec_error(c, s->p, "flowTuples is not an array");
        js_skip(s);
        return;
    }
    js_arr_open(s, &it);
    while ((r = js_arr_next(s, &it)) == 1) {
        const char *at = s->p;
        if (*at != '"') {
            rec_error(c, at, "flowTuples entry is not a string");
            if (js_skip(s) < 0)
                return;
            continue;
        }
        if (js_string(s, &str) < 0)
            return;
        const char *tp = str.p;
        size_t tn = str.len;
        if (str.escaped) {
            long n = js_unescape(&str, unesc, sizeof(unesc));
            if (n < 0) {
                rec_error(c, at, "tuple longer than %zu bytes", sizeof(unesc) - 1);
                continue;
            }
            tp = unesc;
            tn = (size_t)n;
        }
        if (azf__tuple_parse(tp, tn, c->t.source, c->nsg_version_given, &c->t, enc, why,
                             sizeof(why)) < 0) {
            rec_error(c, at, "%s", why);
            continue;
        }
        c->t.offset = c->off + (uint64_t)(at - c->base);
        d->ntuples++;
        if (d->on_tuple && d->on_tuple(&c->t, d->user) != 0) {
            c->stop = 1;
            return;
        }
    }
}

/* What the first pass learns. */
struct envelope {
    struct js_str time, category, resource_id, mac, flowlog_id, target_id;
    const char *time_at;
    int has_time, has_category, has_resource_id, has_mac, has_flowlog_id, has_target_id;
    int64_t nsg_version, vnet_version; /* -1 when absent */
    const char *nsg_flows, *vnet_flows;
};

static void opt_string(struct js *s, struct js_str *out, int *has)
{
    /* A non-string where a string belongs is treated as absent. */
    if (js_peek(s) == '"') {
        if (js_string(s, out) == 0)
            *has = 1;
    } else {
        js_skip(s);
    }
}

/* properties {Version, flows} or flowRecords {flows}: remember where flows is. */
static void container(struct js *s, int64_t *version, const char **flows_at)
{
    struct js_iter it;
    struct js_str key;
    if (js_peek(s) != '{') {
        js_skip(s);
        return;
    }
    js_obj_open(s, &it);
    while (js_obj_next(s, &it, &key) == 1) {
        if (version && js_key_is(&key, "Version")) {
            if (js_int(s, version) < 0)
                return;
        } else if (js_key_is(&key, "flows")) {
            *flows_at = s->p;
            if (js_skip(s) < 0)
                return;
        } else if (js_skip(s) < 0) {
            return;
        }
    }
}

static int first_pass(struct js *s, struct envelope *e)
{
    struct js_iter it;
    struct js_str key;
    int r;

    memset(e, 0, sizeof(*e));
    e->nsg_version = e->vnet_version = -1;
    if (js_obj_open(s, &it) < 0)
        return -1;
    while ((r = js_obj_next(s, &it, &key)) == 1) {
        if (js_key_is(&key, "time")) {
            e->time_at = s->p;
            opt_string(s, &e->time, &e->has_time);
        } else if (js_key_is(&key, "category")) {
            opt_string(s, &e->category, &e->has_category);
        } else if (js_key_is(&key, "resourceId")) {
            opt_string(s, &e->resource_id, &e->has_resource_id);
        } else if (js_key_is(&key, "macAddress")) {
            opt_string(s, &e->mac, &e->has_mac);
        } else if (js_key_is(&key, "flowLogResourceID")) {
            opt_string(s, &e->flowlog_id, &e->has_flowlog_id);
        } else if (js_key_is(&key, "targetResourceID")) {
            opt_string(s, &e->target_id, &e->has_target_id);
        } else if (js_key_is(&key, "flowLogVersion")) {
            js_int(s, &e->vnet_version);
        } else if (js_key_is(&key, "properties")) {
            container(s, &e->nsg_version, &e->nsg_flows);
        } else if (js_key_is(&key, "flowRecords")) {
            container(s, NULL, &e->vnet_flows);
        } else {
            js_skip(s);
        }
        if (s->err_at)
            return -1;
    }
    if (r < 0)
        return -1;
    if (js_peek(s) != 0)
        return js_fail(s, s->p, "data after the record's closing brace");
    return 0;
}

static int grow_scratch(struct azf_decoder *d, size_t need)
{
    if (d->scratch_cap >= need)
        return 0;
    size_t cap = d->scratch_cap ? d->scratch_cap : 4096;
    while (cap < need)
        cap *= 2;
    char *p = realloc(d->scratch, cap);
    if (!p)
        return -1;
    d->scratch = p;
    d->scratch_cap = cap;
    return 0;
}

/* Two passes: the first validates the whole record and reads the envelope
 * (whose keys may come after the flows), so an invalid record emits nothing;
 * the second walks the flows and emits tuples. */
int azf__record_decode(struct azf_decoder *d, const char *rec, size_t len, uint64_t off, int quiet)
{
    struct js s;
    struct envelope e;

    js_init(&s, rec, len);
    if (first_pass(&s, &e) < 0) {
        azf__error(d, off + (uint64_t)(s.err_at - rec), "invalid JSON: %s (record skipped)", s.err);
        return 0;
    }

    int cat_nsg = e.has_category && js_key_is(&e.category, "NetworkSecurityGroupFlowEvent");
    int cat_vnet = e.has_category && js_key_is(&e.category, "FlowLogFlowEvent");
    uint8_t source = 0;
    if (cat_nsg || (!e.has_category && e.nsg_flows))
        source = AZF_SOURCE_NSG;
    else if (cat_vnet || (!e.has_category && e.vnet_flows))
        source = AZF_SOURCE_VNET;
    if (!source) {
        if (quiet)
            return -1;
        if (e.has_category)
            azf__error(d, off, "not a flow-log record: category '%.*s' (record skipped)",
                       (int)(e.category.len > 64 ? 64 : e.category.len), e.category.p);
        else
            azf__error(d, off, "not a flow-log record: no category, properties.flows or "
                               "flowRecords.flows (record skipped)");
        return -1;
    }
    const char *flows = source == AZF_SOURCE_NSG ? e.nsg_flows : e.vnet_flows;
    if (!flows) {
        azf__error(d, off, "%s record without %s (record skipped)",
                   source == AZF_SOURCE_NSG ? "NSG" : "VNet",
                   source == AZF_SOURCE_NSG ? "properties.flows" : "flowRecords.flows");
        return 0;
    }

    /* Every kept string is a distinct span of the record: len bytes suffice. */
    if (grow_scratch(d, len + 16) < 0) {
        azf__error(d, off, "out of memory decoding a %zu-byte record (record skipped)", len);
        return 0;
    }
    struct rec_ctx c;
    memset(&c, 0, sizeof(c));
    c.d = d;
    c.base = rec;
    c.len = len;
    c.off = off;
    c.scratch = d->scratch;
    c.cap = d->scratch_cap;

    struct azf_tuple *t = &c.t;
    t->source = source;
    if (e.has_time && azf__iso8601_us(e.time.p, e.time.len, &t->record_time_us) < 0) {
        rec_error(&c, e.time_at, "bad record time '%.*s' (left out)",
                  (int)(e.time.len > 40 ? 40 : e.time.len), e.time.p);
        t->record_time_us = 0;
    }
    int64_t v = source == AZF_SOURCE_NSG ? e.nsg_version : e.vnet_version;
    t->version = v > 0 && v < 256 ? (uint8_t)v : 0;
    if (e.has_mac)
        t->mac = azf__keep_mac(&c, &e.mac);
    if (source == AZF_SOURCE_NSG) {
        c.nsg_version_given = t->version;
        if (e.has_resource_id)
            t->resource_id = rec_keep(&c, &e.resource_id);
        t->acl = t->resource_id; /* the NSG is the ACL that decided */
    } else {
        if (e.has_flowlog_id)
            t->resource_id = rec_keep(&c, &e.flowlog_id);
        if (e.has_target_id)
            t->target_resource_id = rec_keep(&c, &e.target_id);
    }

    if (source == AZF_SOURCE_NSG)
        azf__nsg_walk(&c, flows);
    else
        azf__vnet_walk(&c, flows);
    return c.stop ? AZF_STOPPED : 0;
}
