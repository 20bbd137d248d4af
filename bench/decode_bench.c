/* decode_bench: how fast the azflow decoder turns a large VNet flow-log blob
 * into tuples, and its peak memory, beside jansson doing comparable work.
 *
 * It writes (once) a realistic blob into --dir: compact JSON, {"records":[
 * then records of about 32 KiB (several aclIDs, flowGroups and hundreds of
 * flowTuples each; IPv4 with some IPv6; B/C/E/D states; encryption codes;
 * counters), then ]}.  Each variant then runs in its own forked child, so
 * the peak RSS (getrusage ru_maxrss) it reports is that variant's alone:
 *
 *   azflow   azf_decode_file: 256 KiB reads, framing, JSON, tuple fields, IPs
 *   jansson  json_loadb on the whole file, then records[].flowRecords.flows[]
 *            .flowGroups[].flowTuples[]: each tuple split on ',' with its
 *            numbers parsed and both IPs through inet_pton
 *
 * Both fold every tuple's fields into a checksum; the two must agree. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flowlog.h"

/* Bump when the generator changes, so an old blob is not reused. */
#define GEN_VERSION 1
#define HEAD "{\"records\":["
#define TAIL "]}"
#define RECORD_TARGET (32 * 1024)

/* --- generator ------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    /* xorshift64*: deterministic, so every run writes the same blob. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

struct out {
    char *p;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        while (o->len + n > o->cap)
            o->cap = o->cap ? o->cap * 2 : 65536;
        o->p = realloc(o->p, o->cap);
        if (!o->p) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putu(struct out *o, uint64_t v)
{
    char b[24], *e = b + sizeof(b), *q = e;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, q, (size_t)(e - q));
}

static void put_ip4(struct out *o, int internal)
{
    if (internal) {
        puts_(o, "10.");
        putu(o, rnd() % 4);
        puts_(o, ".");
        putu(o, rnd() % 8);
        puts_(o, ".");
        putu(o, 4 + rnd() % 60);
        return;
    }
    for (int i = 0; i < 4; i++) {
        if (i)
            puts_(o, ".");
        putu(o, i == 0 ? 20 + rnd() % 200 : rnd() % 256);
    }
}

static void put_ip6(struct out *o, int internal)
{
    char b[64];
    if (internal)
        snprintf(b, sizeof(b), "fd00:ab:%x::%x", rnd() % 8, 4 + rnd() % 60);
    else
        snprintf(b, sizeof(b), "2603:1030:%x:%x::%x", rnd() % 0x10000, rnd() % 0x100, rnd() % 0x10000);
    puts_(o, b);
}

static void put_tuple(struct out *o, uint64_t ts_ms)
{
    int inbound = rnd() % 2, v6 = rnd() % 100 < 6;
    uint32_t st = rnd() % 10;
    char state = st < 3 ? 'B' : st < 5 ? 'C' : st < 8 ? 'E' : 'D';
    uint32_t e = rnd() % 100;
    const char *enc = e < 80 ? "NX" : e < 95 ? "X" : e < 98 ? "NX_HW_NOT_SUPPORTED" : "NX_SW_NOT_READY";
    uint32_t pr = rnd() % 20;

    puts_(o, "\"");
    putu(o, ts_ms);
    puts_(o, ",");
    (v6 ? put_ip6 : put_ip4)(o, !inbound);
    puts_(o, ",");
    (v6 ? put_ip6 : put_ip4)(o, inbound);
    puts_(o, ",");
    putu(o, 1024 + rnd() % 64000);
    puts_(o, ",");
    static const unsigned ports[] = {443, 80, 22, 3389, 53, 1433, 8080, 445};
    putu(o, rnd() % 4 ? ports[rnd() % 8] : rnd() % 65536);
    puts_(o, pr < 14 ? ",6," : pr < 19 ? ",17," : ",1,");
    puts_(o, inbound ? "I," : "O,");
    put(o, &state, 1);
    puts_(o, ",");
    puts_(o, enc);
    if (state == 'B' || state == 'D') {
        puts_(o, ",0,0,0,0\"");
        return;
    }
    uint64_t p1 = 1 + rnd() % 5000, p2 = rnd() % 5000;
    puts_(o, ",");
    putu(o, p1);
    puts_(o, ",");
    putu(o, p1 * (40 + rnd() % 1400));
    puts_(o, ",");
    putu(o, p2);
    puts_(o, ",");
    putu(o, p2 * (40 + rnd() % 1400));
    puts_(o, "\"");
}

static const char *const rules[] = {
    "PlatformRule", "DefaultRule_AllowInternetOutBound", "DefaultRule_DenyAllInBound",
    "DefaultRule_AllowVnetInBound", "UserRule_allow-https", "UserRule_deny-rdp",
};

static void put_record(struct out *o, unsigned n)
{
    char b[512];
    uint64_t ts_ms = 1786653106963ull + (uint64_t)n * 60000;
    snprintf(b, sizeof(b),
             "{\"time\":\"2026-08-13T%02u:%02u:%02u.%07uZ\",\"flowLogGUID\":\"%08x-b35c-4a7b-b925-%012x\","
             "\"macAddress\":\"0022486D%04X\",\"category\":\"FlowLogFlowEvent\",",
             n / 3600 % 24, n / 60 % 60, n % 60, rnd() % 10000000, rnd(), rnd(), rnd() % 0x10000);
    puts_(o, b);
    puts_(o, "\"flowLogResourceID\":\"/SUBSCRIPTIONS/71D310BF-1718-4D11-87D1-99A7D4E2053F/RESOURCEGROUPS/"
             "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/"
             "BENCH-VNET-FLOWLOG\",\"targetResourceID\":\"/subscriptions/71d310bf-1718-4d11-87d1-99a7d4e2053f/"
             "resourceGroups/bench-rg/providers/Microsoft.Network/virtualNetworks/bench-vnet\","
             "\"flowLogVersion\":4,\"operationName\":\"FlowLogFlowEvent\",\"flowRecords\":{\"flows\":[");
    size_t start = o->len;
    unsigned nacl = 1 + rnd() % 3, ngroup = 1 + rnd() % 3, total = nacl * ngroup, done = 0;
    size_t target = RECORD_TARGET - 200 - (rnd() % 1024);
    for (unsigned a = 0; a < nacl; a++) {
        if (a)
            puts_(o, ",");
        if (a == 0)
            puts_(o, "{\"aclID\":\"00000000-0000-0000-0000-000000000000\",\"flowGroups\":[");
        else {
            snprintf(b, sizeof(b),
                     "{\"aclID\":\"/subscriptions/71d310bf-1718-4d11-87d1-99a7d4e2053f/resourceGroups/"
                     "bench-rg/providers/Microsoft.Network/networkSecurityGroups/nsg-%u\",\"flowGroups\":[",
                     rnd() % 16);
            puts_(o, b);
        }
        for (unsigned g = 0; g < ngroup; g++) {
            if (g)
                puts_(o, ",");
            puts_(o, "{\"rule\":\"");
            puts_(o, rules[rnd() % (sizeof(rules) / sizeof(rules[0]))]);
            puts_(o, "\",\"flowTuples\":[");
            done++;
            int first = 1;
            /* This group's share of the record's bytes. */
            while (first || o->len - start < target * done / total) {
                if (!first)
                    puts_(o, ",");
                put_tuple(o, ts_ms + rnd() % 60000);
                first = 0;
            }
            puts_(o, "]}");
        }
        puts_(o, "]}");
    }
    puts_(o, "]}}");
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Exactly `size` bytes: records while they fit, blanks, then "]}". */
static int generate(const char *path, uint64_t size)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
        return -1;
    }
    struct out rec = {0}, pend = {0};
    uint64_t at = 0;
    unsigned n = 0;
    rng = 0x9E3779B97F4A7C15ull;
    put(&pend, HEAD, strlen(HEAD));
    for (;;) {
        rec.len = 0;
        if (n)
            put(&rec, ",", 1);
        put_record(&rec, n);
        if (at + pend.len + rec.len + strlen(TAIL) > size)
            break;
        put(&pend, rec.p, rec.len);
        n++;
        if (pend.len >= (4u << 20)) {
            if (write_all(fd, pend.p, pend.len) < 0)
                goto fail;
            at += pend.len;
            pend.len = 0;
        }
    }
    while (at + pend.len + strlen(TAIL) < size)
        put(&pend, (at + pend.len) % 128 ? " " : "\n", 1);
    put(&pend, TAIL, strlen(TAIL));
    if (write_all(fd, pend.p, pend.len) < 0)
        goto fail;
    free(rec.p);
    free(pend.p);
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("generated %s: %u records, %" PRIu64 " bytes\n", path, n, size);
    return 0;
fail:
    fprintf(stderr, "%s: write: %s\n", tmp, strerror(errno));
    close(fd);
    return -1;
}

/* The blob is reused when its size and both ends are right. */
static int blob_ok(const char *path, uint64_t size)
{
    struct stat st;
    char head[sizeof(HEAD) - 1], tail[2];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size == size &&
             pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
             memcmp(head, HEAD, sizeof(head)) == 0 &&
             pread(fd, tail, 2, (off_t)size - 2) == 2 && memcmp(tail, TAIL, 2) == 0;
    close(fd);
    return ok;
}

/* --- the variants, each in a child ----------------------------------------- */

struct result {
    int ok;
    uint64_t tuples, bytes, errors, checksum;
    double seconds;     /* wall clock */
    double cpu;         /* user + system: what the rates are computed from */
    long maxrss_kib;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What a consumer would read of a tuple: ports, protocol, counters, the
 * addresses and the labels.  Folded in the same way by both variants. */
static uint64_t fold(uint64_t sum, uint16_t sport, uint16_t dport, uint8_t proto,
                     const uint8_t *src, const uint8_t *dst, uint64_t pkts, uint64_t bytes)
{
    return sum + sport + dport + proto + src[0] + dst[3] + pkts + bytes;
}

static int azflow_tuple(const struct azf_tuple *t, void *u)
{
    struct result *r = u;
    r->tuples++;
    r->checksum = fold(r->checksum, t->sport, t->dport, t->proto, t->src.bytes, t->dst.bytes,
                       t->pkts_toserver + t->pkts_toclient, t->bytes_toserver + t->bytes_toclient);
    r->checksum += t->rule[0] + t->acl[0] + t->encryption[0] + t->state;
    return 0;
}

static void azflow_error(uint64_t off, const char *why, void *u)
{
    struct result *r = u;
    if (r->errors++ < 3)
        fprintf(stderr, "azflow: %" PRIu64 ": %s\n", off, why);
}

static void run_azflow(const char *path, struct result *r)
{
    char err[AZF_ERRBUF_SIZE];
    double t0 = now();
    int rc = azf_decode_file(path, azflow_tuple, azflow_error, r, err);
    r->seconds = now() - t0;
    if (rc < 0)
        fprintf(stderr, "azflow: %s\n", err);
    r->ok = rc == AZF_OK && r->errors == 0;
}

static uint64_t num(const char *p, size_t n)
{
    char b[24];
    if (n >= sizeof(b))
        n = sizeof(b) - 1;
    memcpy(b, p, n);
    b[n] = '\0';
    return strtoull(b, NULL, 10);
}

static int ip(const char *p, size_t n, uint8_t out[16])
{
    char b[64];
    if (n >= sizeof(b))
        return -1;
    memcpy(b, p, n);
    b[n] = '\0';
    memset(out, 0, 16);
    if (inet_pton(AF_INET, b, out) == 1)
        return 0;
    return inet_pton(AF_INET6, b, out) == 1 ? 0 : -1;
}

static void jansson_tuple(struct result *r, const char *s, size_t n, const char *rule, const char *acl)
{
    const char *f[13];
    size_t fl[13];
    int nf = 0;
    const char *p = s, *e = s + n;
    while (nf < 13) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        f[nf] = p;
        fl[nf++] = (size_t)((c ? c : e) - p);
        if (!c)
            break;
        p = c + 1;
    }
    uint8_t src[16], dst[16];
    if (nf != 13 || ip(f[1], fl[1], src) < 0 || ip(f[2], fl[2], dst) < 0) {
        r->errors++;
        return;
    }
    (void)num(f[0], fl[0]); /* the time stamp, parsed like the others */
    r->tuples++;
    r->checksum = fold(r->checksum, (uint16_t)num(f[3], fl[3]), (uint16_t)num(f[4], fl[4]),
                       (uint8_t)num(f[5], fl[5]), src, dst, num(f[9], fl[9]) + num(f[11], fl[11]),
                       num(f[10], fl[10]) + num(f[12], fl[12]));
    uint8_t state = f[7][0] == 'B' ? 1 : f[7][0] == 'C' ? 2 : f[7][0] == 'E' ? 3 : 4;
    r->checksum += (uint8_t)rule[0] + (uint8_t)acl[0] + (uint8_t)f[8][0] + state;
}

static void run_jansson(const char *path, struct result *r)
{
    double t0 = now();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        return;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size);
    while (buf && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf || got != size) {
        fprintf(stderr, "%s: read failed\n", path);
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb(buf, size, 0, &jerr);
    if (!root) {
        fprintf(stderr, "jansson: %s at line %d\n", jerr.text, jerr.line);
        return;
    }
    size_t i, j, k, m;
    json_t *rec, *flow, *group, *tup;
    json_array_foreach(json_object_get(root, "records"), i, rec) {
        json_t *flows = json_object_get(json_object_get(rec, "flowRecords"), "flows");
        json_array_foreach(flows, j, flow) {
            const char *acl = json_string_value(json_object_get(flow, "aclID"));
            json_array_foreach(json_object_get(flow, "flowGroups"), k, group) {
                const char *rule = json_string_value(json_object_get(group, "rule"));
                json_array_foreach(json_object_get(group, "flowTuples"), m, tup) {
                    jansson_tuple(r, json_string_value(tup), json_string_length(tup), rule ? rule : "",
                                  acl ? acl : "");
                }
            }
        }
    }
    r->seconds = now() - t0;
    /* Peak RSS is taken before the free, like the decoder's. */
    json_decref(root);
    free(buf);
    r->ok = r->errors == 0;
}

/* Runs one variant in a child; its peak RSS is its own. */
static int run_child(void (*fn)(const char *, struct result *), const char *path, struct result *r)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct result res = {0};
        struct rusage ru;
        close(pfd[0]);
        fn(path, &res);
        getrusage(RUSAGE_SELF, &ru);
        res.maxrss_kib = ru.ru_maxrss;
        res.cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                  ru.ru_stime.tv_usec / 1e6;
        if (write(pfd[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
            _exit(1);
        _exit(0);
    }
    close(pfd[1]);
    ssize_t n = read(pfd[0], r, sizeof(*r));
    close(pfd[0]);
    int status;
    waitpid(pid, &status, 0);
    return n == (ssize_t)sizeof(*r) && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Reads the blob once so every variant starts with it in the page cache. */
static void warm(const char *path)
{
    static char b[1 << 20];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    while (read(fd, b, sizeof(b)) > 0)
        ;
    close(fd);
}

struct variant {
    const char *name;
    void (*fn)(const char *, struct result *);
    const char *path;
    uint64_t size;
    struct result best; /* of the runs: the one with the median time */
};

static int by_seconds(const void *a, const void *b)
{
    const struct result *x = a, *y = b;
    return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

static void usage(void)
{
    fprintf(stderr, "usage: decode_bench [--dir DIR] [--mib N] [--small-mib N] [--runs N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dir = "build/bench";
    unsigned mib = 256, small_mib = 64, runs = 3;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[++i];
        else if (strcmp(argv[i], "--mib") == 0)
            mib = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--small-mib") == 0)
            small_mib = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = (unsigned)atoi(argv[++i]);
        else
            usage();
    }
    if (mib == 0 || small_mib == 0 || runs == 0 || runs > 15)
        usage();

    char big[4096], small[4096];
    snprintf(big, sizeof(big), "%s/vnet-g%d-%uMiB.json", dir, GEN_VERSION, mib);
    snprintf(small, sizeof(small), "%s/vnet-g%d-%uMiB.json", dir, GEN_VERSION, small_mib);
    mkdir(dir, 0755);
    const char *paths[2] = {small, big};
    uint64_t sizes[2] = {(uint64_t)small_mib << 20, (uint64_t)mib << 20};
    for (int i = 0; i < 2; i++)
        if (!blob_ok(paths[i], sizes[i]) && generate(paths[i], sizes[i]) < 0)
            return 1;

    struct variant v[] = {
        {"azflow", run_azflow, small, sizes[0], {0}},
        {"azflow", run_azflow, big, sizes[1], {0}},
        {"jansson", run_jansson, big, sizes[1], {0}},
    };
    size_t nv = sizeof(v) / sizeof(v[0]);
    printf("%u run(s) per variant, the median by CPU time shown; each run in a forked child, page\n"
           "cache warm; rates are per CPU second (user + system), wall time beside them\n\n", runs);
    printf("%-8s %9s %10s %8s %8s %11s %8s %13s\n", "decoder", "blob MiB", "tuples", "wall s", "CPU s",
           "Mtuples/s", "MB/s", "peak RSS MiB");
    int fail = 0;
    for (size_t i = 0; i < nv; i++) {
        struct result rs[15];
        for (unsigned k = 0; k < runs; k++) {
            warm(v[i].path);
            memset(&rs[k], 0, sizeof(rs[k]));
            if (run_child(v[i].fn, v[i].path, &rs[k]) < 0 || !rs[k].ok) {
                fprintf(stderr, "%s on %s failed\n", v[i].name, v[i].path);
                return 1;
            }
        }
        qsort(rs, runs, sizeof(rs[0]), by_seconds);
        struct result *r = &v[i].best;
        *r = rs[runs / 2];
        for (unsigned k = 0; k < runs; k++) /* the peak over all runs */
            if (rs[k].maxrss_kib > r->maxrss_kib)
                r->maxrss_kib = rs[k].maxrss_kib;
        printf("%-8s %9.0f %10" PRIu64 " %8.3f %8.3f %11.2f %8.1f %13.1f\n", v[i].name,
               v[i].size / 1048576.0, r->tuples, r->seconds, r->cpu, r->tuples / r->cpu / 1e6,
               v[i].size / r->cpu / 1e6, r->maxrss_kib / 1024.0);
    }
    struct result *a = &v[1].best, *s = &v[0].best, *j = &v[2].best;
    if (a->tuples != j->tuples || a->checksum != j->checksum) {
        fprintf(stderr, "azflow and jansson disagree: %" PRIu64 "/%" PRIu64 " tuples, checksum %" PRIx64
                        "/%" PRIx64 "\n", a->tuples, j->tuples, a->checksum, j->checksum);
        fail = 1;
    }
    double speed = (a->tuples / a->cpu) / (j->tuples / j->cpu);
    printf("\nazflow/jansson tuples/s: %.2fx   peak RSS: %.1f / %.1f MiB (jansson uses %.0fx more)\n",
           speed, a->maxrss_kib / 1024.0, j->maxrss_kib / 1024.0, (double)j->maxrss_kib / a->maxrss_kib);
    printf("azflow peak RSS, %u MiB blob vs %u MiB blob: %.1f vs %.1f MiB\n", small_mib, mib,
           s->maxrss_kib / 1024.0, a->maxrss_kib / 1024.0);
    double tps = a->tuples / a->cpu;
    printf("targets: >= 4 Mtuples/s %s (%.2f), >= 4x jansson %s (%.2fx), peak RSS <= 64 MiB %s (%.1f)\n",
           tps >= 4e6 ? "met" : "MISSED", tps / 1e6, speed >= 4 ? "met" : "MISSED", speed,
           a->maxrss_kib <= 64 * 1024 && s->maxrss_kib <= 64 * 1024 ? "met" : "MISSED",
           a->maxrss_kib / 1024.0);
    return fail;
}
