/* tuple: one flowTuples CSV string -> the tuple fields of struct azf_tuple.
 * Parsed in place (no copy, no malloc): it is the decoder's hot loop. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decoder_int.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_FIELDS 13
#define ONES 0x0101010101010101ULL
#define LOW7 0x7F7F7F7F7F7F7F7FULL

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int bad(char *why, size_t whylen, const char *what, const char *f, size_t n)
{
    /* Show at most 48 bytes of the value: enough to see what is wrong. */
    snprintf(why, whylen, "%s '%.*s'", what, (int)(n > 48 ? 48 : n), f);
    return -1;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight ASCII digits at once (as in simdjson): time stamps have 10 or 13,
 * and a digit-at-a-time loop is one long dependency chain. */
static inline int eight_digits(const char *p, uint64_t *out)
{
    uint64_t x;
    memcpy(&x, p, 8);
    if (((x & 0xF0F0F0F0F0F0F0F0ULL) | (((x + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) !=
        0x3333333333333333ULL)
        return -1;
    x = (x & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
    x = (x & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
    *out = (uint32_t)((x & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32);
    return 0;
}
#endif

static inline int parse_u64(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return -1;
    if (n < 20) { /* 19 digits cannot overflow: no check in the common case */
        size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n >= 8) {
            if (eight_digits(p, &v) < 0)
                return -1;
            i = 8;
        }
#endif
        for (; i < n; i++) {
            unsigned d = (unsigned)(p[i] - '0');
            if (d > 9)
                return -1;
            v = v * 10 + d;
        }
        *out = v;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Seconds (NSG, some VNet examples) or milliseconds (VNet) by magnitude:
 * 1e11 s is the year 5138, 1e11 ms is 1973.  *res: the unit, which the
 * log truncated to (a flow that began at .5 s has a begin tuple of .0). */
static int parse_ts(const char *p, size_t n, int64_t *out, uint32_t *res)
{
    uint64_t v;
    if (n > 15 || parse_u64(p, n, &v) < 0)
        return -1;
    *res = v < 100000000000ULL ? 1000000 : 1000;
    *out = (int64_t)v * *res;
    return 0;
}

static int parse_port(const char *p, size_t n, uint16_t *out)
{
    uint64_t v;
    if (n > 5 || parse_u64(p, n, &v) < 0 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* Dotted quad, strict like inet_pton: no leading zeros, each part <= 255. */
static int parse_ip4(const char *p, size_t n, uint8_t out[4])
{
    const char *e = p + n;
    if (n < 7 || n > 15)
        return -1;
    for (int part = 0;; part++) {
        unsigned d = (unsigned)(*p - '0'), v = d;
        if (d > 9)
            return -1;
        p++;
        if (p < e && (d = (unsigned)(*p - '0')) <= 9) {
            if (v == 0)
                return -1; /* leading zero */
            v = v * 10 + d;
            p++;
            if (p < e && (d = (unsigned)(*p - '0')) <= 9) {
                v = v * 10 + d;
                p++;
            }
        }
        if (v > 255)
            return -1;
        out[part] = (uint8_t)v;
        if (part == 3)
            return p == e ? 0 : -1;
        if (p >= e - 1 || *p != '.')
            return -1;
        p++;
    }
}

static int parse_addr(const char *p, size_t n, struct azf_addr *a)
{
    memset(a->bytes, 0, sizeof(a->bytes));
    a->family = 4;
    if (parse_ip4(p, n, a->bytes) == 0)
        return 0;
    if (n > 0 && n < 46 && memchr(p, ':', n)) {
        char tmp[46];
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        if (inet_pton(AF_INET6, tmp, a->bytes) != 1)
            return -1;
        a->family = 6;
        return 0;
    }
    return -1;
}

/* NSG writes T/U, VNet the IANA number; either is accepted anywhere. */
static int parse_proto(const char *p, size_t n, uint8_t *out)
{
    uint64_t v;
    if (n == 1 && (*p == 'T' || *p == 'U')) {
        *out = *p == 'T' ? 6 : 17;
        return 0;
    }
    if (n > 3 || parse_u64(p, n, &v) < 0 || v > 255)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

static int parse_state(const char *p, size_t n, int allow_deny, uint8_t *out)
{
    if (n != 1)
        return -1;
    switch (*p) {
    case 'B': *out = AZF_STATE_BEGIN; return 0;
    case 'C': *out = AZF_STATE_CONTINUING; return 0;
    case 'E': *out = AZF_STATE_END; return 0;
    case 'D':
        if (!allow_deny)
            return -1;
        *out = AZF_STATE_DENY;
        return 0;
    default: return -1;
    }
}

/* The four counters: all empty (a begin row: "not provided", not 0) or all numbers. */
static int parse_counters(const char *const *f, const size_t *fl, struct azf_tuple *t,
                          char *why, size_t whylen)
{
    static const char *const names[4] = {"packets to server", "bytes to server",
                                         "packets to client", "bytes to client"};
    uint64_t *dst[4] = {&t->pkts_toserver, &t->bytes_toserver, &t->pkts_toclient,
                        &t->bytes_toclient};
    int empty = (fl[0] == 0) + (fl[1] == 0) + (fl[2] == 0) + (fl[3] == 0);
    t->pkts_toserver = t->bytes_toserver = t->pkts_toclient = t->bytes_toclient = 0;
    if (empty == 4) {
        t->has_counters = 0;
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        if (fl[i] == 0) {
            snprintf(why, whylen, "%s missing while other counters are given", names[i]);
            return -1;
        }
        if (parse_u64(f[i], fl[i], dst[i]) < 0) {
            char what[32];
            snprintf(what, sizeof(what), "bad %s", names[i]);
            return bad(why, whylen, what, f[i], fl[i]);
        }
    }
    t->has_counters = 1;
    return 0;
}

static int parse_encryption(const char *p, size_t n, char enc[AZF_ENC_MAX])
{
    if (n == 0 || n >= AZF_ENC_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'))
            return -1;
    }
    memcpy(enc, p, n);
    enc[n] = '\0';
    return 0;
}

int azf__tuple_parse(const char *s, size_t n, uint8_t source, uint8_t version,
                     struct azf_tuple *t, char enc[AZF_ENC_MAX], char *why, size_t whylen)
{
    const char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    int nf = 0;
    const char *p = s, *e = s + n;

    /* Split on ','; count past 13 only to say how many there were.  Eight
     * bytes at a time: this split is a third of the decoder's time. */
    f[0] = p;
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(',');
    while (e - p >= 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), comma));
        while (m) {
            const char *c = p + __builtin_ctz(m);
            m &= m - 1;
            if (nf < MAX_FIELDS)
                fl[nf] = (size_t)(c - f[nf]);
            if (++nf < MAX_FIELDS)
                f[nf] = c + 1;
        }
        p += 16;
    }
#endif
    while (e - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t v = x ^ (ONES * ',');
        /* Exact zero-byte mask (no borrow false positives). */
        uint64_t m = ~(((v & LOW7) + LOW7) | v | LOW7);
        while (m) {
            const char *c = p + (__builtin_ctzll(m) >> 3);
            m &= m - 1;
            if (nf < MAX_FIELDS)
                fl[nf] = (size_t)(c - f[nf]);
            if (++nf < MAX_FIELDS)
                f[nf] = c + 1;
        }
        p += 8;
    }
    for (; p < e; p++) {
        if (*p != ',')
            continue;
        if (nf < MAX_FIELDS)
            fl[nf] = (size_t)(p - f[nf]);
        if (++nf < MAX_FIELDS)
            f[nf] = p + 1;
    }
    if (nf < MAX_FIELDS)
        fl[nf] = (size_t)(e - f[nf]);
    nf++;

    int want;
    if (source == AZF_SOURCE_VNET) {
        if (nf != 13) {
            snprintf(why, whylen, "tuple has %d fields, VNet flow logs need 13", nf);
            return -1;
        }
        want = 13;
    } else if (version == 1 || version == 2) {
        want = version == 1 ? 8 : 13;
        if (nf != want) {
            snprintf(why, whylen, "tuple has %d fields, NSG v%u needs %d", nf, version, want);
            return -1;
        }
    } else {
        /* Version absent or unknown: the field count tells. */
        if (nf != 8 && nf != 13) {
            snprintf(why, whylen, "tuple has %d fields, NSG needs 8 (v1) or 13 (v2)", nf);
            return -1;
        }
        want = nf;
    }

    if (parse_ts(f[0], fl[0], &t->ts_us, &t->ts_res_us) < 0)
        return bad(why, whylen, "bad timestamp", f[0], fl[0]);
    if (parse_addr(f[1], fl[1], &t->src) < 0)
        return bad(why, whylen, "bad source address", f[1], fl[1]);
    if (parse_addr(f[2], fl[2], &t->dst) < 0)
        return bad(why, whylen, "bad destination address", f[2], fl[2]);
    if (t->src.family != t->dst.family)
        return bad(why, whylen, "destination address family differs from the source's", f[2], fl[2]);
    if (parse_port(f[3], fl[3], &t->sport) < 0)
        return bad(why, whylen, "bad source port", f[3], fl[3]);
    if (parse_port(f[4], fl[4], &t->dport) < 0)
        return bad(why, whylen, "bad destination port", f[4], fl[4]);
    if (parse_proto(f[5], fl[5], &t->proto) < 0)
        return bad(why, whylen, "bad protocol", f[5], fl[5]);
    if (fl[6] != 1 || (f[6][0] != 'I' && f[6][0] != 'O'))
        return bad(why, whylen, "bad direction", f[6], fl[6]);
    t->direction = f[6][0] == 'I' ? AZF_DIR_INBOUND : AZF_DIR_OUTBOUND;

    t->encryption = NULL;
    if (source == AZF_SOURCE_VNET) {
        /* No decision field: a 'D' state is the deny. */
        if (parse_state(f[7], fl[7], 1, &t->state) < 0)
            return bad(why, whylen, "bad flow state", f[7], fl[7]);
        t->decision = t->state == AZF_STATE_DENY ? AZF_DECISION_DENY : AZF_DECISION_ALLOW;
        if (parse_encryption(f[8], fl[8], enc) < 0)
            return bad(why, whylen, "bad encryption status", f[8], fl[8]);
        t->encryption = enc;
        return parse_counters(f + 9, fl + 9, t, why, whylen);
    }

    if (fl[7] != 1 || (f[7][0] != 'A' && f[7][0] != 'D'))
        return bad(why, whylen, "bad decision", f[7], fl[7]);
    t->decision = f[7][0] == 'A' ? AZF_DECISION_ALLOW : AZF_DECISION_DENY;
    if (version == 0)
        t->version = want == 8 ? 1 : 2;
    if (want == 8) {
        t->state = AZF_STATE_NONE;
        t->has_counters = 0;
        t->pkts_toserver = t->bytes_toserver = t->pkts_toclient = t->bytes_toclient = 0;
        return 0;
    }
    if (parse_state(f[8], fl[8], 0, &t->state) < 0)
        return bad(why, whylen, "bad flow state", f[8], fl[8]);
    return parse_counters(f + 9, fl + 9, t, why, whylen);
}
