/* fuzz_decode_split: the same bytes fed in one piece and in pieces whose
 * sizes the fuzzer picks; both must give the same tuples and errors.  The
 * record-size cap is fuzzer-chosen too, so its split-invariance is tested.
 *
 * Input: [ncut:1][cap:2][cut sizes:ncut x 2][blob...] */
#include "fuzz_common.h"

static void run(const uint8_t *blob, size_t n, size_t cap, const uint16_t *cuts, int ncut,
                struct fuzz_sums *z)
{
    struct azf_decoder *d = azf_decoder_new(fuzz_on_tuple, fuzz_on_error, z);
    if (!d)
        abort();
    azf_decoder_set_max_record(d, cap);
    size_t at = 0;
    for (int i = 0; at < n; i++) {
        /* Cuts are reused in turn; 0 means one byte so the loop ends. */
        size_t len = ncut ? cuts[i % ncut] : n;
        if (len == 0)
            len = 1;
        if (len > n - at)
            len = n - at;
        int rc = azf_decoder_feed(d, blob + at, len);
        FUZZ_CHECK(rc == AZF_OK, "feed returned %d", rc);
        at += len;
    }
    azf_decoder_finish(d);
    FUZZ_CHECK(azf_decoder_safe_offset(d) <= n, "safe offset past the input");
    azf_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t cuts[16];
    int ncut = (int)(fuzz_take(&data, &size, 1) % 17);
    /* 0: the default cap; else a small one, so records cross it. */
    size_t cap = (size_t)fuzz_take(&data, &size, 2);
    for (int i = 0; i < ncut; i++)
        cuts[i] = (uint16_t)(fuzz_take(&data, &size, 2) % 512);

    struct fuzz_sums one = {.lo = 0, .hi = size}, many = {.lo = 0, .hi = size};
    run(data, size, cap, NULL, 0, &one);
    run(data, size, cap, cuts, ncut, &many);
    FUZZ_CHECK(one.ntuples == many.ntuples, "tuples: %llu in one piece, %llu split",
               (unsigned long long)one.ntuples, (unsigned long long)many.ntuples);
    FUZZ_CHECK(one.offsets == many.offsets, "sum of tuple offsets: %llu in one piece, %llu split",
               (unsigned long long)one.offsets, (unsigned long long)many.offsets);
    FUZZ_CHECK(one.nerrors == many.nerrors, "errors: %llu in one piece, %llu split",
               (unsigned long long)one.nerrors, (unsigned long long)many.nerrors);
    FUZZ_CHECK(one.err_offsets == many.err_offsets, "sum of error offsets: %llu in one piece, %llu split",
               (unsigned long long)one.err_offsets, (unsigned long long)many.err_offsets);
    return 0;
}
