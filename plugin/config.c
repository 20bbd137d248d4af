/* azflow plugin: reads and validates the `azure:` configuration section.
 * Every error names the full key (azure.correlation.memcap, ...). */
#include "suricata-common.h"
#include "conf.h"
#include "util-misc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "azblob.h"
#include "config.h"
#include "index.h" /* AZ_MAX_BUCKETS */

static int Fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int Fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Accepts exactly the spellings Suricata itself takes for booleans, so a
 * typo like "yse" is an error rather than a silent "no". */
static int ParseBool(const char *key, const char *val, bool *out, char *err, size_t errlen)
{
    if (SCConfValIsTrue(val)) {
        *out = true;
        return 0;
    }
    if (SCConfValIsFalse(val)) {
        *out = false;
        return 0;
    }
    return Fail(err, errlen, "%s: '%s' is not a boolean (use yes or no)", key, val);
}

/* A key that takes one value given a list or a mapping (`include: [a, b]`,
 * `bookmarks: {path: …}`) has no value for Suricata to read: the key would
 * silently keep its default (every blob read, no bookmarks). */
static int CheckValue(const SCConfNode *child, const char *prefix, char *err, size_t errlen)
{
    if (child != NULL && SCConfNodeHasChildren(child))
        return Fail(err, errlen, "%s.%s: expected a single value, got a list or mapping", prefix,
                child->name);
    return 0;
}

/* Every key of `node` must be one of `known`; with `values`, each takes a
 * single value (the keys of a source, correlation, capture, detect). */
static int CheckKnownKeys(const SCConfNode *node, const char *prefix, const char *const *known,
        bool values, char *err, size_t errlen)
{
    /* `correlation: 60` is a section with a value and no keys: every key
     * of it would silently keep its default. */
    if (!SCConfNodeHasChildren(node) && node->val != NULL && node->val[0] != '\0')
        return Fail(err, errlen, "%s: expected a mapping of its keys, got '%s'", prefix, node->val);
    const SCConfNode *child;
    TAILQ_FOREACH (child, &node->head, next) {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL; i++) {
            if (strcmp(child->name, known[i]) == 0) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            return Fail(err, errlen, "%s.%s: unknown key", prefix, child->name);
        }
        if (values && CheckValue(child, prefix, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int Dup(char **out, const char *v, const char *key, const char *name, char *err, size_t errlen)
{
    if (v != NULL && (*out = SCStrdup(v)) == NULL)
        return Fail(err, errlen, "%s.%s: out of memory", key, name);
    return 0;
}

/* A storage source: url plus its credential and timing.  The credential
 * files themselves are read (and the SAS expiry judged) when the follower
 * is made, with the source's key in the message. */
static int LoadUrlSource(const SCConfNode *node, const char *key, const char *url,
        struct az_flowlog_source *src, char *err, size_t errlen)
{
    /* The query first: no message may print it. */
    if (strpbrk(url, "?#") != NULL)
        return Fail(err, errlen,
                "%s.url: a URL with a query is refused (it would print the SAS); put the SAS in sas-file",
                key);
    if (!azf_is_blob_url(url))
        return Fail(err, errlen, "%s.url: '%s' is not an http:// or https:// URL", key, url);
    const char *sas = SCConfNodeLookupChildValue(node, "sas-file");
    const char *akey = SCConfNodeLookupChildValue(node, "account-key-file");
    const char *mi = SCConfNodeLookupChildValue(node, "managed-identity");
    if (mi != NULL && SCConfValIsFalse(mi))
        mi = NULL;
    else if (mi != NULL && SCConfValIsTrue(mi))
        mi = "yes";
    if ((sas != NULL) + (akey != NULL) + (mi != NULL) > 1)
        return Fail(err, errlen, "%s: give one credential: sas-file, account-key-file or managed-identity",
                key);
    if (Dup(&src->url, url, key, "url", err, errlen) < 0 ||
            Dup(&src->sas_file, sas, key, "sas-file", err, errlen) < 0 ||
            Dup(&src->account_key_file, akey, key, "account-key-file", err, errlen) < 0 ||
            Dup(&src->managed_identity, mi, key, "managed-identity", err, errlen) < 0 ||
            Dup(&src->ca_file, SCConfNodeLookupChildValue(node, "ca-file"), key, "ca-file", err, errlen) < 0)
        return -1;
    if (src->ca_file != NULL && access(src->ca_file, R_OK) != 0)
        return Fail(err, errlen, "%s.ca-file: cannot read '%s': %s", key, src->ca_file, strerror(errno));
    const char *poll = SCConfNodeLookupChildValue(node, "poll");
    if (poll != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(poll, &end, 10);
        if (errno != 0 || end == poll || *end != '\0' || poll[0] == '-' || v < 1 || v > 86400)
            return Fail(err, errlen, "%s.poll: '%s' is not a number of seconds between 1 and 86400", key,
                    poll);
        src->poll_s = v;
    }
    const char *since = SCConfNodeLookupChildValue(node, "since");
    if (since != NULL && azf_duration_parse(since, &src->since_s) < 0)
        return Fail(err, errlen, "%s.since: '%s' is not a duration (e.g. 90m, 2h, 3d)", key, since);
    return 0;
}

static int LoadPathSource(const char *key, const char *path, struct az_flowlog_source *src, char *err,
        size_t errlen)
{
    if (path == NULL || path[0] == '\0')
        return Fail(err, errlen, "%s.path: missing (a flow-log blob or a folder of them; or a url)", key);
    struct stat st;
    if (stat(path, &st) != 0)
        return Fail(err, errlen, "%s.path: cannot read '%s': %s", key, path, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return Fail(err, errlen, "%s.path: '%s' is neither a file nor a folder", key, path);
    if (access(path, R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0)) != 0)
        return Fail(err, errlen, "%s.path: cannot read '%s': %s", key, path, strerror(errno));
    if ((src->path = SCStrdup(path)) == NULL)
        return Fail(err, errlen, "%s: out of memory", key);
    return 0;
}

static int LoadSource(const SCConfNode *node, const char *key, struct az_flowlog_source *src,
        char *err, size_t errlen)
{
    static const char *const known[] = { "path", "url", "follow", "include", "sas-file",
        "account-key-file", "managed-identity", "ca-file", "poll", "since", NULL };
    if (CheckKnownKeys(node, key, known, true, err, errlen) < 0)
        return -1;

    src->poll_s = AZ_DEFAULT_POLL_S;
    src->since_s = AZ_DEFAULT_SINCE_S;
    const char *path = SCConfNodeLookupChildValue(node, "path");
    const char *url = SCConfNodeLookupChildValue(node, "url");
    if (path != NULL && url != NULL)
        return Fail(err, errlen, "%s: give path or url, not both", key);
    if (url == NULL) {
        static const char *const url_only[] = { "sas-file", "account-key-file", "managed-identity",
            "ca-file", "poll", "since", NULL };
        for (size_t i = 0; url_only[i] != NULL; i++)
            if (SCConfNodeLookupChild(node, url_only[i]) != NULL)
                return Fail(err, errlen, "%s.%s: only for a url source", key, url_only[i]);
    }
    if (url != NULL) {
        if (LoadUrlSource(node, key, url, src, err, errlen) < 0)
            return -1;
    } else if (LoadPathSource(key, path, src, err, errlen) < 0) {
        return -1;
    }

    const char *follow = SCConfNodeLookupChildValue(node, "follow");
    if (follow != NULL) {
        char k[128];
        snprintf(k, sizeof(k), "%s.follow", key);
        if (ParseBool(k, follow, &src->follow, err, errlen) < 0)
            return -1;
    }

    const char *include = SCConfNodeLookupChildValue(node, "include");
    if (include != NULL) {
        int ec;
        PCRE2_SIZE eo;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR8)include, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        if (re == NULL) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            return Fail(err, errlen, "%s.include: bad regular expression '%s' at offset %zu: %s", key,
                    include, (size_t)eo, (const char *)msg);
        }
        src->include = SCStrdup(include);
        src->include_re = re;
    }
    return (include != NULL && src->include == NULL)
                   ? Fail(err, errlen, "%s: out of memory", key)
                   : 0;
}

static int LoadSources(const SCConfNode *node, struct az_config *cfg, char *err, size_t errlen)
{
    size_t n = 0;
    const SCConfNode *child;
    TAILQ_FOREACH (child, &node->head, next)
        n++;
    if (n == 0) {
        if (node->val != NULL && node->val[0] != '\0')
            return Fail(err, errlen, "azure.flow-logs: expected a list of sources, got '%s'", node->val);
        return 0;
    }
    cfg->sources = SCCalloc(n, sizeof(*cfg->sources));
    if (cfg->sources == NULL)
        return Fail(err, errlen, "azure.flow-logs: out of memory");
    TAILQ_FOREACH (child, &node->head, next) {
        char key[64];
        snprintf(key, sizeof(key), "azure.flow-logs.%s", child->name);
        struct az_flowlog_source *src = &cfg->sources[cfg->nsources++];
        if (!SCConfNodeHasChildren(child))
            return Fail(err, errlen, "%s: expected a mapping with 'path'", key);
        if (LoadSource(child, key, src, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* A plain decimal number from 0 to `max` (no sign, nothing after it). */
static bool ParseDecimal(const char *v, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n > max)
        return false;
    *out = n;
    return true;
}

/* azure.correlation.<name>: seconds (0 to a day) or a size, when set. */
static int LoadSeconds(const SCConfNode *node, const char *name, uint64_t *out, char *err, size_t errlen)
{
    const char *v = SCConfNodeLookupChildValue(node, name);
    if (v != NULL && !ParseDecimal(v, 86400, out))
        return Fail(err, errlen,
                "azure.correlation.%s: '%s' is not a number of seconds between 0 and 86400", name, v);
    return 0;
}

static int LoadSize(const SCConfNode *node, const char *name, uint64_t *out, char *err, size_t errlen)
{
    const char *v = SCConfNodeLookupChildValue(node, name);
    if (v == NULL)
        return 0;
    uint64_t n = 0;
    if (ParseSizeStringU64(v, &n) < 0 || n == 0)
        return Fail(err, errlen, "azure.correlation.%s: '%s' is not a size (e.g. 256mb, 1gb)", name, v);
    *out = n;
    return 0;
}

static int LoadCorrelation(const SCConfNode *node, struct az_config *cfg, char *err, size_t errlen)
{
    static const char *const known[] = { "window", "memcap", "delay", "history-memcap", NULL };
    if (CheckKnownKeys(node, "azure.correlation", known, true, err, errlen) < 0)
        return -1;
    if (LoadSeconds(node, "window", &cfg->window_s, err, errlen) < 0 ||
            LoadSeconds(node, "delay", &cfg->delay_s, err, errlen) < 0 ||
            LoadSize(node, "memcap", &cfg->memcap, err, errlen) < 0 ||
            LoadSize(node, "history-memcap", &cfg->history_memcap, err, errlen) < 0)
        return -1;
    /* The index's own tables (buckets, digest, the first pages of its
     * interned values) take about 200 KB before the first record: below
     * this every record would be evicted as it arrives. */
    if (cfg->memcap < AZ_MIN_MEMCAP)
        return Fail(err, errlen, "azure.correlation.memcap: %" PRIu64 " bytes is below the minimum of 1mb",
                cfg->memcap);
    return 0;
}

static int LoadCapture(const SCConfNode *node, struct az_config *cfg, char *err, size_t errlen)
{
    static const char *const known[] = { "input", "interface", NULL };
    if (CheckKnownKeys(node, "azure.capture", known, true, err, errlen) < 0)
        return -1;
    const char *input = SCConfNodeLookupChildValue(node, "input");
    const char *iface = SCConfNodeLookupChildValue(node, "interface");
    if (input != NULL && iface != NULL)
        return Fail(err, errlen, "azure.capture: set either input or interface, not both");
    if (input != NULL && (cfg->capture_input = SCStrdup(input)) == NULL)
        return Fail(err, errlen, "azure.capture.input: out of memory");
    if (iface != NULL && (cfg->capture_interface = SCStrdup(iface)) == NULL)
        return Fail(err, errlen, "azure.capture.interface: out of memory");
    return 0;
}

/* azure.detect: not in the documented configuration, for tests.
 * `prefilter: no` turns the rule engine off, so they can compare alerts with
 * and without it; `buckets: N` (a power of two) sizes the index's hash, and
 * with it the rule engine's digest (one slot per bucket), so that a small
 * corpus makes its keys share slots as a million records do. */
static int LoadDetect(const SCConfNode *node, struct az_config *cfg, char *err, size_t errlen)
{
    static const char *const known[] = { "prefilter", "buckets", NULL };
    if (CheckKnownKeys(node, "azure.detect", known, true, err, errlen) < 0)
        return -1;
    const char *prefilter = SCConfNodeLookupChildValue(node, "prefilter");
    if (prefilter != NULL &&
            ParseBool("azure.detect.prefilter", prefilter, &cfg->detect_prefilter, err, errlen) < 0)
        return -1;
    const char *v = SCConfNodeLookupChildValue(node, "buckets");
    uint64_t n = 0;
    if (v != NULL && (!ParseDecimal(v, AZ_MAX_BUCKETS, &n) || n == 0 || (n & (n - 1)) != 0))
        return Fail(err, errlen, "azure.detect.buckets: '%s' is not a power of two between 1 and %u",
                v, AZ_MAX_BUCKETS);
    cfg->detect_buckets = (uint32_t)n;
    return 0;
}

int AzConfigLoad(struct az_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->window_s = AZ_DEFAULT_WINDOW_S;
    cfg->memcap = AZ_DEFAULT_MEMCAP;
    cfg->detect_prefilter = true;
    cfg->delay_s = AZ_DEFAULT_DELAY_S;
    cfg->history_memcap = AZ_DEFAULT_HISTORY_MEMCAP;

    const SCConfNode *root = SCConfGetNode("azure");
    if (root == NULL)
        return 0;
    static const char *const known[] = { "flow-logs", "correlation", "bookmarks", "capture",
        "detect", NULL };
    /* Sections, but for bookmarks: each section checks its own keys. */
    if (CheckKnownKeys(root, "azure", known, false, err, errlen) < 0 ||
            CheckValue(SCConfNodeLookupChild(root, "bookmarks"), "azure", err, errlen) < 0)
        return -1;

    const SCConfNode *n;
    if ((n = SCConfNodeLookupChild(root, "flow-logs")) != NULL && LoadSources(n, cfg, err, errlen) < 0)
        return -1;
    if ((n = SCConfNodeLookupChild(root, "correlation")) != NULL &&
            LoadCorrelation(n, cfg, err, errlen) < 0)
        return -1;
    if ((n = SCConfNodeLookupChild(root, "capture")) != NULL && LoadCapture(n, cfg, err, errlen) < 0)
        return -1;
    if ((n = SCConfNodeLookupChild(root, "detect")) != NULL && LoadDetect(n, cfg, err, errlen) < 0)
        return -1;

    const char *bookmarks = SCConfNodeLookupChildValue(root, "bookmarks");
    if (bookmarks != NULL) {
        /* A file: an empty value or a folder cannot be written as one (the
         * follower would warn at every poll, or fail under another key). */
        struct stat bst;
        size_t blen = strlen(bookmarks);
        if (blen == 0 || bookmarks[blen - 1] == '/' ||
                (stat(bookmarks, &bst) == 0 && S_ISDIR(bst.st_mode)))
            return Fail(err, errlen, "azure.bookmarks: '%s' is not a file path", bookmarks);
        /* The file itself may not exist yet; its folder must be writable. */
        char *dir = SCStrdup(bookmarks);
        if (dir == NULL)
            return Fail(err, errlen, "azure.bookmarks: out of memory");
        char *slash = strrchr(dir, '/');
        const char *d = slash == NULL ? "." : (slash == dir ? "/" : (*slash = '\0', dir));
        int ok = access(d, W_OK | X_OK) == 0;
        int saved = errno;
        if (!ok) {
            Fail(err, errlen, "azure.bookmarks: cannot write in '%s': %s", d, strerror(saved));
            SCFree(dir);
            return -1;
        }
        SCFree(dir);
        if ((cfg->bookmarks = SCStrdup(bookmarks)) == NULL)
            return Fail(err, errlen, "azure.bookmarks: out of memory");
    }
    return 0;
}

void AzConfigFree(struct az_config *cfg)
{
    for (size_t i = 0; i < cfg->nsources; i++) {
        SCFree(cfg->sources[i].path);
        SCFree(cfg->sources[i].url);
        SCFree(cfg->sources[i].sas_file);
        SCFree(cfg->sources[i].account_key_file);
        SCFree(cfg->sources[i].managed_identity);
        SCFree(cfg->sources[i].ca_file);
        SCFree(cfg->sources[i].include);
        if (cfg->sources[i].include_re != NULL)
            pcre2_code_free(cfg->sources[i].include_re);
    }
    SCFree(cfg->sources);
    SCFree(cfg->bookmarks);
    SCFree(cfg->capture_input);
    SCFree(cfg->capture_interface);
    memset(cfg, 0, sizeof(*cfg));
}

bool AzConfigSourceAccepts(const struct az_flowlog_source *src, const char *path)
{
    if (src->include_re == NULL)
        return true;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(src->include_re, NULL);
    if (md == NULL)
        return false;
    int rc = pcre2_match(src->include_re, (PCRE2_SPTR8)path, strlen(path), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

bool AzConfigFollows(const struct az_config *cfg)
{
    for (size_t i = 0; i < cfg->nsources; i++)
        if (cfg->sources[i].follow)
            return true;
    return false;
}
