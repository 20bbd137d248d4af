/* azflow plugin: interned strings and tables of small fixed-size values
 * (intern.h).  One lock for both: interning happens at ingestion, where a
 * tuple takes it only for a value its thread has not just seen (see the
 * index's memo); readers never take it. */
#include "suricata-common.h"
#include <pthread.h>

#include "flowlog.h"
#include "intern.h"
#include "stats.h"

#define PAGE (1u << AZ_TAB_PAGE_BITS)

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t HashBytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* --- strings ------------------------------------------------------------- */

struct str_ent {
    struct str_ent *next;
    uint32_t id;
    uint32_t len, json_len;
    char s[]; /* the string, NUL, its JSON form (AzInternedJson), NUL */
};

const char **az_intern_str_pages[AZ_TAB_PAGES]; /* read by AzInternedString */
static struct str_ent *g_str_hash[AZ_TAB_BUCKETS];
static uint32_t g_nstr = 1;
_Atomic uint32_t az_intern_epoch = 1; /* read by AzInternEpoch */

const char *AzInternedJson(const char *interned, size_t *len)
{
    const struct str_ent *e =
            (const struct str_ent *)(const void *)(interned - offsetof(struct str_ent, s));
    *len = e->json_len;
    return e->s + e->len + 1;
}

uint32_t AzInternString(const char *s)
{
    if (s == NULL)
        return 0;
    size_t len = strlen(s);
    uint32_t b = HashBytes(s, len) & (AZ_TAB_BUCKETS - 1);
    pthread_mutex_lock(&g_lock);
    for (struct str_ent *e = g_str_hash[b]; e != NULL; e = e->next) {
        if (strcmp(e->s, s) == 0) {
            pthread_mutex_unlock(&g_lock);
            return e->id;
        }
    }
    uint32_t id = 0;
    uint32_t page = g_nstr >> AZ_TAB_PAGE_BITS;
    if (page < AZ_TAB_PAGES) {
        if (az_intern_str_pages[page] == NULL) {
            az_intern_str_pages[page] = calloc(PAGE, sizeof(char *));
            if (az_intern_str_pages[page] != NULL)
                AZ_STAT_ADD(index_memuse, PAGE * sizeof(char *)); /* as AzTabIntern counts its pages */
        }
        /* Padded to 16: SIMD pattern matchers read a sticky buffer in
         * aligned chunks past its end.  The JSON form is built here, once,
         * so EVE writers copy it instead of escaping every time. */
        size_t jlen = azf_json_quote(s, len, NULL);
        size_t size = sizeof(struct str_ent) + ((len + 1 + jlen + 1 + 15) & ~(size_t)15);
        struct str_ent *e = len <= UINT32_MAX / 8 ? calloc(1, size) : NULL;
        if (az_intern_str_pages[page] != NULL && e != NULL) {
            memcpy(e->s, s, len + 1);
            e->len = (uint32_t)len;
            e->json_len = (uint32_t)azf_json_quote(s, len, e->s + len + 1);
            e->id = id = g_nstr++;
            e->next = g_str_hash[b];
            g_str_hash[b] = e;
            az_intern_str_pages[page][id & (PAGE - 1)] = e->s;
            AZ_STAT_ADD(index_memuse, size);
        } else {
            free(e);
        }
    }
    pthread_mutex_unlock(&g_lock);
    return id;
}

void AzInternFree(void)
{
    atomic_fetch_add(&az_intern_epoch, 1);
    for (size_t b = 0; b < AZ_TAB_BUCKETS; b++) {
        struct str_ent *e = g_str_hash[b];
        while (e != NULL) {
            struct str_ent *next = e->next;
            free(e);
            e = next;
        }
        g_str_hash[b] = NULL;
    }
    for (size_t p = 0; p < AZ_TAB_PAGES; p++) {
        free(az_intern_str_pages[p]);
        az_intern_str_pages[p] = NULL;
    }
    g_nstr = 1;
}

/* --- tables -------------------------------------------------------------- */

struct az_tab_ent {
    struct az_tab_ent *next;
    uint32_t id;
    unsigned char v[AZ_TAB_VALUE_MAX];
};

uint32_t AzTabIntern(struct az_intern_tab *t, const void *v)
{
    uint32_t b = HashBytes(v, t->size) & (AZ_TAB_BUCKETS - 1);
    uint32_t id = 0;
    pthread_mutex_lock(&g_lock);
    if (t->n == 0)
        t->n = 1;
    for (struct az_tab_ent *x = t->hash[b]; x != NULL && id == 0; x = x->next)
        if (memcmp(x->v, v, t->size) == 0)
            id = x->id;
    uint32_t page = t->n >> AZ_TAB_PAGE_BITS;
    if (id == 0 && page < AZ_TAB_PAGES) {
        if (t->pages[page] == NULL) {
            t->pages[page] = calloc(PAGE, t->size);
            if (t->pages[page] != NULL)
                AZ_STAT_ADD(index_memuse, PAGE * t->size);
        }
        struct az_tab_ent *x = calloc(1, sizeof(*x));
        if (t->pages[page] != NULL && x != NULL) {
            memcpy(x->v, v, t->size);
            x->id = id = t->n++;
            x->next = t->hash[b];
            t->hash[b] = x;
            memcpy(t->pages[page] + (size_t)(id & (PAGE - 1)) * t->size, v, t->size);
            AZ_STAT_ADD(index_memuse, sizeof(*x));
        } else {
            free(x);
        }
    }
    pthread_mutex_unlock(&g_lock);
    return id;
}

void AzTabFree(struct az_intern_tab *t)
{
    for (size_t b = 0; b < AZ_TAB_BUCKETS; b++) {
        struct az_tab_ent *x = t->hash[b];
        while (x != NULL) {
            struct az_tab_ent *next = x->next;
            free(x);
            x = next;
        }
        t->hash[b] = NULL;
    }
    for (size_t p = 0; p < AZ_TAB_PAGES; p++) {
        free(t->pages[p]);
        t->pages[p] = NULL;
    }
    t->n = 1;
}
