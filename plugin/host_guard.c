/* azflow plugin: AzHostGuard, the one place that asks the running Suricata
 * for its version (see host_guard.h for why). */
#include "suricata-common.h"
#include "suricata-plugin.h"
#include "suricata.h"

#include "host_guard.h"

int AzHostGuard(const char *what, char *err, size_t errlen)
{
    return AzHostVersionCheck(GetProgramVersion(), SC_PACKAGE_VERSION, what, err, errlen);
}
