/* fuzz_capfile: the input as a capture file (memfd, opened by path), read to
 * its end; every packet byte is touched so ASan sees an overread, and the
 * reader's promises (offsets, lengths, a final error) are checked. */
#define _GNU_SOURCE
#include "capture.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfd_file("fuzz_capfile", data, size);

    char err[AZF_ERRBUF_SIZE];
    struct azf_capfile *f = azf_capfile_open(path, err);
    if (!f) {
        FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0, "open error does not name the file: %s", err);
        return 0;
    }
    FUZZ_CHECK(azf_capfile_format(f) == azf_capfile_sniff(data, size), "format differs from sniff");
    struct azf_cappkt pkt;
    uint64_t touch = 0, n = 0;
    int rc;
    while ((rc = azf_capfile_next(f, &pkt, err)) == 1) {
        FUZZ_CHECK(pkt.offset < size, "offset %llu past the %zu-byte input", (unsigned long long)pkt.offset, size);
        FUZZ_CHECK(pkt.caplen <= size, "caplen %u over the %zu-byte input", pkt.caplen, size);
        FUZZ_CHECK(pkt.ts_ns_rem < 1000, "ts_ns_rem %u", pkt.ts_ns_rem);
        FUZZ_CHECK(pkt.caplen == 0 || pkt.data != NULL, "no data");
        for (uint32_t i = 0; i < pkt.caplen; i++)
            touch += pkt.data[i];
        touch += (uint64_t)pkt.ts_us + pkt.len + pkt.linktype + pkt.interface;
        n++;
    }
    FUZZ_CHECK(rc == 0 || rc == -1, "next returned %d", rc);
    if (rc < 0) {
        char again[AZF_ERRBUF_SIZE];
        FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
                   "error does not start with file:offset: %s", err);
        FUZZ_CHECK(azf_capfile_next(f, &pkt, again) == -1 && strcmp(again, err) == 0, "error not repeated");
    } else {
        FUZZ_CHECK(azf_capfile_next(f, &pkt, err) == 0, "end of file not repeated");
    }
    FUZZ_CHECK(azf_capfile_truncated(f) <= n, "more truncated packets than packets");
    azf_capfile_close(f);
    if (touch == 0x5eed5eed5eedULL)
        fputc('\0', stderr); /* keeps touch alive */
    return 0;
}
