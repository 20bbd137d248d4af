/* azflow follow: print the tuples of growing flow-log blobs as they are
 * appended, as JSON lines, keeping read positions in a bookmark file. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob_opts.h"
#include "commands.h"
#include "flowlog.h"
#include "tuple_json.h"

static volatile sig_atomic_t stop_requested;
static struct azf_follower *volatile g_follower;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    /* A storage request or retry wait under way ends now (an atomic store). */
    if (g_follower != NULL)
        azf_follower_cancel(g_follower);
}

struct follow_ctx {
    const char *blob;   /* path of the blob being read (from on_blob) */
    int problems;       /* any input problem: exit 1 */
    int output_failed;  /* stdout is gone: stop */
};

static int on_tuple(const struct azf_tuple *t, void *user)
{
    struct follow_ctx *c = user;
    tuple_json_print(stdout, t, c->blob);
    /* A signal ends the poll early; the follower remembers where. */
    return stop_requested != 0;
}

static void on_error(uint64_t offset, const char *reason, void *user)
{
    struct follow_ctx *c = user;
    fprintf(stderr, "%s:%" PRIu64 ": %s\n", c->blob != NULL ? c->blob : "?", offset, reason);
    c->problems = 1;
}

static void on_blob(const char *path, void *user)
{
    ((struct follow_ctx *)user)->blob = path;
}

static void on_notice(const char *path, const char *what, void *user)
{
    (void)user;
    fprintf(stderr, "azflow: %s: %s\n", path, what);
}

/* Tuples reach stdout before the bookmarks say they were delivered. */
static int on_commit(void *user)
{
    struct follow_ctx *c = user;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!c->output_failed)
            fprintf(stderr, "azflow: follow: writing the output: %s\n", strerror(errno));
        c->output_failed = 1;
        return -1;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: azflow follow [--bookmarks FILE] [--interval SECONDS] [--once] [--stats] PATH|URL\n"
                    "  Prints each tuple of the flow-log blobs under PATH (or in the storage\n"
                    "  container at URL) as one JSON line, then keeps reading what is appended\n"
                    "  and new blobs.  With --bookmarks, read positions survive a restart: no\n"
                    "  tuple twice, none lost.  --stats: storage requests on stderr at the end.\n"
                    BLOB_OPTS_USAGE);
    return 2;
}

/* Sleeps up to `seconds`, returning early on SIGINT/SIGTERM. */
static void pause_for(double seconds)
{
    struct timespec ts = { .tv_sec = (time_t)seconds };
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (!stop_requested && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int cmd_follow(int argc, char **argv)
{
    const char *bookmarks = NULL, *root = NULL;
    double interval = 1.0;
    int once = 0, stats = 0;
    struct azf_blob_opts bo;
    blob_opts_default(&bo);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int b = a[0] == '-' && a[1] == '-' && a[2] != '\0' ? blob_opt_parse("follow", argc, argv, &i, &bo) : 0;
        if (b < 0)
            return 2;
        if (b > 0)
            continue;
        if (strcmp(a, "--bookmarks") == 0 && i + 1 < argc) {
            bookmarks = argv[++i];
        } else if (strncmp(a, "--bookmarks=", 12) == 0) {
            bookmarks = a + 12;
        } else if ((strcmp(a, "--interval") == 0 && i + 1 < argc) || strncmp(a, "--interval=", 11) == 0) {
            const char *v = a[10] == '=' ? a + 11 : argv[++i];
            char *end;
            errno = 0;
            interval = strtod(v, &end);
            if (errno != 0 || end == v || *end != '\0' || !(interval > 0 && interval <= 86400)) {
                fprintf(stderr, "azflow follow: --interval: '%s' is not a number of seconds in (0, 86400]\n", v);
                return 2;
            }
        } else if (strcmp(a, "--once") == 0) {
            once = 1;
        } else if (strcmp(a, "--stats") == 0) {
            stats = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--") == 0 && i + 2 == argc && root == NULL) {
            root = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "azflow follow: unknown option '%s'\n", a);
            return usage();
        } else if (root == NULL) {
            root = a;
        } else {
            fprintf(stderr, "azflow follow: one PATH only ('%s' and '%s')\n", root, a);
            return usage();
        }
    }
    if (root == NULL)
        return usage();

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    /* SA_RESTART: a write to a slow reader of stdout, blocked when the
     * signal comes, goes on instead of failing with EINTR (which lost the
     * poll's output and exited 1).  The sleep and the storage requests'
     * poll(2) still end: neither is ever restarted (signal(7)). */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed reader shows as a write error, so the bookmarks are not
     * advanced past tuples nobody received. */
    signal(SIGPIPE, SIG_IGN);

    struct follow_ctx c = { 0 };
    struct azf_follow_cbs cbs = { .on_tuple = on_tuple, .on_error = on_error, .on_blob = on_blob,
                                  .on_notice = on_notice, .on_commit = on_commit, .user = &c };
    char errbuf[AZF_ERRBUF_SIZE];
    struct azf_follower *f;
    if (azf_is_blob_url(root)) {
        bo.url = root;
        f = azf_follower_new_blob(&bo, bookmarks, &cbs, errbuf);
        /* A credential or container that does not work is said now. */
        if (f != NULL && azf_follower_blob_check(f, errbuf) < 0) {
            azf_follower_free(f);
            f = NULL;
        }
    } else {
        f = azf_follower_new(root, bookmarks, &cbs, errbuf);
    }
    if (f == NULL) {
        fprintf(stderr, "azflow follow: %s\n", errbuf);
        return 1;
    }
    g_follower = f;
    unsigned long polls = 0;
    while (!stop_requested && !c.output_failed) {
        polls++;
        long n = azf_follower_poll(f, errbuf);
        if (n < 0) {
            fprintf(stderr, "azflow follow: %s\n", errbuf);
            c.problems = 1;
        }
        c.blob = NULL;
        on_commit(&c);
        if (once)
            break;
        pause_for(interval);
    }
    if (stats) {
        struct azf_blob_stats st;
        azf_follower_blob_stats(f, &st);
        fprintf(stderr, "azflow: storage: requests %llu retries %llu failures %llu bytes %llu polls %lu\n",
                (unsigned long long)st.requests, (unsigned long long)st.retries,
                (unsigned long long)st.failures, (unsigned long long)st.bytes, polls);
    }
    g_follower = NULL;
    /* Saves what a stopped poll or a failed save left behind. */
    azf_follower_free(f);
    on_commit(&c);
    return c.problems || c.output_failed ? 1 : 0;
}
