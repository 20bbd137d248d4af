/* One storage request with libcurl: URL and headers built (and signed)
 * afresh for every attempt, retries of transient failures with capped
 * exponential backoff and jitter honouring Retry-After, timeouts for a
 * stalled transfer, and counters.  Requests of one source run through one
 * libcurl multi handle on the follower's thread: a batch (the ranged reads
 * of a poll's changed blobs) runs a few at once over kept-alive connections. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "blob_int.h"

/* A listing of 5,000 blobs is about 4 MB; a ranged read is bounded by the
 * source's window.  Anything larger is not a storage answer of ours. */
#define BODY_MAX (64u * 1024 * 1024)
#define MAX_RETRIES 5

/* Requests in flight at once, per source: enough to hide a round trip per
 * blob, few enough to be a polite client of one storage account.  The
 * environment may lower it (tests compare with 1). */
#define PARALLEL 4
#define PARALLEL_MAX 16

struct azf_http {
    CURLM *m;                    /* its connection cache keeps them alive */
    CURL *free_easy[PARALLEL_MAX]; /* easy handles between requests */
    int free_n;
    long parallel;
    const struct azf_blob_url *u;
    struct azf_cred *cred;
    char *ca_file;
    long base_ms, cap_ms, stall_s;
    atomic_uint_fast64_t requests, retries, failures, bytes;
    _Atomic int64_t skew_s;      /* of the last answer with a Date header */
    atomic_int cancel;
    unsigned int seed;
};

static long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= lo && n <= hi ? n : def;
}

struct azf_http *azf_http_new(const struct azf_blob_url *u, struct azf_cred *c, const char *ca_file,
                              char errbuf[AZF_ERRBUF_SIZE])
{
    static int global_done;
    if (!global_done) {
        /* Process-wide and not thread-safe: the first source does it, at
         * start-up, before any thread of ours reads. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: libcurl cannot start", u->printed);
            return NULL;
        }
        global_done = 1;
    }
    struct azf_http *h = calloc(1, sizeof(*h));
    if (h == NULL || (h->m = curl_multi_init()) == NULL ||
        (ca_file != NULL && (h->ca_file = strdup(ca_file)) == NULL)) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", u->printed);
        azf_http_free(h);
        return NULL;
    }
    h->u = u;
    h->cred = c;
    /* Defaults after the Azure SDK's storage client (1 s base, 30 s cap);
     * the environment shortens them for tests of stalls. */
    h->base_ms = env_long("AZFLOW_BLOB_RETRY_BASE_MS", 1000, 1, 60000);
    h->cap_ms = env_long("AZFLOW_BLOB_RETRY_CAP_MS", 30000, 1, 600000);
    h->stall_s = env_long("AZFLOW_BLOB_STALL_S", 30, 1, 3600);
    h->parallel = env_long("AZFLOW_BLOB_PARALLEL", PARALLEL, 1, PARALLEL_MAX);
    h->seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)h;
    /* HTTP/1.1 to Azure: one connection per request in flight, all kept. */
    curl_multi_setopt(h->m, CURLMOPT_MAX_HOST_CONNECTIONS, h->parallel);
    curl_multi_setopt(h->m, CURLMOPT_MAXCONNECTS, h->parallel + 1); /* + the token endpoint */
    return h;
}

void azf_http_free(struct azf_http *h)
{
    if (h == NULL)
        return;
    for (int i = 0; i < h->free_n; i++)
        curl_easy_cleanup(h->free_easy[i]);
    if (h->m != NULL)
        curl_multi_cleanup(h->m);
    free(h->ca_file);
    free(h);
}

void azf_http_stats(const struct azf_http *h, struct azf_blob_stats *out)
{
    out->requests = atomic_load(&h->requests);
    out->retries = atomic_load(&h->retries);
    out->failures = atomic_load(&h->failures);
    out->bytes = atomic_load(&h->bytes);
}

int64_t azf_http_skew(const struct azf_http *h)
{
    return atomic_load(&((struct azf_http *)h)->skew_s);
}

void azf_http_add_bytes(struct azf_http *h, uint64_t n)
{
    atomic_fetch_add(&h->bytes, n);
}

void azf_http_cancel(struct azf_http *h)
{
    atomic_store(&h->cancel, 1);
}

int azf_http_cancelled(struct azf_http *h)
{
    return atomic_load(&h->cancel) != 0;
}

void azf_http_resp_free(struct azf_http_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* --- transfers ---------------------------------------------------------------
 * Every request goes through one libcurl multi handle, whose connection cache
 * keeps the connections alive between requests and polls.  A batch of
 * requests runs at most `parallel` at once, in the order given (the first is
 * the one the follower needs first); each retries on its own schedule. */

struct sink {
    struct azf_http_resp *resp;
    size_t cap;
    int overflow;
};

static size_t on_body(char *p, size_t size, size_t n, void *u)
{
    struct sink *s = u;
    size_t len = size * n;
    struct azf_http_resp *r = s->resp;
    if (r->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64 * 1024;
        while (cap < r->len + len + 1)
            cap *= 2;
        char *b = cap <= BODY_MAX ? realloc(r->body, cap) : NULL;
        if (b == NULL) {
            s->overflow = 1;
            return 0; /* ends the transfer: CURLE_WRITE_ERROR */
        }
        r->body = b;
        s->cap = cap;
    }
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static int on_progress(void *u, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    return atomic_load(&((struct azf_http *)u)->cancel) != 0;
}

/* Server-asked delay in ms, or -1: retry-after-ms, x-ms-retry-after-ms,
 * then Retry-After in seconds (as the Azure SDK for C reads them). */
static long asked_delay(CURL *c)
{
    static const char *const ms[] = { "retry-after-ms", "x-ms-retry-after-ms" };
    struct curl_header *hd;
    for (size_t i = 0; i < 2; i++)
        if (curl_easy_header(c, ms[i], 0, CURLH_HEADER, -1, &hd) == CURLHE_OK)
            return strtol(hd->value, NULL, 10);
    if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK) {
        char *end;
        long s = strtol(hd->value, &end, 10);
        if (end != hd->value)
            return s > LONG_MAX / 1000 ? LONG_MAX : s < 0 ? -1 : s * 1000; /* capped by the caller */
    }
    return -1;
}

static int retriable_status(long st)
{
    return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

static int retriable_transport(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static void append(char *errbuf, const char *s)
{
    size_t n = strlen(errbuf), k = strlen(s);
    if (n + k >= AZF_ERRBUF_SIZE)
        k = AZF_ERRBUF_SIZE - 1 - n;
    memcpy(errbuf + n, s, k);
    errbuf[n + k] = '\0';
}

/* "printed: " and the message; only the message when printed is NULL (the
 * caller names the resource).  Whole: a URL cut short may name another blob. */
static void say(char *errbuf, const char *printed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *errbuf, const char *printed, const char *fmt, ...)
{
    int n = printed != NULL ? snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: ", printed) : 0;
    if (n < 0 || n >= AZF_ERRBUF_SIZE) {
        if (n < 0)
            errbuf[0] = '\0';
        return;
    }
    errbuf[n] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf + n, AZF_ERRBUF_SIZE - (size_t)n, fmt, ap);
    va_end(ap);
}

static void transport_error(struct azf_http *h, CURLcode rc, const char *printed, const char *detail,
                            char *errbuf)
{
    const char *fix = "";
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CONNECT_ERROR:
        fix = h->ca_file != NULL ? "; check that ca-file holds the CA that signed the server's certificate"
                                 : "; if the server's certificate comes from a private CA, give it in ca-file";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        fix = "; check the url and the network";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        fix = " (the transfer stalled)";
        break;
    default:
        break;
    }
    const char *tls = fix[0] == ';' && strstr(fix, "ca-file") ? "TLS: " : "";
    say(errbuf, printed, "%s", tls);
    /* Cut short at worst: its start names the source. */
    append(errbuf, *detail ? detail : curl_easy_strerror(rc));
    append(errbuf, fix);
}

typedef struct curl_slist *(*headers_fn)(void *ctx, char *errbuf);

/* One request of a batch and where it stands. */
struct xfer {
    /* given */
    const char *url;
    headers_fn mk;
    void *ctx;
    const char *printed;
    struct azf_http_resp *resp;
    char *errbuf;
    /* result: 0 a final HTTP status in resp, -1 errbuf */
    int rc;
    /* state */
    enum { X_READY, X_RUNNING, X_DONE } state;
    int attempt;
    int64_t not_before_ms; /* a retry waits until then */
    CURL *c;
    struct curl_slist *hdrs;
    struct sink sink;
    char detail[CURL_ERROR_SIZE];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish(struct xfer *x, int rc)
{
    x->rc = rc;
    x->state = X_DONE;
}

/* Starts x's next attempt on a free easy handle: headers rebuilt (a fresh
 * x-ms-date, a fresh signature), the answer started over. */
static void start(struct azf_http *h, struct xfer *x, CURL *c)
{
    if ((x->hdrs = x->mk(x->ctx, x->errbuf)) == NULL) {
        finish(x, -1);
        return;
    }
    azf_http_resp_free(x->resp);
    x->sink = (struct sink){ .resp = x->resp };
    x->detail[0] = '\0';
    x->c = c;
    curl_easy_reset(c); /* the connections stay in the multi handle's cache */
    curl_easy_setopt(c, CURLOPT_URL, x->url);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->detail);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    /* A stuck answer: under 1 byte/s for stall_s seconds ends it. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->stall_s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (h->ca_file != NULL) {
        /* Added to the system's roots (which stay in CAPATH), not
         * instead of them. */
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
        curl_easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
    }
    atomic_fetch_add(&h->requests, 1);
    if (curl_multi_add_handle(h->m, c) != CURLM_OK) {
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
        x->c = NULL;
        atomic_fetch_add(&h->failures, 1);
        say(x->errbuf, x->printed, "libcurl cannot start the request");
        finish(x, -1);
        return;
    }
    x->state = X_RUNNING;
}

/* An attempt ended with rc: a final answer, an error, or a retry scheduled. */
static void ended(struct azf_http *h, struct xfer *x, CURLcode rc)
{
    CURL *c = x->c;
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    long delay = -1;
    int retry;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        say(x->errbuf, x->printed, "cancelled");
        finish(x, -1);
        return;
    }
    if (rc == CURLE_WRITE_ERROR && x->sink.overflow) {
        atomic_fetch_add(&h->failures, 1);
        say(x->errbuf, x->printed, "answer larger than %u MiB", BODY_MAX >> 20);
        finish(x, -1);
        return;
    }
    if (rc != CURLE_OK) {
        retry = retriable_transport(rc);
    } else {
        retry = retriable_status(status);
        if (retry)
            delay = asked_delay(c);
    }
    if (!retry || x->attempt >= MAX_RETRIES) {
        if (rc != CURLE_OK) {
            atomic_fetch_add(&h->failures, 1);
            transport_error(h, rc, x->printed, x->detail, x->errbuf);
            if (retry)
                snprintf(x->errbuf + strlen(x->errbuf), AZF_ERRBUF_SIZE - strlen(x->errbuf), " (%d tries)",
                         x->attempt + 1);
            finish(x, -1);
            return;
        }
        x->resp->status = status;
        struct curl_header *hd;
        /* The service's clock against ours: Azure refuses a Shared Key
         * request whose x-ms-date is 15 minutes off, as a bad signature. */
        if (curl_easy_header(c, "Date", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK) {
            int64_t t = azf_rfc1123(hd->value);
            if (t > 0) {
                x->resp->skew_s = t - (int64_t)time(NULL);
                atomic_store(&h->skew_s, x->resp->skew_s);
            }
        }
        if (curl_easy_header(c, "x-ms-error-code", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK)
            snprintf(x->resp->error_code, sizeof(x->resp->error_code), "%s", hd->value);
        if (status >= 400 && status != 412 && status != 416)
            atomic_fetch_add(&h->failures, 1);
        finish(x, 0);
        return;
    }
    /* Capped exponential backoff with jitter (half to all of the step),
     * unless the server said how long. */
    if (delay < 0) {
        long step = h->base_ms << (x->attempt < 20 ? x->attempt : 20);
        if (step > h->cap_ms || step <= 0)
            step = h->cap_ms;
        delay = step / 2 + (long)(rand_r(&h->seed) % (unsigned)(step / 2 + 1));
    } else if (delay > h->cap_ms) {
        delay = h->cap_ms;
    }
    atomic_fetch_add(&h->retries, 1);
    x->attempt++;
    x->not_before_ms = mono_ms() + delay;
    x->state = X_READY;
}

/* Runs the batch until every request has a final answer, an error, or the
 * follower is cancelled.  At most h->parallel run at once. */
static void run(struct azf_http *h, struct xfer *xs, size_t n)
{
    size_t done = 0, running = 0;
    for (size_t i = 0; i < n; i++) {
        memset(xs[i].resp, 0, sizeof(*xs[i].resp));
        xs[i].state = X_READY;
        xs[i].attempt = 0;
        xs[i].not_before_ms = 0;
        xs[i].c = NULL;
        xs[i].hdrs = NULL;
    }
    while (done < n) {
        int64_t now = mono_ms(), wake = now + 50;
        int cancel = atomic_load(&h->cancel);
        /* Start what may start: free handles go to requests in order. */
        for (size_t i = 0; i < n; i++) {
            struct xfer *x = &xs[i];
            if (x->state != X_READY)
                continue;
            if (cancel) {
                say(x->errbuf, x->printed, "cancelled");
                finish(x, -1);
                done++;
                continue;
            }
            if (x->not_before_ms > now) {
                if (x->not_before_ms < wake)
                    wake = x->not_before_ms;
                continue;
            }
            if (running >= (size_t)h->parallel)
                continue;
            CURL *c = h->free_n > 0 ? h->free_easy[--h->free_n] : curl_easy_init();
            if (c == NULL) {
                say(x->errbuf, x->printed, "out of memory");
                finish(x, -1);
                done++;
                continue;
            }
            start(h, x, c);
            if (x->state == X_RUNNING) {
                running++;
            } else {
                h->free_easy[h->free_n++] = c;
                done++;
            }
        }
        if (running == 0) {
            if (done < n) {
                /* Only retries waiting: sleep in short steps, so a cancel is
                 * seen within 50 ms. */
                long ms = (long)(wake - mono_ms());
                if (ms > 0) {
                    struct timespec ts = { 0, (ms < 50 ? ms : 50) * 1000000L };
                    nanosleep(&ts, NULL);
                }
            }
            continue;
        }
        int still = 0;
        curl_multi_perform(h->m, &still);
        CURLMsg *msg;
        int q;
        while ((msg = curl_multi_info_read(h->m, &q)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *c = msg->easy_handle;
            CURLcode rc = msg->data.result;
            struct xfer *x = NULL;
            curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&x);
            ended(h, x, rc);
            curl_multi_remove_handle(h->m, c);
            curl_slist_free_all(x->hdrs);
            x->hdrs = NULL;
            x->c = NULL;
            h->free_easy[h->free_n++] = c;
            running--;
            if (x->state == X_DONE)
                done++;
        }
        if (running > 0) {
            long ms = (long)(wake - mono_ms());
            curl_multi_poll(h->m, NULL, 0, ms > 0 ? (int)ms : 0, NULL);
        }
    }
}

/* One GET until a final answer. */
static int transfer(struct azf_http *h, const char *url, headers_fn mk, void *ctx, const char *printed,
                    struct azf_http_resp *resp, char *errbuf)
{
    struct xfer x = { .url = url, .mk = mk, .ctx = ctx, .printed = printed, .resp = resp, .errbuf = errbuf };
    run(h, &x, 1);
    if (x.rc < 0)
        azf_http_resp_free(resp); /* no answer: what a failed attempt left goes */
    return x.rc;
}

/* --- storage requests -------------------------------------------------------- */

struct storage_ctx {
    struct azf_http *h;
    const struct azf_http_req *rq;
};

static struct curl_slist *add(struct curl_slist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static struct curl_slist *add(struct curl_slist *l, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (l == NULL || n < 0 || (size_t)n >= sizeof(line)) {
        curl_slist_free_all(l);
        return NULL;
    }
    struct curl_slist *r = curl_slist_append(l, line);
    if (r == NULL)
        curl_slist_free_all(l);
    return r;
}

/* Shared Key: VERB, 11 standard headers (only If-Match used), the x-ms-*
 * headers sorted, then /account + path + sorted query.  Sized from the
 * request: a blob's name, percent-encoded, may take 12 KB. */
static int sign(struct azf_http *h, const struct azf_http_req *rq, const char *date, const char *range,
                char *auth, size_t authlen)
{
    size_t cap = 512 + strlen(h->u->account) + strlen(rq->path) + (rq->if_match ? strlen(rq->if_match) : 0);
    for (size_t i = 0; rq->query[i] != NULL; i += 2)
        cap += strlen(rq->query[i]) + strlen(rq->query[i + 1]) + 2;
    char *sts = malloc(cap);
    if (sts == NULL)
        return -1;
    int n = snprintf(sts, cap, "GET\n\n\n\n\n\n\n\n%s\n\n\n\nx-ms-date:%s\n%s%s%sx-ms-version:%s\n/%s%s",
                     rq->if_match ? rq->if_match : "", date, *range ? "x-ms-range:" : "", range, *range ? "\n" : "",
                     AZF_XMS_VERSION, h->u->account, rq->path);
    for (size_t i = 0; rq->query[i] != NULL && n > 0 && (size_t)n < cap; i += 2)
        n += snprintf(sts + n, cap - (size_t)n, "\n%s:%s", rq->query[i], rq->query[i + 1]);
    int rc = n > 0 && (size_t)n < cap ? azf_cred_sign(h->cred, h->u->account, sts, auth, authlen) : -1;
    explicit_bzero(sts, cap);
    free(sts);
    return rc;
}

static struct curl_slist *storage_headers(void *u, char *errbuf)
{
    struct storage_ctx *x = u;
    const struct azf_http_req *rq = x->rq;
    struct azf_cred *cr = x->h->cred;
    char date[64], range[80] = "";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* RFC 1123 in the C locale, whatever the process locale. */
    static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
             mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (rq->range_to != 0)
        snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)rq->range_from,
                 (unsigned long long)rq->range_to);
    struct curl_slist *l = curl_slist_append(NULL, "Accept:"); /* curl's default is not signed */
    l = add(l, "x-ms-date: %s", date);
    l = add(l, "x-ms-version: %s", AZF_XMS_VERSION);
    if (*range)
        l = add(l, "x-ms-range: %s", range);
    if (rq->if_match != NULL)
        l = add(l, "If-Match: %s", rq->if_match);
    if (l == NULL) {
        say(errbuf, rq->printed, "out of memory");
        return NULL;
    }
    if (cr->kind == AZF_CRED_TOKEN) {
        /* Renewed before the batch (azf_http_get_many). */
        if (cr->token == NULL) {
            curl_slist_free_all(l);
            say(errbuf, rq->printed, "no token from the managed identity");
            return NULL;
        }
        l = add(l, "Authorization: Bearer %s", cr->token);
    } else if (cr->kind == AZF_CRED_KEY) {
        char auth[256];
        if (sign(x->h, rq, date, range, auth, sizeof(auth)) < 0) {
            curl_slist_free_all(l);
            say(errbuf, rq->printed, "cannot sign the request");
            return NULL;
        }
        l = add(l, "Authorization: %s", auth);
    }
    if (l == NULL)
        say(errbuf, rq->printed, "out of memory");
    return l;
}

/* The request's URL: origin, path, query, and the SAS last; malloc'd. */
static char *request_url(struct azf_http *h, const struct azf_http_req *rq)
{
    size_t cap = strlen(h->u->origin) + strlen(rq->path) + 16 +
                 (h->cred->kind == AZF_CRED_SAS ? strlen(h->cred->sas) : 0);
    for (size_t i = 0; rq->query[i] != NULL; i += 2)
        cap += strlen(rq->query[i]) + 3 * strlen(rq->query[i + 1]) + 2;
    char *url = malloc(cap);
    if (url == NULL)
        return NULL;
    int n = snprintf(url, cap, "%s%s", h->u->origin, rq->path);
    char sep = '?';
    for (size_t i = 0; rq->query[i] != NULL; i += 2) {
        char *v = azf_pct_encode(rq->query[i + 1], 0);
        if (v == NULL) {
            free(url);
            return NULL;
        }
        n += snprintf(url + n, cap - (size_t)n, "%c%s=%s", sep, rq->query[i], v);
        sep = '&';
        free(v);
    }
    if (h->cred->kind == AZF_CRED_SAS)
        snprintf(url + n, cap - (size_t)n, "%c%s", sep, h->cred->sas);
    return url;
}

void azf_http_get_many(struct azf_http *h, struct azf_http_job *jobs, size_t n)
{
    struct xfer *xs = calloc(n ? n : 1, sizeof(*xs));
    struct storage_ctx *ctx = calloc(n ? n : 1, sizeof(*ctx));
    char **urls = calloc(n ? n : 1, sizeof(*urls));
    char tokerr[AZF_ERRBUF_SIZE] = "";
    /* A managed identity's token is renewed before the batch, not while it
     * runs: its own request goes through the same multi handle. */
    int tok = h->cred->kind == AZF_CRED_TOKEN ? azf_http_token(h, tokerr) : 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct azf_http_job *j = &jobs[i];
        memset(&j->resp, 0, sizeof(j->resp));
        j->rc = -1;
        j->errbuf[0] = '\0';
        if (tok < 0) {
            snprintf(j->errbuf, AZF_ERRBUF_SIZE, "%s", tokerr);
            continue;
        }
        if (xs == NULL || ctx == NULL || urls == NULL || (urls[i] = request_url(h, j->rq)) == NULL) {
            say(j->errbuf, j->rq->printed, "out of memory");
            continue;
        }
        ctx[k] = (struct storage_ctx){ h, j->rq };
        xs[k] = (struct xfer){ .url = urls[i], .mk = storage_headers, .ctx = &ctx[k], .printed = j->rq->printed,
                               .resp = &j->resp, .errbuf = j->errbuf, .rc = -1 };
        k++;
    }
    if (k > 0)
        run(h, xs, k);
    for (size_t i = 0, x = 0; i < n; i++) {
        if (urls == NULL || urls[i] == NULL)
            continue;
        jobs[i].rc = xs[x++].rc;
        if (jobs[i].rc < 0)
            azf_http_resp_free(&jobs[i].resp); /* no answer: a failed attempt's partial body goes */
        explicit_bzero(urls[i], strlen(urls[i]));
        free(urls[i]);
    }
    free(urls);
    free(ctx);
    free(xs);
}

int azf_http_get(struct azf_http *h, const struct azf_http_req *rq, struct azf_http_resp *resp,
                 char errbuf[AZF_ERRBUF_SIZE])
{
    struct azf_http_job j = { .rq = rq };
    azf_http_get_many(h, &j, 1);
    *resp = j.resp;
    if (j.rc < 0)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s", j.errbuf);
    return j.rc;
}

void azf_http_status_error(const struct azf_http_req *rq, const struct azf_http_resp *r,
                           char errbuf[AZF_ERRBUF_SIZE])
{
    const char *fix = "";
    char skew[120];
    if (r->status == 403 && (r->skew_s > AZF_SKEW_MAX_S || r->skew_s < -AZF_SKEW_MAX_S)) {
        /* Not the key: Azure refuses requests dated 15 minutes off. */
        snprintf(skew, sizeof(skew), ": clock skew of %lld s: fix the sensor's clock (NTP)", (long long)r->skew_s);
        fix = skew;
    } else if (r->status == 403)
        fix = ": access denied; check the credential (SAS: sp=rl, se= ahead; the account's key; "
              "identity: Storage Blob Data Reader)";
    else if (r->status == 404)
        fix = ": not found; check the account and container in the url";
    else if (r->status == 400)
        fix = ": the service refused the request";
    say(errbuf, rq->printed, "HTTP %ld%s%.40s%s", r->status, r->error_code[0] ? " " : "", r->error_code, fix);
}

/* --- managed identity ---------------------------------------------------------- */

static struct curl_slist *imds_headers(void *u, char *errbuf)
{
    struct curl_slist *l = curl_slist_append(NULL, "Metadata: true");
    if (l == NULL)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "managed identity: out of memory");
    return l;
}

/* The string value of "key" in a flat JSON object (tokens hold no escapes). */
static char *json_value(const char *body, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    const char *p = strstr(body, pat);
    if (p == NULL)
        return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    int quoted = *p == '"';
    if (quoted)
        p++;
    size_t n = quoted ? strcspn(p, "\"") : strcspn(p, ",} \r\n");
    return n == 0 || (quoted && p[n] != '"') ? NULL : strndup(p, n);
}

int azf_http_token(struct azf_http *h, char errbuf[AZF_ERRBUF_SIZE])
{
    struct azf_cred *c = h->cred;
    int64_t now = (int64_t)time(NULL);
    if (c->token != NULL && c->token_exp - now > 300)
        return 0;
    char *cid = c->client_id != NULL ? azf_pct_encode(c->client_id, 0) : NULL;
    char *url = NULL;
    if ((c->client_id != NULL && cid == NULL) ||
        asprintf(&url, "%s?api-version=2018-02-01&resource=https%%3A%%2F%%2Fstorage.azure.com%%2F%s%s",
                 c->imds, cid ? "&client_id=" : "", cid ? cid : "") < 0) {
        free(cid);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "managed identity: out of memory");
        return -1;
    }
    free(cid);
    struct azf_http_resp r;
    char printed[AZF_ERRBUF_SIZE];
    /* The endpoint as given, without a query (AZFLOW_IMDS_ENDPOINT is ours, for tests). */
    snprintf(printed, sizeof(printed), "managed identity: %.*s", (int)strcspn(c->imds, "?#"), c->imds);
    int rc = transfer(h, url, imds_headers, NULL, printed, &r, errbuf);
    free(url);
    if (rc < 0)
        return -1;
    char *tok = r.status == 200 && r.body ? json_value(r.body, "access_token") : NULL;
    char *exp = r.status == 200 && r.body ? json_value(r.body, "expires_on") : NULL;
    if (tok == NULL) {
        say(errbuf, printed, "HTTP %ld, no access_token; does the VM have %s identity?", r.status,
            c->client_id ? "this user-assigned" : "a system-assigned");
        azf_http_resp_free(&r);
        free(exp);
        return -1;
    }
    if (c->token != NULL) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    c->token = tok;
    c->token_exp = exp != NULL ? strtoll(exp, NULL, 10) : now + 3600;
    if (r.body != NULL)
        explicit_bzero(r.body, r.len);
    azf_http_resp_free(&r);
    free(exp);
    return 0;
}
