/* tuple_json: a tuple as an `azure_flow` EVE line, formatted by hand into a
 * stack buffer (printf per field would dominate `azflow decode`). */
#include <stdlib.h>
#include <string.h>

#include "tuple_json.h"

struct line {
    char *p, *end;
    FILE *out;
    char buf[4096];
};

static void flush(struct line *l)
{
    fwrite(l->buf, 1, (size_t)(l->p - l->buf), l->out);
    l->p = l->buf;
}

static void put(struct line *l, const char *s, size_t n)
{
    if ((size_t)(l->end - l->p) < n) {
        flush(l);
        if (n > sizeof(l->buf)) {
            fwrite(s, 1, n, l->out);
            return;
        }
    }
    memcpy(l->p, s, n);
    l->p += n;
}

#define PUTS(l, lit) put((l), (lit), sizeof(lit) - 1)

static void put_u64(struct line *l, uint64_t v)
{
    char tmp[20];
    int i = 20;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(l, tmp + i, (size_t)(20 - i));
}

/* A JSON string, escaped (paths and rule names may hold anything). */
static void put_str(struct line *l, const char *s)
{
    size_t len = strlen(s), n = azf_json_quote(s, len, NULL);
    if ((size_t)(l->end - l->p) < n)
        flush(l);
    if (n <= sizeof(l->buf)) {
        l->p += azf_json_quote(s, len, l->p);
        return;
    }
    char *big = malloc(n); /* longer than the whole line buffer: rare */
    if (big != NULL) {
        azf_json_quote(s, len, big);
        fwrite(big, 1, n, l->out);
        free(big);
    }
}

static void field_str(struct line *l, const char *key, const char *v)
{
    if (!v)
        return; /* left out, never invented */
    put(l, key, strlen(key));
    put_str(l, v);
}

/* Suricata's EVE timestamp, always UTC: 2020-07-08T20:03:45.000000+0000. */
static void put_time(struct line *l, int64_t us)
{
    int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
    unsigned frac = (unsigned)(us - secs * 1000000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char b[40];
    int n = snprintf(b, sizeof(b), "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06u+0000\"",
                     (long long)y, (long long)m, (long long)d, (long long)(sod / 3600),
                     (long long)(sod / 60 % 60), (long long)(sod % 60), frac);
    put(l, b, (size_t)n);
}

/* Suricata prints IPv6 as eight 4-digit groups, uncompressed; matching it
 * lets a user join these lines with Suricata's own EVE on the address. */
static void put_addr(struct line *l, const struct azf_addr *a)
{
    char b[48];
    int n;
    const uint8_t *x = a->bytes;
    if (a->family == 6) {
        n = snprintf(b, sizeof(b),
                     "\"%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x\"",
                     x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11],
                     x[12], x[13], x[14], x[15]);
    } else {
        n = snprintf(b, sizeof(b), "\"%u.%u.%u.%u\"", x[0], x[1], x[2], x[3]);
    }
    put(l, b, (size_t)n);
}

/* Suricata's name for the protocol, else the number (as a string, like EVE). */
static void put_proto(struct line *l, uint8_t p)
{
    const char *name = azf_proto_str(p);
    PUTS(l, "\"");
    if (name != NULL)
        put(l, name, strlen(name));
    else
        put_u64(l, p);
    PUTS(l, "\"");
}

void tuple_json_print(FILE *out, const struct azf_tuple *t, const char *blob_path)
{
    struct line l;
    l.out = out;
    l.p = l.buf;
    l.end = l.buf + sizeof(l.buf);

    PUTS(&l, "{\"timestamp\":");
    put_time(&l, t->ts_us);
    PUTS(&l, ",\"event_type\":\"azure_flow\",\"src_ip\":");
    put_addr(&l, &t->src);
    /* Ports as EVE prints them (and the plugin's azure_flow event): only
     * where the protocol has them, not a 0 for ICMP. */
    int ports = azf_proto_has_ports(t->proto);
    if (ports) {
        PUTS(&l, ",\"src_port\":");
        put_u64(&l, t->sport);
    }
    PUTS(&l, ",\"dest_ip\":");
    put_addr(&l, &t->dst);
    if (ports) {
        PUTS(&l, ",\"dest_port\":");
        put_u64(&l, t->dport);
    }
    PUTS(&l, ",\"proto\":");
    put_proto(&l, t->proto);
    PUTS(&l, ",\"azure\":{\"source\":");
    put_str(&l, azf_source_str(t->source) ? azf_source_str(t->source) : "unknown");
    if (t->version) {
        PUTS(&l, ",\"version\":");
        put_u64(&l, t->version);
    }
    field_str(&l, ",\"resource_id\":", t->resource_id);
    field_str(&l, ",\"target_resource_id\":", t->target_resource_id);
    field_str(&l, ",\"mac\":", t->mac);
    field_str(&l, ",\"acl\":", t->acl);
    field_str(&l, ",\"rule\":", t->rule);
    field_str(&l, ",\"direction\":", azf_direction_str(t->direction));
    field_str(&l, ",\"decision\":", azf_decision_str(t->decision));
    field_str(&l, ",\"state\":", azf_state_str(t->state));
    field_str(&l, ",\"encryption\":", t->encryption);
    if (t->has_counters) {
        PUTS(&l, ",\"pkts_toserver\":");
        put_u64(&l, t->pkts_toserver);
        PUTS(&l, ",\"bytes_toserver\":");
        put_u64(&l, t->bytes_toserver);
        PUTS(&l, ",\"pkts_toclient\":");
        put_u64(&l, t->pkts_toclient);
        PUTS(&l, ",\"bytes_toclient\":");
        put_u64(&l, t->bytes_toclient);
    }
    field_str(&l, ",\"blob\":", blob_path);
    PUTS(&l, "}}\n");
    flush(&l);
}
