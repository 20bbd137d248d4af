/* fuzz_decode_reset: the follower's path.  A first decoder stops after a
 * fuzzer-chosen number of tuples; a second is reset to the first one's safe
 * offset (plus a fuzzer-chosen base, as deep in a large blob) and fed the
 * rest.  Offsets must stay absolute and nothing after the bookmark may be
 * reported before it.  A second case resets to an arbitrary offset, not a
 * record boundary, as a corrupt bookmark would.
 *
 * Input: [stop_after:1][base:4][cut:2][blob...] */
#include "fuzz_common.h"

static void feed_from(struct azf_decoder *d, const uint8_t *data, size_t size, size_t from)
{
    /* Two pieces, so the reset decoder also buffers across a feed. */
    size_t half = from + (size - from) / 2;
    FUZZ_CHECK(azf_decoder_feed(d, data + from, half - from) != AZF_ENOMEM, "feed failed");
    FUZZ_CHECK(azf_decoder_feed(d, data + half, size - half) != AZF_ENOMEM, "feed failed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t stop_after = fuzz_take(&data, &size, 1);
    uint64_t base = fuzz_take(&data, &size, 4) << 8; /* up to 1 TiB */
    size_t cut = (size_t)fuzz_take(&data, &size, 2);

    /* Stop, then resume from the bookmark. */
    struct fuzz_sums a = {.lo = 0, .hi = size, .stop_after = stop_after};
    struct azf_decoder *d = azf_decoder_new(fuzz_on_tuple, fuzz_on_error, &a);
    if (!d)
        return 0;
    int rc = azf_decoder_feed(d, data, size);
    uint64_t safe = azf_decoder_safe_offset(d);
    FUZZ_CHECK(safe <= size, "safe offset %llu past the input", (unsigned long long)safe);
    if (rc == AZF_STOPPED)
        FUZZ_CHECK(azf_decoder_feed(d, data, size) == AZF_STOPPED, "a stopped decoder must stay stopped");
    else
        FUZZ_CHECK(rc == AZF_OK, "feed returned %d", rc);

    azf_decoder_free(d);

    struct fuzz_sums b = {.lo = base + safe, .hi = base + size};
    d = azf_decoder_new(fuzz_on_tuple, fuzz_on_error, &b);
    if (!d)
        return 0;
    azf_decoder_reset(d, base + safe);
    FUZZ_CHECK(azf_decoder_safe_offset(d) == base + safe, "reset did not move the bookmark");
    feed_from(d, data, size, (size_t)safe);
    FUZZ_CHECK(azf_decoder_safe_offset(d) >= base + safe && azf_decoder_safe_offset(d) <= base + size,
               "safe offset %llu outside [%llu, %llu]", (unsigned long long)azf_decoder_safe_offset(d),
               (unsigned long long)(base + safe), (unsigned long long)(base + size));
    azf_decoder_finish(d);
    azf_decoder_free(d);

    /* Reset into the middle of anything. */
    if (size > 0) {
        cut %= size + 1;
        struct fuzz_sums c = {.lo = base + cut, .hi = base + size};
        d = azf_decoder_new(fuzz_on_tuple, fuzz_on_error, &c);
        if (!d)
            return 0;
        azf_decoder_reset(d, base + cut);
        feed_from(d, data, size, cut);
        azf_decoder_finish(d);
        azf_decoder_free(d);
    }
    return 0;
}
