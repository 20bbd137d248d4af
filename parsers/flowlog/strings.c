/* strings: the names of the decoder's enumerations and addresses, as EVE
 * and the command-line tool print them. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "flowlog.h"
#include "json_scan.h"

const char *azf_addr_str(const struct azf_addr *a, char *buf, size_t len)
{
    if (!a || !buf || len == 0)
        return NULL;
    if (a->family == 4) {
        /* Hand-rolled: inet_ntop costs more than the tuple parse itself. */
        int n = snprintf(buf, len, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2],
                         a->bytes[3]);
        return n > 0 && (size_t)n < len ? buf : NULL;
    }
    if (a->family == 6)
        return inet_ntop(AF_INET6, a->bytes, buf, (socklen_t)len);
    return NULL;
}

const char *azf_direction_str(uint8_t d)
{
    return d == AZF_DIR_INBOUND ? "inbound" : d == AZF_DIR_OUTBOUND ? "outbound" : NULL;
}

const char *azf_decision_str(uint8_t d)
{
    return d == AZF_DECISION_ALLOW ? "allow" : d == AZF_DECISION_DENY ? "deny" : NULL;
}

const char *azf_state_str(uint8_t s)
{
    switch (s) {
    case AZF_STATE_BEGIN: return "begin";
    case AZF_STATE_CONTINUING: return "continuing";
    case AZF_STATE_END: return "end";
    case AZF_STATE_DENY: return "deny";
    default: return NULL;
    }
}

const char *azf_source_str(uint8_t s)
{
    return s == AZF_SOURCE_NSG ? "nsg" : s == AZF_SOURCE_VNET ? "vnet" : NULL;
}

const char *azf_proto_str(uint8_t proto)
{
    /* Suricata's own names (EVE "proto"), so the two join on it. */
    switch (proto) {
    case 1: return "ICMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default: return NULL;
    }
}

int azf_proto_has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

size_t azf_json_plain(const char *s, size_t len)
{
    /* The scanner's stop set is JSON's escape set: '"', '\\', < 0x20. */
    return (size_t)(js_str_stop(s, s + len) - s);
}

/* The escape sequence of a byte azf_json_plain stopped at; returns its
 * length (2 or 6). */
static size_t json_escape(unsigned char c, char out[6])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    switch (c) {
    case '"': out[1] = '"'; return 2;
    case '\\': out[1] = '\\'; return 2;
    case '\n': out[1] = 'n'; return 2;
    case '\r': out[1] = 'r'; return 2;
    case '\t': out[1] = 't'; return 2;
    default:
        memcpy(out + 1, "u00", 3);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
}

/* The length of the UTF-8 sequence s[0..len) starts with, or 0 where s[0]
 * starts none: a stray continuation byte, an overlong form, a surrogate,
 * a code point past U+10FFFF, or a sequence cut short. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : lo; /* overlong */
        hi = c == 0xED ? 0x9F : hi; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : lo; /* overlong */
        hi = c == 0xF4 ? 0x8F : hi; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* JSON text is UTF-8 (RFC 8259), and Suricata's JsonBuilder drops a member
 * that is not: a byte of a log string that is no UTF-8 (the decoder passes
 * raw bytes through) goes out as U+FFFD, as the decoder writes a lone
 * surrogate escape, so the rest of the string and its record survive. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

size_t azf_json_quote(const char *s, size_t len, char *out)
{
    size_t n = 1;
    if (out != NULL)
        out[0] = '"';
    for (;;) {
        /* Plain ASCII in one pass; each other byte is judged where it stops. */
        size_t run = (size_t)(js_str_stop_at(s, s + len, 1) - s);
        if (out != NULL)
            memcpy(out + n, s, run);
        n += run;
        if (run == len)
            break;
        const unsigned char c = (unsigned char)s[run];
        const char *put;
        size_t k, used;
        char esc[6];
        if (c >= 0x80) {
            used = utf8_seq((const unsigned char *)s + run, len - run);
            put = used > 0 ? s + run : UTF8_REPLACEMENT;
            k = used > 0 ? used : 3;
            used = used > 0 ? used : 1;
        } else {
            k = json_escape(c, esc);
            put = esc;
            used = 1;
        }
        if (out != NULL)
            memcpy(out + n, put, k);
        n += k;
        s += run + used;
        len -= run + used;
    }
    if (out != NULL)
        out[n] = '"';
    return n + 1;
}
