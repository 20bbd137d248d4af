/* fuzz_common: callbacks shared by the libFuzzer harnesses.  They read every
 * byte the decoder hands out, so ASan sees an overread in any field. */
#ifndef AZF_FUZZ_COMMON_H
#define AZF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowlog.h"

struct fuzz_sums {
    uint64_t ntuples, offsets, nerrors, err_offsets;
    uint64_t touch;          /* folds every field in, so nothing is optimised out */
    uint64_t lo, hi;         /* tuple offsets must fall in [lo, hi) */
    uint64_t stop_after;     /* 0: never stop */
};

/* Abort with a reason: libFuzzer saves the input that did it. */
#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                           \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static inline uint64_t fuzz_str(const char *s)
{
    return s ? strlen(s) + (unsigned char)s[0] : 0;
}

static inline int fuzz_on_tuple(const struct azf_tuple *t, void *u)
{
    struct fuzz_sums *z = u;
    char a[64];
    FUZZ_CHECK(t->offset >= z->lo && t->offset < z->hi, "tuple offset %llu outside [%llu, %llu)",
               (unsigned long long)t->offset, (unsigned long long)z->lo, (unsigned long long)z->hi);
    FUZZ_CHECK(t->src.family == 4 || t->src.family == 6, "family %u", t->src.family);
    FUZZ_CHECK(t->src.family == t->dst.family, "families differ");
    FUZZ_CHECK(t->source == AZF_SOURCE_NSG || t->source == AZF_SOURCE_VNET, "source %u", t->source);
    FUZZ_CHECK(azf_direction_str(t->direction) != NULL, "direction %u", t->direction);
    FUZZ_CHECK(azf_decision_str(t->decision) != NULL, "decision %u", t->decision);
    z->ntuples++;
    z->offsets += t->offset;
    z->touch += fuzz_str(azf_addr_str(&t->src, a, sizeof(a)));
    z->touch += fuzz_str(azf_addr_str(&t->dst, a, sizeof(a)));
    z->touch += fuzz_str(t->encryption) + fuzz_str(t->rule) + fuzz_str(t->acl);
    z->touch += fuzz_str(t->resource_id) + fuzz_str(t->target_resource_id) + fuzz_str(t->mac);
    z->touch += fuzz_str(azf_state_str(t->state)) + fuzz_str(azf_source_str(t->source));
    z->touch += (uint64_t)t->ts_us + (uint64_t)t->record_time_us + t->sport + t->dport + t->proto;
    z->touch += t->pkts_toserver + t->bytes_toserver + t->pkts_toclient + t->bytes_toclient;
    if (t->resource_id) {
        struct azf_resource_id r;
        if (azf_resource_id_parse(t->resource_id, &r) == 0)
            z->touch += strlen(r.subscription) + strlen(r.resource_group) + strlen(r.name);
    }
    return z->stop_after && z->ntuples >= z->stop_after;
}

static inline void fuzz_on_error(uint64_t offset, const char *reason, void *u)
{
    struct fuzz_sums *z = u;
    FUZZ_CHECK(reason && reason[0], "empty reason");
    z->nerrors++;
    z->err_offsets += offset;
    z->touch += strlen(reason);
}

/* Reads a little-endian integer of n bytes from the front of the input. */
static inline uint64_t fuzz_take(const uint8_t **data, size_t *size, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && *size > 0; i++) {
        v |= (uint64_t)**data << (8 * i);
        (*data)++;
        (*size)--;
    }
    return v;
}

/* The input as a file the capture readers open by path: one memfd per
 * process, rewritten for each input; returns its /proc path. */
#ifdef _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

static inline const char *fuzz_memfd_file(const char *name, const uint8_t *data, size_t size)
{
    static int memfd = -1;
    static char path[64];
    if (memfd < 0) {
        memfd = memfd_create(name, 0);
        FUZZ_CHECK(memfd >= 0, "memfd_create failed");
        snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    }
    FUZZ_CHECK(ftruncate(memfd, 0) == 0, "ftruncate");
    FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size, "pwrite");
    return path;
}
#endif

#endif /* AZF_FUZZ_COMMON_H */
