/* List Blobs answers (expat, streaming): each blob's name, committed size,
 * creation time and ETag, the BlobPrefix entries of a delimiter listing,
 * and NextMarker.  Element names are Azure's; Azurite answers the same. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "blob_int.h"
#include "../flowlog/decoder_int.h"

enum field { F_NONE, F_NAME, F_SIZE, F_CREATED, F_ETAG, F_MARKER };

struct pstate {
    struct azf_listing *l;
    int depth;
    int in_blob, in_prefix; /* depth of the open Blob / BlobPrefix element, 0: none */
    enum field field;
    char text[2048];
    size_t tlen;
    int too_long, oom;
    struct azf_listed cur;
    char created[64];
};

static void on_start(void *u, const XML_Char *name, const XML_Char **attrs)
{
    struct pstate *p = u;
    p->depth++;
    p->field = F_NONE;
    p->tlen = 0;
    p->too_long = 0;
    /* Only the elements at their place count: a metadata key called
     * "Name" is not the blob's name. */
    int in_props = p->in_blob && p->depth == p->in_blob + 2;
    if (strcmp(name, "Blob") == 0 && !p->in_blob) {
        p->in_blob = p->depth;
        memset(&p->cur, 0, sizeof(p->cur));
        p->created[0] = '\0';
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
    if (p->tlen + (size_t)len >= sizeof(p->text)) {
        p->too_long = 1;
        return;
    }
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

static void on_end(void *u, const XML_Char *name)
{
    struct pstate *p = u;
    int depth = p->depth--;
    p->text[p->tlen] = '\0';
    struct azf_listing *l = p->l;
    if (p->field != F_NONE && !p->too_long) {
        switch (p->field) {
        case F_NAME:
            if (p->in_blob) {
                free(p->cur.name);
                p->cur.name = strdup(p->text);
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
            p->oom = 1;
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
    if (x == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    struct pstate p = { .l = l };
    free(l->next_marker);
    l->next_marker = NULL;
    XML_SetUserData(x, &p);
    XML_SetElementHandler(x, on_start, on_end);
    XML_SetCharacterDataHandler(x, on_text);
    int ok = XML_Parse(x, xml, (int)len, 1) == XML_STATUS_OK;
    if (!ok)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "listing is not XML: %s at byte %lu",
                 XML_ErrorString(XML_GetErrorCode(x)), (unsigned long)XML_GetCurrentByteIndex(x));
    else if (p.oom)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "out of memory");
    free(p.cur.name);
    XML_ParserFree(x);
    return ok && !p.oom ? 0 : -1;
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
