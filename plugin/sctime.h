/* azflow plugin: one conversion between Suricata's SCTime_t and the decoder
 * library's time (int64 microseconds since the epoch). */
#ifndef AZFLOW_SCTIME_H
#define AZFLOW_SCTIME_H

#include "util-time.h"

static inline int64_t AzTimeUs(SCTime_t t)
{
    return (int64_t)SCTIME_SECS(t) * 1000000 + (int64_t)SCTIME_USECS(t);
}

static inline SCTime_t AzUsToTime(int64_t us)
{
    SCTime_t t = { .secs = (uint64_t)(us / 1000000), .usecs = (uint64_t)(us % 1000000) };
    return t;
}

#endif
