/* fuzz_decode: the decoder fed the whole input in one piece, then finish;
 * every tuple field is read back. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_sums z = {.lo = 0, .hi = size};
    struct azf_decoder *d = azf_decoder_new(fuzz_on_tuple, fuzz_on_error, &z);
    if (!d)
        return 0;
    int rc = azf_decoder_feed(d, data, size);
    FUZZ_CHECK(rc == AZF_OK, "feed returned %d", rc);
    azf_decoder_finish(d);
    FUZZ_CHECK(azf_decoder_tuples(d) == z.ntuples, "tuple counter %llu, callbacks %llu",
               (unsigned long long)azf_decoder_tuples(d), (unsigned long long)z.ntuples);
    FUZZ_CHECK(azf_decoder_safe_offset(d) <= size, "safe offset past the input");
    azf_decoder_free(d);
    return 0;
}
