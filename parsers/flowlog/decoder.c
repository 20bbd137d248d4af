/* decoder: frames complete top-level records in a byte stream fed in any
 * pieces ({"records":[...]} envelope, bare records, NDJSON, the storage
 * account's leading commas), hands each to record.c when its brace closes. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "decoder_int.h"

/* Bytes that matter outside strings. */
static const uint8_t structural[256] = {
    ['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
};

static int is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

struct azf_decoder *azf_decoder_new(azf_tuple_fn on_tuple, azf_error_fn on_error, void *user)
{
    struct azf_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->on_tuple = on_tuple;
    d->on_error = on_error;
    d->user = user;
    d->max_record = AZF_MAX_RECORD_DEFAULT;
    azf_decoder_reset(d, 0);
    return d;
}

void azf_decoder_free(struct azf_decoder *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d->scratch);
    free(d);
}

void azf_decoder_set_max_record(struct azf_decoder *d, size_t max)
{
    d->max_record = max ? max : AZF_MAX_RECORD_DEFAULT;
}

/* Framing starts afresh at `offset`, between two records. */
static void restart_framing(struct azf_decoder *d, uint64_t offset)
{
    d->pos = d->safe = offset;
    d->st = FR_TOP;
    d->len = 0;
    d->depth = 0;
    d->kinds = 0;
    d->in_str = d->esc = 0;
}

void azf_decoder_reset(struct azf_decoder *d, uint64_t offset)
{
    restart_framing(d, offset);
    d->ntuples = d->nerrors = 0;
    d->stopped = d->resync = 0;
    /* A bookmark sits just after a record, usually inside the records array;
     * which, the bytes after it will tell (`,{...}` or `]}`). */
    d->env = offset ? ENV_UNKNOWN : ENV_NONE;
}

uint64_t azf_decoder_safe_offset(const struct azf_decoder *d)
{
    return d->safe;
}

uint64_t azf_decoder_tuples(const struct azf_decoder *d)
{
    return d->ntuples;
}

uint64_t azf_decoder_errors(const struct azf_decoder *d)
{
    return d->nerrors;
}

static int buf_append(struct azf_decoder *d, const char *p, size_t n)
{
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap : 64 * 1024;
        while (cap < d->len + n)
            cap *= 2;
        char *b = realloc(d->buf, cap);
        if (!b)
            return -1;
        d->buf = b;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    return 0;
}

/* Give up on the record being framed: report, then skip to the next '{'. */
static void frame_error(struct azf_decoder *d, uint64_t at, const char *why)
{
    azf__error(d, at, "%s (record skipped)", why);
    d->st = FR_TOP;
    d->len = 0;
    d->resync = 1;
    d->env = ENV_UNKNOWN; /* the ']' '}' that would tell were perhaps skipped */
}

static void start_record(struct azf_decoder *d, uint64_t at, int depth, uint64_t kinds, int in_str)
{
    d->st = FR_REC;
    d->rec_start = at;
    d->depth = depth;
    d->kinds = kinds;
    d->in_str = in_str;
    d->esc = 0;
    d->len = 0;
}

static void unexpected(struct azf_decoder *d, uint64_t at, unsigned char c)
{
    if (c >= 0x20 && c < 0x7f)
        azf__error(d, at, "unexpected '%c' between records (skipped to the next '{')", c);
    else
        azf__error(d, at, "unexpected byte 0x%02x between records (skipped to the next '{')", c);
    d->resync = 1;
    d->env = ENV_UNKNOWN;
}

int azf_decoder_feed(struct azf_decoder *d, const void *data, size_t n)
{
    const char *const chunk = data;
    const char *p = chunk, *const end = chunk + n;
    /* The current record's bytes in this chunk start here; when it began in
     * an earlier chunk, its first part is in d->buf. */
    const char *seg = chunk;
    int whole_here = 0; /* the record began in this chunk: decode in place */
#define ABS(q) (d->pos + (uint64_t)((q) - chunk))

    if (d->stopped)
        return AZF_STOPPED;
    if (n == 0)
        return AZF_OK;

    while (p < end) {
        if (d->st == FR_TOP) {
            unsigned char c = (unsigned char)*p;
            if (d->resync && c != '{') {
                const char *b = memchr(p, '{', (size_t)(end - p));
                p = b ? b : end;
                continue;
            }
            if (is_ws((char)c) || c == ',') { /* ',' leads every appended block */
                p++;
                continue;
            }
            if (c == '{') {
                seg = p;
                whole_here = 1;
                if (d->env == ENV_CLOSED) {
                    azf__error(d, ABS(p), "expected '}' closing the records envelope");
                    d->env = ENV_NONE;
                }
                if (d->env == ENV_NONE) {
                    /* '{' may open the envelope or a bare record: FR_OPEN tells. */
                    start_record(d, ABS(p), 1, 1, 0);
                    d->st = FR_OPEN;
                    d->open_step = 0;
                    d->open_key = 0;
                } else {
                    start_record(d, ABS(p), 1, 1, 0);
                }
                p++;
                continue;
            }
            if (c == ']' && (d->env == ENV_ARRAY || d->env == ENV_UNKNOWN)) {
                d->env = ENV_CLOSED;
                p++;
                continue;
            }
            if (c == '}' && d->env == ENV_CLOSED) {
                d->env = ENV_NONE;
                p++;
                continue;
            }
            if (ABS(p) < 3 && c == (unsigned char)"\xEF\xBB\xBF"[ABS(p)]) { /* UTF-8 BOM */
                p++;
                continue;
            }
            unexpected(d, ABS(p), c);
            p++;
            continue;
        }

        if (d->st == FR_OPEN) {
            /* Match `"records" : [` byte by byte; on the first mismatch it is a
             * bare record and FR_REC takes over at that byte with equal state. */
            char c = *p;
            if (ABS(p) - d->rec_start >= d->max_record) { /* blanks past the cap */
                d->st = FR_REC;
                d->in_str = d->open_step == 1;
                continue;
            }
            static const char key[] = "records";
            switch (d->open_step) {
            case 0:
                if (is_ws(c)) {
                    p++;
                } else if (c == '"') {
                    d->open_step = 1;
                    p++;
                } else {
                    d->st = FR_REC;
                }
                break;
            case 1:
                if (d->open_key < 7 && c == key[d->open_key]) {
                    d->open_key++;
                    p++;
                } else if (d->open_key == 7 && c == '"') {
                    d->open_step = 2;
                    p++;
                } else {
                    d->st = FR_REC;
                    d->in_str = 1;
                }
                break;
            case 2:
            case 3:
                if (is_ws(c)) {
                    p++;
                } else if (d->open_step == 2 && c == ':') {
                    d->open_step = 3;
                    p++;
                } else if (d->open_step == 3 && c == '[') {
                    d->env = ENV_ARRAY;
                    d->st = FR_TOP;
                    d->len = 0;
                    whole_here = 0;
                    p++;
                } else {
                    d->st = FR_REC;
                }
                break;
            }
            continue;
        }

        /* FR_REC / FR_SKIP: find the brace that closes the record.  Scans stop
         * at the byte that would make the record exceed the cap, so the cap is
         * reported at the same point however the input was split. */
        const char *stop = end;
        if (d->st == FR_REC) {
            uint64_t lim = d->rec_start + d->max_record; /* first byte too many */
            if (ABS(p) >= lim) {
                azf__error(d, d->rec_start, "record larger than the %zu-byte limit (skipped)",
                           d->max_record);
                d->st = FR_SKIP;
                d->len = 0;
                whole_here = 0;
            } else if (lim - ABS(p) < (uint64_t)(end - p)) {
                stop = p + (lim - ABS(p));
            }
        }
        if (d->in_str) {
            if (d->esc) {
                d->esc = 0;
                p++;
                continue;
            }
            p = js_str_stop(p, stop);
            if (p == end)
                break;
            if (p == stop)
                continue; /* at the cap */
            if (*p == '"') {
                d->in_str = 0;
            } else if (*p == '\\') {
                d->esc = 1;
            } else {
                frame_error(d, ABS(p), "control character inside a string");
                whole_here = 0;
            }
            p++;
            continue;
        }
        while (p < stop && !structural[(unsigned char)*p])
            p++;
        if (p == end)
            break;
        if (p == stop)
            continue; /* at the cap */
        char c = *p;
        if (c == '"') {
            d->in_str = 1;
            p++;
            continue;
        }
        if (c == '{' || c == '[') {
            if (d->depth >= 64) {
                frame_error(d, ABS(p), "nesting deeper than 64 levels");
                whole_here = 0;
                p++;
                continue;
            }
            d->kinds = d->kinds << 1 | (c == '{');
            d->depth++;
            p++;
            continue;
        }
        /* '}' or ']' */
        if ((int)(d->kinds & 1) != (c == '}')) {
            frame_error(d, ABS(p), c == '}' ? "'}' closes a '['" : "']' closes a '{'");
            whole_here = 0;
            p++;
            continue;
        }
        d->kinds >>= 1;
        p++;
        if (--d->depth > 0)
            continue;

        /* The record is complete: [rec_start, ABS(p)). */
        uint64_t rec_len = ABS(p) - d->rec_start;
        if (d->st == FR_SKIP) {
            d->st = FR_TOP;
            d->safe = ABS(p);
            continue;
        }
        d->st = FR_TOP;
        if (rec_len > d->max_record) {
            azf__error(d, d->rec_start, "record of %llu bytes is larger than the %zu-byte limit (skipped)",
                       (unsigned long long)rec_len, d->max_record);
            d->len = 0;
            d->safe = ABS(p);
            whole_here = 0;
            continue;
        }
        const char *rec = seg;
        if (!whole_here) {
            if (buf_append(d, seg, (size_t)(p - seg)) < 0) {
                azf__error(d, d->rec_start, "out of memory buffering a %llu-byte record (skipped)",
                           (unsigned long long)rec_len);
                d->len = 0;
                d->safe = ABS(p);
                continue;
            }
            rec = d->buf;
        }
        int r = azf__record_decode(d, rec, (size_t)rec_len, d->rec_start, d->resync);
        d->len = 0;
        whole_here = 0;
        if (r == AZF_STOPPED) {
            /* The record was cut short: a resumed reader must see it again. */
            d->stopped = 1;
            d->pos += (uint64_t)(p - chunk);
            return AZF_STOPPED;
        }
        if (r == 0)
            d->resync = 0;
        d->safe = ABS(p);
    }

    /* A record continues in the next chunk: keep its bytes so far. */
    if (d->st == FR_OPEN || d->st == FR_REC) {
        uint64_t so_far = ABS(end) - d->rec_start;
        if (so_far > d->max_record) {
            azf__error(d, d->rec_start, "record larger than the %zu-byte limit (skipped)",
                       d->max_record);
            d->st = FR_SKIP;
            d->len = 0;
        } else if (buf_append(d, seg, (size_t)(end - seg)) < 0) {
            azf__error(d, d->rec_start, "out of memory buffering a record (skipped)");
            d->st = FR_SKIP;
            d->len = 0;
        }
    }
    d->pos += n;
    return AZF_OK;
#undef ABS
}

int azf__decoder_skip_torn(struct azf_decoder *d, int *rc)
{
    static const char mark[] = "{\"time\"";
    const size_t ml = sizeof(mark) - 1;
    if (d->stopped || d->st != FR_REC || d->len < ml + 1)
        return 0;
    /* Every record starts with "time", and no object inside one does: the
     * first `,{"time"` after its start is the next record's. */
    size_t i = 1;
    for (;; i++) {
        const char *q = memmem(d->buf + i, d->len - i, mark, ml);
        if (q == NULL)
            return 0;
        i = (size_t)(q - d->buf);
        size_t j = i;
        while (j > 0 && is_ws(d->buf[j - 1]))
            j--;
        if (j > 0 && d->buf[j - 1] == ',')
            break;
    }
    uint64_t next = d->rec_start + i;
    azf__error(d, d->rec_start, "record cut short by its writer: a later record begins at byte %llu (skipped)",
               (unsigned long long)next);
    size_t rest = d->len - i;
    char *tmp = malloc(rest);
    if (tmp == NULL) {
        *rc = AZF_ENOMEM;
        return 1;
    }
    memcpy(tmp, d->buf + i, rest);
    /* Framing starts over at the later record, inside the same envelope. */
    restart_framing(d, next);
    *rc = azf_decoder_feed(d, tmp, rest);
    free(tmp);
    return 1;
}

int azf_decoder_finish(struct azf_decoder *d)
{
    if (d->stopped)
        return AZF_STOPPED;
    if (d->st != FR_TOP)
        azf__error(d, d->rec_start, "truncated record: %llu bytes without the closing brace",
                   (unsigned long long)(d->pos - d->rec_start));
    else if (d->env == ENV_ARRAY)
        azf__error(d, d->pos, "records array not closed (missing ']}' at the end)");
    else if (d->env == ENV_CLOSED)
        azf__error(d, d->pos, "records envelope not closed (missing '}' at the end)");
    d->st = FR_TOP;
    d->len = 0;
    d->env = ENV_NONE;
    return AZF_OK;
}
