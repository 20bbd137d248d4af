/* List Blobs answers (expat, streaming): each blob's name, committed size,
 * creation time and ETag, the BlobPrefix entries of a delimiter listing,
 * and NextMarker.  Element names are Azure's; Azurite answers the same.
 * A name too long to be Azure's is skipped and noted with its byte offset,
 * and the rest of the page is read: one odd blob must not hide the others. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "blob_int.h"
#include "follow_int.h"
#include "../flowlog/decoder_int.h"

/* The most text one element may hold here: a name (AZF_NAME_MAX) or a
 * NextMarker, which Azure makes from the last name (base64, a few more
 * bytes): room for both with margin. */
#define TEXT_MAX (4 * AZF_NAME_MAX)

enum field { F_NONE, F_NAME, F_SIZE, F_CREATED, F_ETAG, F_MARKER };

struct pstate {
    XML_Parser x;
    struct azf_listing *l;
    int depth;
    int in_blob, in_prefix; /* depth of the open Blob / BlobPrefix element, 0: none */
    enum field field;
    char *text;             /* TEXT_MAX + 1 bytes */
    size_t tlen;
    uint64_t total, hash;   /* the element's whole text: length and FNV-1a, past TEXT_MAX too */
    uint64_t field_at;      /* byte offset of the element's start tag */
    int name_skipped;       /* the open Blob's name was over AZF_NAME_MAX */
    int oom, marker_long;
    uint64_t marker_at;
    struct azf_listed cur;
};

static void on_start(void *u, const XML_Char *name, const XML_Char **attrs)
{
    struct pstate *p = u;
    p->depth++;
    p->field = F_NONE;
    p->tlen = 0;
    p->total = 0;
    p->hash = AZF_FNV_INIT;
    p->field_at = (uint64_t)XML_GetCurrentByteIndex(p->x);
    /* Only the elements at their place count: a metadata key called
     * "Name" is not the blob's name. */
    int in_props = p->in_blob && p->depth == p->in_blob + 2;
    if (strcmp(name, "Blob") == 0 && !p->in_blob) {
        p->in_blob = p->depth;
        memset(&p->cur, 0, sizeof(p->cur));
        p->name_skipped = 0;
    } else if (strcmp(name, "BlobPrefix") == 0 && !p->in_blob) {
        p->in_prefix = p->depth;
    } else if (strcmp(name, "Name") == 0 && ((p->in_blob && p->depth == p->in_blob + 1) ||
                                             (p->in_prefix && p->depth == p->in_prefix + 1))) {
        p->field = F_NAME;
    } else if (in_props && strcmp(name, "Content-Length") == 0) {
        p->field = F_SIZE;
    } else if (in_props && strcmp(name, "Creation-Time") == 0) {
        p->field = F_CREATED;
    } else if (in_props && strcmp(name, "Etag") == 0) {
        p->field = F_ETAG;
    } else if (p->depth == 2 && strcmp(name, "NextMarker") == 0) {
        p->field = F_MARKER;
    }
}

static void on_text(void *u, const XML_Char *s, int len)
{
    struct pstate *p = u;
    if (p->field == F_NONE)
        return;
    /* Counted and hashed whole; kept only while it fits. */
    p->total += (uint64_t)len;
    p->hash = azf_fnv1a64(p->hash, s, (size_t)len);
    if (p->total > TEXT_MAX)
        return;
    memcpy(p->text + p->tlen, s, (size_t)len);
    p->tlen += (size_t)len;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 256;
    void *nv = realloc(*v, c * size);
    if (nv == NULL)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

/* A name left out: noted where it was, for the caller to say. */
static void skip(struct pstate *p, int prefix)
{
    struct azf_listing *l = p->l;
    if (grow((void **)&l->skipped, &l->capskipped, l->nskipped, sizeof(*l->skipped)) < 0) {
        p->oom = 1;
        return;
    }
    l->skipped[l->nskipped++] =
        (struct azf_skipped){ .offset = p->field_at, .len = p->total, .hash = p->hash, .prefix = prefix };
}

static void on_end(void *u, const XML_Char *name)
{
    struct pstate *p = u;
    int depth = p->depth--;
    p->text[p->tlen] = '\0';
    struct azf_listing *l = p->l;
    if (p->field == F_NAME && p->total > AZF_NAME_MAX) {
        skip(p, !p->in_blob);
        if (p->in_blob)
            p->name_skipped = 1;
    } else if (p->field == F_MARKER && p->total > TEXT_MAX) {
        p->marker_long = 1;
        p->marker_at = p->field_at;
    } else if (p->field != F_NONE && p->total <= TEXT_MAX) {
        switch (p->field) {
        case F_NAME:
            if (p->in_blob) {
                free(p->cur.name);
                if ((p->cur.name = strdup(p->text)) == NULL)
                    p->oom = 1;
            } else if (grow((void **)&l->prefixes, &l->capprefixes, l->nprefixes, sizeof(char *)) < 0 ||
                       (l->prefixes[l->nprefixes] = strdup(p->text)) == NULL) {
                p->oom = 1;
            } else {
                l->nprefixes++;
            }
            break;
        case F_SIZE:
            p->cur.size = strtoull(p->text, NULL, 10);
            break;
        case F_CREATED:
            p->cur.created = azf_rfc1123(p->text);
            break;
        case F_ETAG: {
            const char *e = p->text;
            size_t n = strlen(e);
            if (n >= 2 && e[0] == '"' && e[n - 1] == '"') /* listed unquoted; be lenient */
                e++, n -= 2;
            snprintf(p->cur.etag, sizeof(p->cur.etag), "%.*s", (int)n, e);
            break;
        }
        case F_MARKER:
            free(l->next_marker);
            l->next_marker = strdup(p->text);
            if (l->next_marker == NULL)
                p->oom = 1;
            break;
        default:
            break;
        }
    }
    p->field = F_NONE;
    if (strcmp(name, "Blob") == 0 && p->in_blob == depth) {
        p->in_blob = 0;
        if (p->cur.name == NULL) {
            /* Skipped (noted above), or no Name at all: nothing to read by. */
            if (!p->name_skipped) {
                p->field_at = (uint64_t)XML_GetCurrentByteIndex(p->x);
                p->total = 0;
                p->hash = AZF_FNV_INIT; /* every nameless blob is said once */
                skip(p, 0);
            }
        } else if (grow((void **)&l->blobs, &l->capblobs, l->nblobs, sizeof(*l->blobs)) < 0) {
            free(p->cur.name);
            p->oom = 1;
        } else {
            l->blobs[l->nblobs++] = p->cur;
        }
        memset(&p->cur, 0, sizeof(p->cur));
    } else if (strcmp(name, "BlobPrefix") == 0 && p->in_prefix == depth) {
        p->in_prefix = 0;
    }
}

int azf_listing_parse(const char *xml, size_t len, struct azf_listing *l, char errbuf[AZF_ERRBUF_SIZE])
{
    XML_Parser x = XML_ParserCreate("UTF-8");
    struct pstate p = { .x = x, .l = l, .text = malloc(TEXT_MAX + 1) };
    if (x == NULL || p.text == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "out of memory");
        if (x != NULL)
            XML_ParserFree(x);
        free(p.text);
        return -1;
    }
    free(l->next_marker);
    l->next_marker = NULL;
    l->nskipped = 0;
    XML_SetUserData(x, &p);
    XML_SetElementHandler(x, on_start, on_end);
    XML_SetCharacterDataHandler(x, on_text);
    int ok = XML_Parse(x, xml, (int)len, 1) == XML_STATUS_OK;
    if (!ok)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "listing is not XML: %s at byte %lu",
                 XML_ErrorString(XML_GetErrorCode(x)), (unsigned long)XML_GetCurrentByteIndex(x));
    else if (p.oom)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "out of memory");
    else if (p.marker_long)
        /* The next page cannot be asked for: not a listing that ended. */
        snprintf(errbuf, AZF_ERRBUF_SIZE, "listing at byte %llu: NextMarker over %u bytes; the listing cannot go on",
                 (unsigned long long)p.marker_at, (unsigned)TEXT_MAX);
    free(p.cur.name);
    free(p.text);
    XML_ParserFree(x);
    return ok && !p.oom && !p.marker_long ? 0 : -1;
}

void azf_listing_free(struct azf_listing *l)
{
    for (size_t i = 0; i < l->nblobs; i++)
        free(l->blobs[i].name);
    for (size_t i = 0; i < l->nprefixes; i++)
        free(l->prefixes[i]);
    free(l->blobs);
    free(l->prefixes);
    free(l->next_marker);
    free(l->skipped);
    memset(l, 0, sizeof(*l));
}

int64_t azf_rfc1123(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4];
    int d, y, h, mi, sec;
    if (sscanf(s, "%*3s, %d %3s %d %d:%d:%d GMT", &d, mon, &y, &h, &mi, &sec) != 6)
        return -1;
    const char *m = strstr(months, mon);
    if (m == NULL || (m - months) % 3 != 0)
        return -1;
    char iso[32];
    snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, (int)(m - months) / 3 + 1, d, h, mi, sec);
    int64_t us;
    return azf__iso8601_us(iso, strlen(iso), &us) == 0 ? us / 1000000 : -1;
}
