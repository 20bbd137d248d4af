/* json_scan: strict JSON tokenizer for one record held in memory.
 * Strict so a record jq would reject (a trailing comma, ...) is reported. */
#include "json_scan.h"

#include <string.h>

void js_init(struct js *s, const char *p, size_t len)
{
    s->p = p;
    s->end = p + len;
    s->err_at = NULL;
    s->err = NULL;
}

int js_fail(struct js *s, const char *at, const char *why)
{
    if (!s->err_at) {
        s->err_at = at < s->end ? at : s->end;
        s->err = why;
    }
    return -1;
}

void js_ws(struct js *s)
{
    const char *p = s->p;
    while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

char js_peek(struct js *s)
{
    js_ws(s);
    return s->p < s->end ? *s->p : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int js_string(struct js *s, struct js_str *out)
{
    const char *p = s->p, *end = s->end;
    if (p >= end || *p != '"')
        return js_fail(s, p, "expected a string");
    const char *start = ++p;
    int escaped = 0;
    for (;;) {
        p = js_str_stop(p, end);
        if (p >= end)
            return js_fail(s, start - 1, "unterminated string");
        if (*p == '"')
            break;
        if (*p != '\\')
            return js_fail(s, p, "control character inside a string");
        escaped = 1;
        if (p + 1 >= end)
            return js_fail(s, p, "unterminated string");
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u':
            if (end - p < 6 || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0 ||
                hexval(p[5]) < 0)
                return js_fail(s, p, "bad \\u escape");
            p += 6;
            break;
        default:
            return js_fail(s, p, "bad escape in string");
        }
    }
    out->p = start;
    out->len = (size_t)(p - start);
    out->escaped = escaped;
    s->p = p + 1;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* JSON number grammar; *frac tells whether it had a fraction or exponent. */
static int js_number(struct js *s, int *frac)
{
    const char *p = s->p, *end = s->end, *start = p;
    *frac = 0;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return js_fail(s, start, "bad number");
    if (*p == '0')
        p++;
    else
        while (p < end && is_digit(*p))
            p++;
    if (p < end && *p == '.') {
        *frac = 1;
        p++;
        if (p >= end || !is_digit(*p))
            return js_fail(s, start, "bad number");
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *frac = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return js_fail(s, start, "bad number");
        while (p < end && is_digit(*p))
            p++;
    }
    s->p = p;
    return 0;
}

static int js_literal(struct js *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return js_fail(s, s->p, "unexpected character");
    s->p += n;
    return 0;
}

static int skip_depth(struct js *s, int depth)
{
    struct js_iter it;
    struct js_str str;
    int r, frac;

    if (depth > JS_MAX_DEPTH)
        return js_fail(s, s->p, "nesting too deep");
    switch (js_peek(s)) {
    case '"':
        return js_string(s, &str);
    case '{':
        js_obj_open(s, &it);
        while ((r = js_obj_next(s, &it, &str)) == 1)
            if (skip_depth(s, depth + 1) < 0)
                return -1;
        return r;
    case '[':
        js_arr_open(s, &it);
        while ((r = js_arr_next(s, &it)) == 1)
            if (skip_depth(s, depth + 1) < 0)
                return -1;
        return r;
    case 't':
        return js_literal(s, "true", 4);
    case 'f':
        return js_literal(s, "false", 5);
    case 'n':
        return js_literal(s, "null", 4);
    case 0:
        return js_fail(s, s->p, "value missing at end of record");
    default:
        return js_number(s, &frac);
    }
}

int js_skip(struct js *s)
{
    return skip_depth(s, 0);
}

static int parse_i64(const char *p, const char *end, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end)
        return -1;
    for (; p < end; p++) {
        if (!is_digit(*p) || v > (uint64_t)INT64_MAX / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int js_int(struct js *s, int64_t *out)
{
    const char *start;
    if (js_peek(s) == '"') {
        struct js_str str;
        start = s->p;
        if (js_string(s, &str) < 0)
            return -1;
        if (parse_i64(str.p, str.p + str.len, out) < 0)
            return js_fail(s, start, "expected an integer");
        return 0;
    }
    int frac;
    start = s->p;
    if (js_number(s, &frac) < 0)
        return -1;
    if (frac || parse_i64(start, s->p, out) < 0)
        return js_fail(s, start, "expected an integer");
    return 0;
}

int js_obj_open(struct js *s, struct js_iter *it)
{
    it->n = 0;
    it->comma = NULL;
    if (js_peek(s) != '{')
        return js_fail(s, s->p, "expected an object");
    s->p++;
    return 0;
}

int js_arr_open(struct js *s, struct js_iter *it)
{
    it->n = 0;
    it->comma = NULL;
    if (js_peek(s) != '[')
        return js_fail(s, s->p, "expected an array");
    s->p++;
    return 0;
}

/* Between members: the closer ends the container, a comma must be
 * followed by another member.  Returns 1 for a member, 0 for the end. */
static int next_member(struct js *s, struct js_iter *it, char closer)
{
    char c = js_peek(s);
    if (c == closer) {
        s->p++;
        return 0;
    }
    if (it->n > 0) {
        if (c != ',')
            return js_fail(s, s->p,
                           closer == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        it->comma = s->p++;
        if (js_peek(s) == closer)
            return js_fail(s, it->comma,
                           closer == '}' ? "trailing comma before '}'" : "trailing comma before ']'");
    }
    it->n++;
    return 1;
}

int js_obj_next(struct js *s, struct js_iter *it, struct js_str *key)
{
    int r = next_member(s, it, '}');
    if (r <= 0)
        return r;
    if (js_peek(s) != '"')
        return js_fail(s, s->p, "expected a key");
    if (js_string(s, key) < 0)
        return -1;
    if (js_peek(s) != ':')
        return js_fail(s, s->p, "expected ':' after a key");
    s->p++;
    js_ws(s);
    return 1;
}

int js_arr_next(struct js *s, struct js_iter *it)
{
    int r = next_member(s, it, ']');
    if (r == 1)
        js_ws(s);
    return r;
}

int js_key_is(const struct js_str *k, const char *name)
{
    if (k->escaped) {
        char buf[64];
        long n = js_unescape(k, buf, sizeof(buf));
        if (n < 0)
            return 0;
        struct js_str plain = {buf, (size_t)n, 0};
        return js_key_is(&plain, name);
    }
    size_t n = strlen(name);
    if (k->len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = k->p[i], b = name[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a | 0x20);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b | 0x20);
        if (a != b)
            return 0;
    }
    return 1;
}

static unsigned hex4(const char *p)
{
    return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

/* UTF-8 encoding of code point cp into o (room checked by the caller). */
static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Input was validated by js_string, so escapes are well formed.  A \uXXXX
 * never yields more bytes than its 6 (a surrogate pair: 4 for 12). */
long js_unescape(const struct js_str *s, char *out, size_t outlen)
{
    const char *p = s->p, *end = s->p + s->len;
    size_t o = 0;
    if (outlen == 0)
        return -1;
    while (p < end) {
        if (o + 1 >= outlen)
            return -1;
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        char c = p[1];
        p += 2;
        switch (c) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD; /* a lone surrogate has no UTF-8 form */
            if (o + (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4) >= outlen)
                return -1;
            o += utf8_put(out + o, cp);
            break;
        }
        default: out[o++] = c; break; /* " \ / */
        }
    }
    out[o] = '\0';
    return (long)o;
}
