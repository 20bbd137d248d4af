/* azflow plugin: serialises the `azure` object by hand.  Writing it through
 * JsonBuilder field by field escaped the same ~450 bytes of resource ids on
 * every EVE record of a flow; a flow now builds it once per change. */
#include "suricata-common.h"
#include "util-print.h"
#include "util-time.h"

#include "azure_json.h"
#include "intern.h"
#include "sctime.h"

static int Grow(struct az_jbuf *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Appends n bytes; the terminating NUL is written once, at the end. */
/* The writers below are inlined so that key lengths are constants and each
 * small copy compiles to a few moves instead of a call into libc. */
#define AZ_INLINE static inline __attribute__((always_inline))

AZ_INLINE int Raw(struct az_jbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap && Grow(b, n) < 0)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* A string with JSON escaping; bytes >= 0x80 pass as they are (UTF-8). */
static int Str(struct az_jbuf *b, const char *s)
{
    size_t len = strlen(s), n = azf_json_quote(s, len, NULL);
    if (b->len + n + 1 > b->cap && Grow(b, n) < 0)
        return -1;
    b->len += azf_json_quote(s, len, b->p + b->len);
    return 0;
}

/* ,"key": — the first member of an object has no comma.  Keys are literals;
 * KEY() hands over the quoted form and its length, computed at compile time. */
#define KEY(k) "\"" k "\":", sizeof("\"" k "\":") - 1
AZ_INLINE int Key(struct az_jbuf *b, bool *first, const char *key, size_t klen)
{
    if (!*first && Raw(b, ",", 1) < 0)
        return -1;
    *first = false;
    return Raw(b, key, klen);
}

static int KeyStr(struct az_jbuf *b, bool *first, const char *key, size_t klen, const char *val)
{
    if (val == NULL)
        return 0;
    return (Key(b, first, key, klen) < 0 || Str(b, val) < 0) ? -1 : 0;
}

/* A string the index interned: its JSON form is ready (AzInternedJson). */
AZ_INLINE int KeyInterned(struct az_jbuf *b, bool *first, const char *key, size_t klen, const char *val)
{
    if (val == NULL)
        return 0;
    size_t n;
    const char *json = AzInternedJson(val, &n);
    return (Key(b, first, key, klen) < 0 || Raw(b, json, n) < 0) ? -1 : 0;
}

/* One of the decoder's enumeration names ("inbound", "allow", …): plain
 * ASCII that needs no escaping. */
AZ_INLINE int KeyName(struct az_jbuf *b, bool *first, const char *key, size_t klen, const char *val)
{
    if (val == NULL)
        return 0;
    return (Key(b, first, key, klen) < 0 || Raw(b, "\"", 1) < 0 || Raw(b, val, strlen(val)) < 0 ||
                   Raw(b, "\"", 1) < 0)
                   ? -1
                   : 0;
}

AZ_INLINE int KeyUint(struct az_jbuf *b, bool *first, const char *key, size_t klen, uint64_t v)
{
    /* By hand: snprintf's format machinery cost more than the rest of the
     * object's numbers together. */
    char num[24];
    char *p = num + sizeof(num);
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return (Key(b, first, key, klen) < 0 || Raw(b, p, (size_t)(num + sizeof(num) - p)) < 0) ? -1 : 0;
}

AZ_INLINE int KeyBool(struct az_jbuf *b, bool *first, const char *key, size_t klen, bool v)
{
    return (Key(b, first, key, klen) < 0 || Raw(b, v ? "true" : "false", v ? 4 : 5) < 0) ? -1 : 0;
}

const char *AzEveAddr(const struct azf_addr *a, char *buf, size_t len)
{
    if (a->family == 6)
        return PrintInet(AF_INET6, a->bytes, buf, (socklen_t)len);
    return azf_addr_str(a, buf, len);
}

static int Vpn(struct az_jbuf *b, bool *first, const struct az_flowinfo *in)
{
    char buf[64];
    bool f2 = true;
    if (Key(b, first, KEY("vpn")) < 0 || Raw(b, "{", 1) < 0 ||
            KeyStr(b, &f2, KEY("layer"), in->vpn == AZ_VPN_INNER ? "inner" : "outer") < 0)
        return -1;
    const struct azf_vpn_info *t = in->tunnel;
    if (t != NULL && t->have_gateway &&
            KeyStr(b, &f2, KEY("gateway"), AzEveAddr(&t->gateway, buf, sizeof(buf))) < 0)
        return -1;
    if (t != NULL && t->have_peer && KeyStr(b, &f2, KEY("peer"), AzEveAddr(&t->peer, buf, sizeof(buf))) < 0)
        return -1;
    if (t != NULL && t->have_spi) {
        snprintf(buf, sizeof(buf), "0x%08x", t->spi);
        if (KeyStr(b, &f2, KEY("spi"), buf) < 0)
            return -1;
    }
    return Raw(b, "}", 1);
}

static int Capture(struct az_jbuf *b, bool *first, const struct az_capture_file *c)
{
    bool f2 = true;
    if (Key(b, first, KEY("capture")) < 0 || Raw(b, "{", 1) < 0 || KeyStr(b, &f2, KEY("vm"), c->vm) < 0 ||
            KeyStr(b, &f2, KEY("file"), c->path) < 0)
        return -1;
    if (c->vm != NULL) {
        char buf[64];
        CreateIsoTimeString(AzUsToTime(c->started_us), buf, sizeof(buf));
        if (KeyStr(b, &f2, KEY("started"), buf) < 0)
            return -1;
    }
    return Raw(b, "}", 1);
}

int AzAzureJson(struct az_jbuf *b, const struct az_flowinfo *in, bool with_records, const char *blob)
{
    b->len = 0;
    bool first = true;
    if (Raw(b, "\"azure\":{", 9) < 0 || KeyName(b, &first, KEY("source"), azf_source_str(in->source)) < 0)
        return -1;
    if (in->version && KeyUint(b, &first, KEY("version"), in->version) < 0)
        return -1;
    /* The record strings come from the index (flowinfo.h), escaped there. */
    if (KeyInterned(b, &first, KEY("resource_id"), in->resource_id) < 0 ||
            KeyInterned(b, &first, KEY("target_resource_id"), in->target_resource_id) < 0 ||
            KeyInterned(b, &first, KEY("mac"), in->mac) < 0 ||
            KeyInterned(b, &first, KEY("acl"), in->acl) < 0 ||
            KeyInterned(b, &first, KEY("rule"), in->rule) < 0 ||
            KeyName(b, &first, KEY("direction"), azf_direction_str(in->direction)) < 0 ||
            KeyName(b, &first, KEY("decision"), azf_decision_str(in->decision)) < 0 ||
            KeyName(b, &first, KEY("state"), azf_state_str(in->state)) < 0 ||
            KeyInterned(b, &first, KEY("encryption"), in->encryption) < 0)
        return -1;
    if ((in->have & AZ_HAVE_COUNTERS) &&
            (KeyUint(b, &first, KEY("pkts_toserver"), in->pkts_toserver) < 0 ||
                    KeyUint(b, &first, KEY("bytes_toserver"), in->bytes_toserver) < 0 ||
                    KeyUint(b, &first, KEY("pkts_toclient"), in->pkts_toclient) < 0 ||
                    KeyUint(b, &first, KEY("bytes_toclient"), in->bytes_toclient) < 0))
        return -1;
    if (with_records && in->records > 0 && KeyUint(b, &first, KEY("records"), in->records) < 0)
        return -1;
    /* A flow known only from capture metadata has no records to mirror. */
    if ((!with_records || in->records > 0) && KeyBool(b, &first, KEY("mirrored"), in->mirrored) < 0)
        return -1;
    if (in->vpn != AZ_VPN_NONE && Vpn(b, &first, in) < 0)
        return -1;
    if (in->capture != NULL && Capture(b, &first, in->capture) < 0)
        return -1;
    if (KeyInterned(b, &first, KEY("blob"), blob) < 0 || Raw(b, "}", 1) < 0)
        return -1;
    b->p[b->len] = '\0'; /* Raw always leaves room for it */
    return 0;
}

int AzAzureJsonExtend(struct az_jbuf *b, const struct az_jbuf *base, bool late, uint64_t flow_id)
{
    b->len = 0;
    if (base->len < 2 || Raw(b, base->p, base->len - 1) < 0)
        return -1;
    bool first = base->p[base->len - 2] == '{';
    if (late && KeyBool(b, &first, KEY("late"), true) < 0)
        return -1;
    if (flow_id != 0 && KeyUint(b, &first, KEY("flow_id"), flow_id) < 0)
        return -1;
    if (Raw(b, "}", 1) < 0)
        return -1;
    b->p[b->len] = '\0';
    return 0;
}

void AzJbufFree(struct az_jbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
