/* json_scan: a small, strict JSON scanner over one complete record in memory.
 * Private to parsers/; just enough JSON for flow-log records, no DOM. */
#ifndef AZF_JSON_SCAN_H
#define AZF_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Deepest nesting accepted; flow-log records use 7 levels. */
#define JS_MAX_DEPTH 64

struct js {
    const char *p;      /* next byte */
    const char *end;    /* one past the last byte */
    const char *err_at; /* where the first problem is; NULL while none */
    const char *err;    /* static reason */
};

/* A string token as it appears in the input, quotes excluded. */
struct js_str {
    const char *p;
    size_t len;
    int escaped; /* contains a backslash: unescape before use */
};

/* Iteration state of one object or array. */
struct js_iter {
    int n;                 /* members seen so far */
    const char *comma;     /* the last comma, to name a trailing one */
};

/* The first byte in [p, end) that ends a plain run inside a string: '"',
 * '\\' or a control character, and with `high` any byte >= 0x80 (a writer
 * that must check UTF-8 stops there, in the same pass); end if none.
 * Eight bytes at a time: the decoder spends most of its time inside tuple
 * strings.  Of each zero-byte mask only the lowest set bit is exact, so the
 * lowest bit of their union is.  `high` is a constant at every call. */
static inline const char *js_str_stop_at(const char *p, const char *end, const int high)
{
#define JS_ONES 0x0101010101010101ULL
#define JS_HIGH 0x8080808080808080ULL
#ifdef __SSE2__
    /* Sixteen at a time where SSE2 is there (every x86-64): flow-log
     * strings are long enough that this halves the loop. */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl)); /* x <= 0x1f */
        if (high)
            m = _mm_or_si128(m, x); /* its top bit is the byte's */
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (end - p >= 8) {
        uint64_t x;
        __builtin_memcpy(&x, p, 8);
        uint64_t q = x ^ (JS_ONES * '"'), b = x ^ (JS_ONES * '\\');
        uint64_t m = ((q - JS_ONES) & ~q) | ((b - JS_ONES) & ~b) | ((x - JS_ONES * 0x20) & ~x);
        if (high)
            m |= x;
        m &= JS_HIGH;
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
    while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20 &&
            !(high && (unsigned char)*p >= 0x80))
        p++;
    return p;
#undef JS_ONES
#undef JS_HIGH
}

/* The decoder's: UTF-8 bytes are part of a plain run. */
static inline const char *js_str_stop(const char *p, const char *end)
{
    return js_str_stop_at(p, end, 0);
}

void js_init(struct js *s, const char *p, size_t len);
/* Records the first problem only; returns -1 so callers can `return js_fail(..)`. */
int js_fail(struct js *s, const char *at, const char *why);
void js_ws(struct js *s);
/* The next non-blank byte, or 0 at the end. */
char js_peek(struct js *s);

int js_string(struct js *s, struct js_str *out);
/* Validates and skips any value. */
int js_skip(struct js *s);
/* A JSON integer, or a string holding one ("2"): Version has been seen as both. */
int js_int(struct js *s, int64_t *out);

/* Object: js_obj_open then js_obj_next until it returns 0 ('}' consumed).
 * 1 = a key was read and the ':' consumed, the value comes next; -1 error. */
int js_obj_open(struct js *s, struct js_iter *it);
int js_obj_next(struct js *s, struct js_iter *it, struct js_str *key);
/* Array: 1 = positioned at the next element; 0 = ']' consumed; -1 error. */
int js_arr_open(struct js *s, struct js_iter *it);
int js_arr_next(struct js *s, struct js_iter *it);

/* Case-insensitive key match (the docs spell resourceId both ways). */
int js_key_is(const struct js_str *k, const char *name);
/* Unescapes into out (NUL-terminated, at most outlen-1 bytes kept).
 * Returns the length written, or -1 when it did not fit. */
long js_unescape(const struct js_str *s, char *out, size_t outlen);

#endif /* AZF_JSON_SCAN_H */
