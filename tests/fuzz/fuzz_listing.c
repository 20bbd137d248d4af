/* fuzz_listing: azf_listing_parse (List Blobs answers) on any bytes, as one
 * page and as the same bytes parsed twice into one listing (a second page):
 * names it keeps are non-empty, NUL-terminated and within AZF_NAME_MAX;
 * names it skips are noted inside the answer; a second page appends. */
#include "fuzz_common.h"
#include "source/blob_int.h"

static void check(const struct azf_listing *l, size_t size)
{
    for (size_t i = 0; i < l->nblobs; i++) {
        const struct azf_listed *b = &l->blobs[i];
        FUZZ_CHECK(b->name != NULL && b->name[0] != '\0', "blob %zu without a name", i);
        FUZZ_CHECK(strlen(b->name) <= AZF_NAME_MAX, "blob %zu: a name over the cap", i);
        FUZZ_CHECK(memchr(b->etag, '\0', sizeof(b->etag)) != NULL, "blob %zu: etag not terminated", i);
    }
    for (size_t i = 0; i < l->nprefixes; i++)
        FUZZ_CHECK(strlen(l->prefixes[i]) <= AZF_NAME_MAX, "prefix %zu over the cap", i);
    for (size_t i = 0; i < l->nskipped; i++)
        FUZZ_CHECK(l->skipped[i].offset <= size, "skipped name %zu at %llu, past the answer", i,
                   (unsigned long long)l->skipped[i].offset);
    if (l->next_marker != NULL)
        (void)strlen(l->next_marker);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errbuf[AZF_ERRBUF_SIZE];
    struct azf_listing l;
    memset(&l, 0, sizeof(l));
    int rc = azf_listing_parse((const char *)data, size, &l, errbuf);
    if (rc < 0) {
        FUZZ_CHECK(memchr(errbuf, '\0', sizeof(errbuf)) != NULL, "error not terminated");
    } else {
        check(&l, size);
        size_t first = l.nblobs, prefixes = l.nprefixes;
        rc = azf_listing_parse((const char *)data, size, &l, errbuf);
        FUZZ_CHECK(rc == 0, "the same page failed the second time: %s", errbuf);
        FUZZ_CHECK(l.nblobs == 2 * first && l.nprefixes == 2 * prefixes, "a second page did not append");
        check(&l, size);
    }
    azf_listing_free(&l);
    return 0;
}
