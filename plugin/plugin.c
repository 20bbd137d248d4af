/* azflow: the Suricata 8 plugin entry point.  Reads the configuration,
 * loads the flow logs and registers every surface the plugin offers. */
#include "suricata-common.h"
#include "suricata-plugin.h"
#include "output.h"
#include "util-debug.h"

#include "capture_mode.h"
#include "capture_source.h"
#include "config.h"
#include "correlate.h"
#include "eve.h"
#include "follow_thread.h"
#include "host_guard.h"
#include "index.h"
#include "ingest.h"
#include "keywords.h"
#include "late.h"
#include "recent.h"
#include "stats.h"

#ifndef AZFLOW_VERSION
#define AZFLOW_VERSION "0.0.0"
#endif

static struct az_config g_config;

const struct az_config *AzPluginConfig(void);
const struct az_config *AzPluginConfig(void)
{
    return &g_config;
}

/* Suricata has no plugin de-init; exit handlers free what Init built so
 * leak checkers see a clean shutdown. */
static void AzflowAtExit(void)
{
    AzFollowStop();
    AzLateStop();
    AzIndexDestroy();
    AzRecentDestroy();
    AzConfigFree(&g_config);
    /* Suricata 8 gives a capture source no say in the exit status and exits
     * 0 even when input was skipped; a skipped file or unknown link type
     * must not look like success, so end with 1 once Suricata is done. */
    bool skipped = AzCaptureSkippedInput();
    AzCaptureTablesFree();
    if (skipped) {
        fflush(NULL);
        _exit(1);
    }
}

/* Stats exist only after the plugin's Init, so counters are registered
 * once logging is ready, which is still before the stats thread starts. */
static void OnLoggingReady(void *arg)
{
    AzStatsRegister();
    /* Started here rather than in Init: after Suricata has daemonised and
     * dropped privileges, so the thread lives in the final process. */
    if (AzFollowStart() < 0 || AzLateStart() < 0)
        FatalError("azflow: cannot start the follow thread");
}

static void AzflowInit(void)
{
    char err[AZ_CONFIG_ERRLEN];
    if (AzConfigLoad(&g_config, err, sizeof(err)) < 0) {
        /* A misconfigured plugin must not run half-disabled. */
        FatalError("azflow: configuration error: %s", err);
    }
    SCLogConfig("azflow %s: %zu flow-log source(s), correlation window %" PRIu64
                "s, memcap %" PRIu64 " bytes",
            AZFLOW_VERSION, g_config.nsources, g_config.window_s, g_config.memcap);

    if (AzIndexInit(g_config.memcap, g_config.window_s) < 0 ||
            AzRecentInit(g_config.history_memcap, g_config.window_s, g_config.delay_s) < 0)
        FatalError("azflow: cannot allocate the correlation index");
    atexit(AzflowAtExit);
    if (AzCorrelateRegister(g_config.nsources > 0) < 0)
        FatalError("azflow: cannot register flow storage and callbacks");
    if (AzEveRegister() < 0)
        FatalError("azflow: cannot register the EVE callback");
    /* The rule engine reads and writes Signature and rule-group layouts,
     * late-record surrogates a worker's queue and a flow's timeout policy:
     * none of it is plugin API (switched off, the engine still hands rules
     * back), so only on the release azflow was compiled for. */
    if (AzHostGuard("azflow's rule engine and late-record surrogates (plugin/kw_prefilter.c, "
                    "plugin/late.c)", err, sizeof(err)) < 0)
        FatalError("azflow: %s", err);
    AzKeywordsRegister(g_config.detect_prefilter);
    if (AzConfigFollows(&g_config) && AzLateRegister(g_config.delay_s, true) < 0)
        FatalError("azflow: cannot register the late-record hook");
    AzCaptureRegister();
    if (SCRegisterOnLoggingReady(OnLoggingReady, NULL) < 0)
        FatalError("azflow: cannot register the logging-ready callback");

    /* Offline and live alike start with what the blobs already hold, so
     * the first flow sees every record written before it. */
    if (AzIngestOffline(&g_config, err, sizeof(err)) < 0)
        FatalError("azflow: configuration error: %s", err);
    AzIndexSortByTime();
    if (AzFollowInit(&g_config, err, sizeof(err)) < 0)
        FatalError("azflow: configuration error: %s", err);
}

const SCPlugin PluginRegistration = {
    .version = SC_API_VERSION,
    .suricata_version = SC_PACKAGE_VERSION,
    .name = "azflow",
    .plugin_version = AZFLOW_VERSION,
    .author = "azflow developers",
    .license = "GPL-2.0-only",
    .Init = AzflowInit,
};

__attribute__((visibility("default"))) const SCPlugin *SCPluginRegister(void);
const SCPlugin *SCPluginRegister(void)
{
    return &PluginRegistration;
}
