/* decoder_int: what the decoder's files share (framing state, record context).
 * Private to parsers/; the public API is flowlog.h. */
#ifndef AZF_DECODER_INT_H
#define AZF_DECODER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "flowlog.h"
#include "json_scan.h"

/* A record larger than this is reported and skipped, so memory stays
 * bounded whatever the input; Azure writes records of about 32 KiB. */
#define AZF_MAX_RECORD_DEFAULT ((size_t)64 << 20)
/* Longest encryption code kept ("NX_HW_NOT_SUPPORTED" is 19). */
#define AZF_ENC_MAX 64
/* Longest reason handed to on_error. */
#define AZF_REASON_MAX 256

enum frame_state {
    FR_TOP,  /* between records */
    FR_OPEN, /* after a top-level '{': envelope or bare record, not yet known */
    FR_REC,  /* inside a record */
    FR_SKIP, /* inside a record past the size cap: framed, not kept */
};

enum env_state {
    ENV_NONE,    /* outside any {"records":[ ... ]} */
    ENV_ARRAY,   /* inside the records array */
    ENV_CLOSED,  /* after the array's ']', expecting the envelope's '}' */
    ENV_UNKNOWN, /* resumed from a bookmark: maybe inside an array */
};

struct azf_decoder {
    azf_tuple_fn on_tuple;
    azf_error_fn on_error;
    void *user;

    uint64_t pos;  /* absolute offset of the next byte fed */
    uint64_t safe; /* just after the last complete record */
    uint64_t ntuples, nerrors;
    int stopped;
    int resync;    /* after a framing error: skipping to the next '{' */

    enum frame_state st;
    enum env_state env;

    /* The record being framed. */
    uint64_t rec_start; /* absolute offset of its '{' */
    uint64_t rec_len;   /* bytes framed so far (also when not kept) */
    int depth;          /* open brackets; kinds in `kinds`, bit set = '{' */
    uint64_t kinds;
    int in_str, esc;
    int open_step;      /* FR_OPEN: progress through `"records" : [` */
    size_t open_key;

    /* Bytes of a record split across feeds (a whole record never is). */
    char *buf;
    size_t len, cap;
    size_t max_record;

    /* Per-record NUL-terminated copies of the strings handed out. */
    char *scratch;
    size_t scratch_cap;
};

/* One record being decoded. */
struct rec_ctx {
    struct azf_decoder *d;
    const char *base;    /* the record's first byte ('{') */
    size_t len;
    uint64_t off;        /* its absolute offset */
    struct azf_tuple t;  /* envelope fields, tuple fields overwritten per tuple */
    char *scratch;
    size_t used, cap;
    int stop;            /* on_tuple asked to stop */
    int nsg_version_given;
};

/* record.c */
void azf__error(struct azf_decoder *d, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Decodes one framed record; returns 0, AZF_STOPPED, or -1 when it was
 * not a flow-log record at all (so resync can stay quiet about it). */
int azf__record_decode(struct azf_decoder *d, const char *rec, size_t len, uint64_t off, int quiet);
/* For bytes that are final (a storage blob's committed blocks): the input
 * fed so far ends inside a record, yet a later record (`,{"time"`) began
 * within it, so the writer cut it.  Reports it at its offset, skips it and
 * decodes on from the later record.  Returns 1 (skipped; feed's result in
 * *rc), 0 (nothing to skip: not inside a record, or no later record yet). */
int azf__decoder_skip_torn(struct azf_decoder *d, int *rc);
const char *rec_keep(struct rec_ctx *c, const struct js_str *s);
/* rec_keep, then upper-case with '-' and ':' dropped. */
const char *azf__keep_mac(struct rec_ctx *c, const struct js_str *s);
void rec_error(struct rec_ctx *c, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* At a flowTuples array: parses and emits each tuple string. */
void rec_tuples(struct rec_ctx *c, struct js *s);

/* walk.c: the two nested levels above flowTuples, each an array of objects
 * with a label (rule, mac, aclID) and a child array, keys in any order. */
struct walk_level {
    const char *label_key;
    const char *child_key;
    size_t slot;      /* offsetof(struct azf_tuple, <label's field>) */
    int is_mac;
    const char *name; /* for messages: "properties.flows[]" */
};
void azf__walk(struct rec_ctx *c, const char *at, const struct walk_level *lv, int nlv);

/* nsg.c, vnet.c: walk properties.flows / flowRecords.flows. */
void azf__nsg_walk(struct rec_ctx *c, const char *flows_at);
void azf__vnet_walk(struct rec_ctx *c, const char *flows_at);

/* tuple.c: one CSV tuple into t (tuple fields only).  source/version say
 * what the record claims; version 0 = unknown (NSG: inferred from fields).
 * enc receives the VNet encryption code.  Returns 0, or -1 with why set. */
int azf__tuple_parse(const char *s, size_t n, uint8_t source, uint8_t version,
                     struct azf_tuple *t, char enc[AZF_ENC_MAX], char *why, size_t whylen);

/* iso8601.c: "2020-07-08T20:04:43.4178856Z" -> microseconds. */
int azf__iso8601_us(const char *s, size_t n, int64_t *out);
/* iso8601.c: exactly n decimal digits at p into *out; -1 otherwise. */
int azf__digits(const char *p, int n, int *out);

#endif /* AZF_DECODER_INT_H */
