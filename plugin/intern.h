/* azflow plugin: interned values.  Rule names, ACL ids and resource ids
 * repeat across millions of flow-log records, and so do the index's
 * envelopes and fact classes: a record keeps a 32-bit id instead of a
 * pointer or a copy.  Pages never move, so readers take no lock: an id is
 * published only after its page slot is written, under the lock that
 * publishes the record.  Id 0 means "absent" everywhere. */
#ifndef AZFLOW_INTERN_H
#define AZFLOW_INTERN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* --- strings --- */

/* The id of s (0 for NULL, or when out of memory or ids: the field is
 * then left out).  Builds the string's JSON form once, here.  Thread-safe. */
uint32_t AzInternString(const char *s);
/* The JSON form (quoted and escaped) of a string AzInternedString returned:
 * every string of an az_flowinfo the index filled and of an az_event.  Any
 * other string is not for this call. */
const char *AzInternedJson(const char *interned, size_t *len);

/* --- tables of small fixed-size values --- */

#define AZ_TAB_VALUE_MAX 24
#define AZ_TAB_PAGE_BITS 12
#define AZ_TAB_PAGES 4096
#define AZ_TAB_BUCKETS 65536

/* The string of an id (NULL for 0).  Inline: a flow's fold reads six on
 * the packet thread, and the ingesting thread's memo one per field. */
static inline const char *AzInternedString(uint32_t id)
{
    extern const char **az_intern_str_pages[AZ_TAB_PAGES];
    return id ? az_intern_str_pages[id >> AZ_TAB_PAGE_BITS][id & ((1u << AZ_TAB_PAGE_BITS) - 1)]
              : NULL;
}

/* Changes each time AzInternFree forgets every id, so that a caller that
 * remembers ids (the index's per-thread memo) knows to forget them too.
 * Inline: the memo checks it once per tuple. */
static inline uint32_t AzInternEpoch(void)
{
    extern _Atomic uint32_t az_intern_epoch;
    return atomic_load_explicit(&az_intern_epoch, memory_order_relaxed);
}

struct az_tab_ent;
/* A table: a static with .size set (<= AZ_TAB_VALUE_MAX), nothing else. */
struct az_intern_tab {
    size_t size;
    uint32_t n; /* the next id */
    unsigned char *pages[AZ_TAB_PAGES];
    struct az_tab_ent *hash[AZ_TAB_BUCKETS];
};

/* The id of value v (t->size bytes), 0 when out of memory or ids.
 * Thread-safe. */
uint32_t AzTabIntern(struct az_intern_tab *t, const void *v);

/* The value of a non-zero id. */
static inline const void *AzTabGet(const struct az_intern_tab *t, uint32_t id)
{
    return t->pages[id >> AZ_TAB_PAGE_BITS] +
           (size_t)(id & ((1u << AZ_TAB_PAGE_BITS) - 1)) * t->size;
}

void AzTabFree(struct az_intern_tab *t);

/* Forgets every string (tables are freed by their owners, AzTabFree). */
void AzInternFree(void);

#endif
