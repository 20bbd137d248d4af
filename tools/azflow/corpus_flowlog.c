/* azflow corpus: VNet v4 and NSG v2 flow-log blobs from neutral tuples.
 * Compact JSON, one record per minute, as research/azure-formats.md §1.3-2.4. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_flowlog.h"

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (b->len + n + 1 > cap)
            cap *= 2;
        if ((p = realloc(b->p, cap)) == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->oom = 1; /* never with our short fields; fail loudly if it were */
        return;
    }
    sb_add(b, tmp, (size_t)n);
}

/* A JSON string (our values are plain ASCII ids, but stay correct). */
static void sb_json_str(struct sbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_printf(b, "\\%c", c);
        else if (c < 0x20)
            sb_printf(b, "\\u%04x", c);
        else
            sb_add(b, (const char *)&c, 1);
    }
    sb_puts(b, "\"");
}

/* "key":"value" with a leading comma unless first. */
static void sb_kv(struct sbuf *b, int first, const char *key, const char *value)
{
    sb_printf(b, "%s\"%s\":", first ? "" : ",", key);
    sb_json_str(b, value);
}

static const char *ip_str(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
    return buf;
}

/* Indices of the tuples a blob shows, sorted by time; ties keep table
 * order (insertion sort).  *m receives how many. */
static size_t *sorted_order(const struct cflog_tuple *t, size_t n, int nsg, size_t *m)
{
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx));

    *m = 0;
    if (idx == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        if (nsg && !t[i].nsg_visible)
            continue;
        for (j = *m; j > 0 && t[idx[j - 1]].ts_ms > t[i].ts_ms; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
        (*m)++;
    }
    return idx;
}

static int64_t minute_of(const struct cflog_tuple *t)
{
    return t->ts_ms / 60000;
}

static const char *record_time(int64_t minute, char *buf, size_t len)
{
    return corpus_time_str((minute + 1) * 60 * 1000000, 7, buf, len);
}

/* Whether a tuple in [a, i) of `idx` shares idx[i]'s aclID and/or rule. */
static int seen_before(const struct cflog_tuple *t, const size_t *idx, size_t a, size_t i,
                       int by_acl, int by_rule)
{
    const struct cflog_tuple *x = &t[idx[i]];
    for (size_t k = a; k < i; k++) {
        const struct cflog_tuple *y = &t[idx[k]];
        if ((!by_acl || strcmp(x->acl, y->acl) == 0) && (!by_rule || strcmp(x->rule, y->rule) == 0))
            return 1;
    }
    return 0;
}

static void vnet_tuple(struct sbuf *b, const struct cflog_tuple *x)
{
    char s[16], d[16];
    uint64_t c[4] = {0, 0, 0, 0};

    if (x->state == 'C' || x->state == 'E') {
        c[0] = x->pkts_s2d;
        c[1] = x->bytes_s2d;
        c[2] = x->pkts_d2s;
        c[3] = x->bytes_d2s;
    }
    sb_printf(b, "\"%lld,%s,%s,%u,%u,%u,%c,%c,%s,%llu,%llu,%llu,%llu\"", (long long)x->ts_ms,
              ip_str(x->src, s), ip_str(x->dst, d), x->sport, x->dport, x->proto, x->direction,
              x->state, x->encryption, (unsigned long long)c[0], (unsigned long long)c[1],
              (unsigned long long)c[2], (unsigned long long)c[3]);
}

/* NSG v2 has no D state: a deny is decision D with state B; B rows carry
 * four empty counters. */
static void nsg_tuple(struct sbuf *b, const struct cflog_tuple *x)
{
    char s[16], d[16];
    char decision = x->state == 'D' ? 'D' : 'A';
    char state = x->state == 'D' ? 'B' : x->state;

    sb_printf(b, "\"%lld,%s,%s,%u,%u,%c,%c,%c,%c,", (long long)(x->ts_ms / 1000),
              ip_str(x->src, s), ip_str(x->dst, d), x->sport, x->dport,
              x->proto == 6 ? 'T' : 'U', x->direction, decision, state);
    if (state == 'B')
        sb_puts(b, ",,,\"");
    else
        sb_printf(b, "%llu,%llu,%llu,%llu\"", (unsigned long long)x->pkts_s2d,
                  (unsigned long long)x->bytes_s2d, (unsigned long long)x->pkts_d2s,
                  (unsigned long long)x->bytes_d2s);
}

static void vnet_record(struct sbuf *b, const struct cflog_vnet_env *env,
                        const struct cflog_tuple *t, const size_t *idx, size_t a, size_t e)
{
    char when[40];
    int first_acl = 1;

    sb_puts(b, "{");
    sb_kv(b, 1, "time", record_time(minute_of(&t[idx[a]]), when, sizeof(when)));
    sb_kv(b, 0, "flowLogGUID", env->flow_log_guid);
    sb_kv(b, 0, "macAddress", env->mac);
    sb_kv(b, 0, "category", "FlowLogFlowEvent");
    sb_kv(b, 0, "flowLogResourceID", env->flow_log_resource_id);
    sb_kv(b, 0, "targetResourceID", env->target_resource_id);
    sb_puts(b, ",\"flowLogVersion\":4");
    sb_kv(b, 0, "operationName", "FlowLogFlowEvent");
    sb_puts(b, ",\"flowRecords\":{\"flows\":[");
    for (size_t i = a; i < e; i++) {
        const struct cflog_tuple *acl = &t[idx[i]];
        int first_rule = 1;
        if (seen_before(t, idx, a, i, 1, 0))
            continue;
        sb_puts(b, first_acl ? "{" : ",{");
        first_acl = 0;
        sb_kv(b, 1, "aclID", acl->acl);
        sb_puts(b, ",\"flowGroups\":[");
        for (size_t j = i; j < e; j++) {
            const struct cflog_tuple *rule = &t[idx[j]];
            int first_tuple = 1;
            if (strcmp(rule->acl, acl->acl) != 0 || seen_before(t, idx, a, j, 1, 1))
                continue;
            sb_puts(b, first_rule ? "{" : ",{");
            first_rule = 0;
            sb_kv(b, 1, "rule", rule->rule);
            sb_puts(b, ",\"flowTuples\":[");
            for (size_t k = j; k < e; k++) {
                const struct cflog_tuple *x = &t[idx[k]];
                if (strcmp(x->acl, acl->acl) != 0 || strcmp(x->rule, rule->rule) != 0)
                    continue;
                if (!first_tuple)
                    sb_puts(b, ",");
                first_tuple = 0;
                vnet_tuple(b, x);
            }
            sb_puts(b, "]}");
        }
        sb_puts(b, "]}");
    }
    sb_puts(b, "]}}");
}

static void nsg_record(struct sbuf *b, const struct cflog_nsg_env *env,
                       const struct cflog_tuple *t, const size_t *idx, size_t a, size_t e)
{
    char when[40];
    int first_rule = 1;

    sb_puts(b, "{");
    sb_kv(b, 1, "time", record_time(minute_of(&t[idx[a]]), when, sizeof(when)));
    sb_kv(b, 0, "systemId", env->system_id);
    sb_kv(b, 0, "macAddress", env->mac);
    sb_kv(b, 0, "category", "NetworkSecurityGroupFlowEvent");
    sb_kv(b, 0, "resourceId", env->resource_id);
    sb_kv(b, 0, "operationName", "NetworkSecurityGroupFlowEvents");
    sb_puts(b, ",\"properties\":{\"Version\":2,\"flows\":[");
    for (size_t i = a; i < e; i++) {
        const struct cflog_tuple *rule = &t[idx[i]];
        int first_tuple = 1;
        if (seen_before(t, idx, a, i, 0, 1))
            continue;
        sb_puts(b, first_rule ? "{" : ",{");
        first_rule = 0;
        sb_kv(b, 1, "rule", rule->rule);
        sb_puts(b, ",\"flows\":[{");
        sb_kv(b, 1, "mac", env->mac);
        sb_puts(b, ",\"flowTuples\":[");
        for (size_t k = i; k < e; k++) {
            const struct cflog_tuple *x = &t[idx[k]];
            if (strcmp(x->rule, rule->rule) != 0)
                continue;
            if (!first_tuple)
                sb_puts(b, ",");
            first_tuple = 0;
            nsg_tuple(b, x);
        }
        sb_puts(b, "]}]}");
    }
    sb_puts(b, "]}}");
}

typedef void (*record_fn)(struct sbuf *b, const void *env, const struct cflog_tuple *t,
                          const size_t *idx, size_t a, size_t e);

static int write_blob(const char *path, const void *env, const struct cflog_tuple *t, size_t n,
                      int nsg, record_fn record, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct sbuf b = {0};
    size_t m, a;
    size_t *idx = sorted_order(t, n, nsg, &m);
    int rc;

    if (idx == NULL) {
        corpus_err(errbuf, "%s: out of memory", path);
        return -1;
    }
    /* The storage account's first block is exactly these 12 bytes, its last
     * the 2 bytes "]}"; records in between are joined by ','. */
    sb_puts(&b, "{\"records\":[");
    for (a = 0; a < m;) {
        size_t e = a + 1;
        while (e < m && minute_of(&t[idx[e]]) == minute_of(&t[idx[a]]))
            e++;
        if (a > 0)
            sb_puts(&b, ",");
        record(&b, env, t, idx, a, e);
        a = e;
    }
    sb_puts(&b, "]}");
    free(idx);
    if (b.oom) {
        corpus_err(errbuf, "%s: out of memory", path);
        free(b.p);
        return -1;
    }
    rc = corpus_write_file(path, b.p, b.len, errbuf);
    free(b.p);
    return rc;
}

static void vnet_record_fn(struct sbuf *b, const void *env, const struct cflog_tuple *t,
                           const size_t *idx, size_t a, size_t e)
{
    vnet_record(b, env, t, idx, a, e);
}

static void nsg_record_fn(struct sbuf *b, const void *env, const struct cflog_tuple *t,
                          const size_t *idx, size_t a, size_t e)
{
    nsg_record(b, env, t, idx, a, e);
}

int cflog_write_vnet(const char *path, const struct cflog_vnet_env *env,
                     const struct cflog_tuple *t, size_t n, char errbuf[CORPUS_ERRBUF_SIZE])
{
    return write_blob(path, env, t, n, 0, vnet_record_fn, errbuf);
}

int cflog_write_nsg(const char *path, const struct cflog_nsg_env *env,
                    const struct cflog_tuple *t, size_t n, char errbuf[CORPUS_ERRBUF_SIZE])
{
    return write_blob(path, env, t, n, 1, nsg_record_fn, errbuf);
}
