/* azflow plugin: the start-up check for parts that lean on Suricata internals
 * rather than plugin API (structure layouts, queues): they are only sound on
 * the exact release azflow was compiled against, so refuse anything else. */
#ifndef AZFLOW_HOST_GUARD_H
#define AZFLOW_HOST_GUARD_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Does `running` (GetProgramVersion(): "8.0.7 RELEASE", "8.0.7-dev (abc)")
 * name release `built` ("8.0.7")?  Returns 0, or -1 with `err` naming
 * `what` (the feature that needs the internals) and both versions.  Pure,
 * so unit tests can drive it without a Suricata. */
static inline int AzHostVersionCheck(const char *running, const char *built, const char *what,
        char *err, size_t errlen)
{
    size_t n = strlen(built);
    if (running != NULL && strncmp(running, built, n) == 0 &&
            (running[n] == '\0' || running[n] == ' '))
        return 0;
    snprintf(err, errlen,
            "%s depends on Suricata %s internals, but this is Suricata %s; rebuild azflow "
            "against this Suricata (make LIBSURICATA_CONFIG=...)",
            what, built, running != NULL ? running : "(unknown version)");
    return -1;
}

/* The check above for the running Suricata and the headers azflow was
 * compiled with. */
int AzHostGuard(const char *what, char *err, size_t errlen);

#endif
