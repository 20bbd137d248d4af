/* azflow: the Suricata 8 plugin entry point.  Registers what must exist
 * whether or not the plugin is configured (rule keywords, the azure capture
 * plugin, the azure_flow logger), and, once configured, reads the
 * configuration, loads the flow logs and registers everything that touches
 * flows, EVE records and counters.  Unconfigured it stays idle, so loading
 * it changes nothing of stock Suricata's output. */
#include "suricata-common.h"
#include "suricata-plugin.h"
#include "conf.h"
#include "detect-engine-register.h"
#include "output.h"
#include "thread-callbacks.h"
#include "tm-modules.h"
#include "tm-threads.h"
#include "util-debug.h"

#include "capture/capture_mode.h"
#include "capture/capture_source.h"
#include "config.h"
#include "correlate.h"
#include "eve.h"
#include "follow_thread.h"
#include "host_guard.h"
#include "index.h"
#include "ingest.h"
#include "keywords/keywords.h"
#include "late.h"
#include "plugin.h"
#include "recent.h"
#include "stats.h"

#ifndef AZFLOW_VERSION
#define AZFLOW_VERSION "0.0.0"
#endif

static struct az_config g_config;
static bool g_active;

const struct az_config *AzPluginConfig(void)
{
    return &g_config;
}

bool AzPluginActive(void)
{
    return g_active;
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

/* A run is what Suricata starts packet threads for: one per process, but
 * one per pcap-file command in unix-socket mode, each with a stats context
 * of its own (made before the run's threads, released after them) and a
 * fresh flow engine.  The first packet thread of a run is the earliest a
 * plugin can register counters into that context (stats are reported only
 * once the threads are unpaused), and where a run's output starts afresh:
 * every run correlates against all the records, as `-r` would.  Only packet
 * threads have an input queue handler; management and command threads
 * (unix-socket mode makes its own before any stats context) have none. */
static void OnThreadInit(ThreadVars *tv, void *user)
{
    static unsigned runs;
    if (tv->tmqh_in == NULL || TmThreadCountThreadsByTmmFlags(TM_FLAG_RECEIVE_TM) > 0)
        return;
    if (runs++ > 0) { /* the first run has nothing to forget */
        AzIndexRunStart();
        AzRecentClear();
    }
    AzStatsRunStart();
}

static void OnLoggingReady(void *arg)
{
    if (!g_active) {
        SCLogNotice("azflow %s: loaded, idle (no azure: section, no --capture-plugin=azure)",
                AZFLOW_VERSION);
        return;
    }
    /* Started here rather than in Init: after Suricata has daemonised and
     * dropped privileges, so the thread lives in the final process. */
    if (AzFollowStart() < 0 || AzLateStart() < 0)
        FatalError("azflow: cannot start the follow thread");
}

void AzPluginActivate(void)
{
    if (g_active)
        return;
    g_active = true;
    char err[AZ_CONFIG_ERRLEN];
    if (AzConfigLoad(&g_config, err, sizeof(err)) < 0) {
        /* A misconfigured plugin must not run half-disabled. */
        FatalError("azflow: configuration error: %s", err);
    }
    SCLogConfig("azflow %s: %zu flow-log source(s), correlation window %" PRIu64
                "s, memcap %" PRIu64 " bytes",
            AZFLOW_VERSION, g_config.nsources, g_config.window_s, g_config.memcap);

    if (AzIndexInit(g_config.memcap, g_config.window_s, g_config.detect_buckets) < 0 ||
            AzRecentInit(g_config.history_memcap, g_config.window_s, g_config.delay_s) < 0)
        FatalError("azflow: cannot allocate the correlation index");
    atexit(AzflowAtExit);
    if (AzCorrelateRegister(g_config.nsources > 0) < 0)
        FatalError("azflow: cannot register flow storage and callbacks");
    if (AzEveRegister() < 0)
        FatalError("azflow: cannot register the EVE callback");
    if (AzConfigFollows(&g_config) && AzLateRegister(g_config.delay_s, true) < 0)
        FatalError("azflow: cannot register the late-record hook");
    if (!SCThreadRegisterInitCallback(OnThreadInit, NULL))
        FatalError("azflow: cannot register the thread init callback");

    /* Offline and live alike start with what the blobs already hold, so
     * the first flow sees every record written before it. */
    if (AzIngestOffline(&g_config, err, sizeof(err)) < 0)
        FatalError("azflow: configuration error: %s", err);
    AzIndexSortByTime();
    if (AzFollowInit(&g_config, err, sizeof(err)) < 0)
        FatalError("azflow: configuration error: %s", err);
}

/* Run by Suricata's keyword table setup, after every plugin's Init and
 * capture mode's, so a configuration's azure.detect is read by then.  Idle,
 * the rule engine is the default one: it only takes rules with azure.*
 * keywords (which cannot match then), and engine analysis shows what a
 * configured plugin would do with them. */
static void RegisterKeywords(void)
{
    AzKeywordsRegister(g_active ? g_config.detect_prefilter : true);
}

static void AzflowInit(void)
{
    /* The rule engine reads and writes Signature and rule-group layouts,
     * late-record surrogates a worker's queue, the flow hash's size, a
     * flow's timeout policy and its TCP session's state: none of it is
     * plugin API (switched off, the engine still hands rules back), so
     * only on the release azflow was compiled for. */
    char err[AZ_CONFIG_ERRLEN];
    if (AzHostGuard("azflow's rule engine and late-record surrogates (plugin/keywords/kw_prefilter.c, "
                    "plugin/late.c, plugin/correlate.c)", err, sizeof(err)) < 0)
        FatalError("azflow: %s", err);
    /* Keywords exist either way, so rules using them load (and never match
     * while idle); the capture plugin must exist to be selected; the
     * azure_flow logger may be listed in a shared suricata.yaml. */
    if (SCSigTablePreRegister(RegisterKeywords) != 0)
        FatalError("azflow: cannot register the rule keywords");
    AzCaptureRegister();
    AzEveRegisterLogger();
    if (SCRegisterOnLoggingReady(OnLoggingReady, NULL) < 0)
        FatalError("azflow: cannot register the logging-ready callback");
    /* --set azure.… makes the section too.  Capture mode, selected by
     * --capture-plugin=azure, activates from its own Init. */
    if (SCConfGetNode("azure") != NULL)
        AzPluginActivate();
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
