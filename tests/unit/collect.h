/* collect: test helper that runs the decoder over a string and keeps every
 * tuple (with its strings copied) and every error, for assertions. */
#ifndef AZF_TEST_COLLECT_H
#define AZF_TEST_COLLECT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "flowlog.h"

struct got {
    struct azf_tuple t; /* string pointers redirected to the copies below */
    char rule[160], mac[40], acl[300], rid[300], trid[300], enc[64];
};

struct got_err {
    uint64_t off;
    char why[256];
};

struct collect {
    struct got *v;
    size_t n, cap;
    struct got_err err[256];
    size_t nerr;
    size_t stop_after; /* 0: never stop */
};

static inline const char *keep(char *dst, size_t cap, const char *s)
{
    if (!s)
        return NULL;
    snprintf(dst, cap, "%s", s);
    return dst;
}

static inline int collect_tuple(const struct azf_tuple *t, void *u)
{
    struct collect *c = u;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = realloc(c->v, c->cap * sizeof(*c->v));
        assert_non_null(c->v);
        /* The copies moved with the array: point the tuples at them again. */
        for (size_t i = 0; i < c->n; i++) {
            struct got *o = &c->v[i];
            o->t.rule = o->t.rule ? o->rule : NULL;
            o->t.mac = o->t.mac ? o->mac : NULL;
            o->t.acl = o->t.acl ? o->acl : NULL;
            o->t.resource_id = o->t.resource_id ? o->rid : NULL;
            o->t.target_resource_id = o->t.target_resource_id ? o->trid : NULL;
            o->t.encryption = o->t.encryption ? o->enc : NULL;
        }
    }
    struct got *g = &c->v[c->n++];
    memset(g, 0, sizeof(*g));
    g->t = *t;
    g->t.rule = keep(g->rule, sizeof(g->rule), t->rule);
    g->t.mac = keep(g->mac, sizeof(g->mac), t->mac);
    g->t.acl = keep(g->acl, sizeof(g->acl), t->acl);
    g->t.resource_id = keep(g->rid, sizeof(g->rid), t->resource_id);
    g->t.target_resource_id = keep(g->trid, sizeof(g->trid), t->target_resource_id);
    g->t.encryption = keep(g->enc, sizeof(g->enc), t->encryption);
    return c->stop_after && c->n >= c->stop_after;
}

static inline void collect_error(uint64_t off, const char *why, void *u)
{
    struct collect *c = u;
    if (c->nerr < sizeof(c->err) / sizeof(c->err[0])) {
        c->err[c->nerr].off = off;
        snprintf(c->err[c->nerr].why, sizeof(c->err[c->nerr].why), "%s", why);
    }
    c->nerr++;
}

static inline void collect_reset(struct collect *c)
{
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/* Whole input in one feed when step is 0, else in pieces of `step` bytes. */
static inline void decode_steps(struct collect *c, const char *s, size_t len, size_t step)
{
    struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, c);
    assert_non_null(d);
    if (step == 0)
        step = len ? len : 1;
    for (size_t i = 0; i < len; i += step)
        azf_decoder_feed(d, s + i, len - i < step ? len - i : step);
    azf_decoder_finish(d);
    assert_int_equal(azf_decoder_tuples(d), c->n);
    azf_decoder_free(d);
}

static inline void decode_str(struct collect *c, const char *s)
{
    decode_steps(c, s, strlen(s), 0);
}

/* Text of an address, in a rotating static buffer (fine for assertions). */
static inline const char *ip(const struct azf_addr *a)
{
    static char bufs[4][64];
    static int i;
    char *b = bufs[i++ & 3];
    return azf_addr_str(a, b, 64);
}

/* Offset of the n-th (0-based) occurrence of needle in hay. */
static inline uint64_t offset_of(const char *hay, const char *needle, int nth)
{
    const char *p = hay;
    for (;;) {
        p = strstr(p, needle);
        assert_non_null(p);
        if (nth-- == 0)
            return (uint64_t)(p - hay);
        p++;
    }
}

#endif /* AZF_TEST_COLLECT_H */
