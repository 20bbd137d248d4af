/* Unit tests of the follower: blobs grown, torn, replaced and deleted the way
 * Azure, azcopy and cp do it, and bookmarks that survive a restart. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowlog.h"

#define HEAD "{\"records\":["
#define TAIL "]}"
/* 2026-11-28T04:00:00Z */
#define HOUR0 1795838400LL
#define MAXSEEN 256

/* --- what the callbacks saw ------------------------------------------------ */

struct seen {
    int n;
    int sport[MAXSEEN];
    int64_t ts_us[MAXSEEN];
    uint8_t source[MAXSEEN];
    char blob[MAXSEEN][512];
    int nblob_calls;
    char cur_blob[512];
    int nerrors;
    int nnotices;
    char notice[16][512]; /* "path: what" */
    int stop_after;       /* on_tuple asks to stop after this many (0: never) */
    int ncommits;
};

static int on_tuple(const struct azf_tuple *t, void *u)
{
    struct seen *s = u;
    assert_true(s->n < MAXSEEN);
    s->sport[s->n] = t->sport;
    s->ts_us[s->n] = t->ts_us;
    s->source[s->n] = t->source;
    snprintf(s->blob[s->n], sizeof(s->blob[0]), "%s", s->cur_blob);
    s->n++;
    return s->stop_after != 0 && s->n >= s->stop_after;
}

static void on_error(uint64_t offset, const char *reason, void *u)
{
    struct seen *s = u;
    print_message("error: %s:%llu: %s\n", s->cur_blob, (unsigned long long)offset, reason);
    s->nerrors++;
}

static void on_blob(const char *path, void *u)
{
    struct seen *s = u;
    snprintf(s->cur_blob, sizeof(s->cur_blob), "%s", path);
    s->nblob_calls++;
}

static void on_notice(const char *path, const char *what, void *u)
{
    struct seen *s = u;
    if (s->nnotices < 16)
        snprintf(s->notice[s->nnotices], sizeof(s->notice[0]), "%s: %s", path, what);
    s->nnotices++;
}

static int on_commit(void *u)
{
    ((struct seen *)u)->ncommits++;
    return 0;
}

static void reset_seen(struct seen *s)
{
    int stop = s->stop_after;
    memset(s, 0, sizeof(*s));
    s->stop_after = stop;
}

/* --- records and blobs ------------------------------------------------------- */

/* A VNet (flowLogVersion 4) record written at minute `min` of the hour,
 * one tuple per source port; a tuple's time is min:00 minus 30 s plus
 * port milliseconds, so each can be checked. */
static char *vnet_rec(int min, const int *ports, int n)
{
    char tuples[4096] = "";
    size_t off = 0;
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf(tuples + off, sizeof(tuples) - off,
                                "%s\"%lld,10.0.0.6,192.0.2.180,%d,443,6,O,B,NX,0,0,0,0\"", i ? "," : "",
                                (HOUR0 + min * 60 - 30) * 1000 + ports[i] % 1000, ports[i]);
    char *r;
    assert_true(asprintf(&r,
        "{\"time\":\"2026-11-28T04:%02d:00.0000000Z\",\"flowLogVersion\":4,"
        "\"flowLogGUID\":\"66aa66aa-6666-4aaa-8666-a6a6a6a6a6a6\",\"macAddress\":\"000D3AF87856\","
        "\"category\":\"FlowLogFlowEvent\","
        "\"flowLogResourceID\":\"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/"
        "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/FL\","
        "\"targetResourceID\":\"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/"
        "providers/Microsoft.Network/virtualNetworks/vnet1\",\"operationName\":\"FlowLogFlowEvent\","
        "\"flowRecords\":{\"flows\":[{\"aclID\":\"00000000-1234-abcd-ef00-c1c2c3c4c5c6\","
        "\"flowGroups\":[{\"rule\":\"DefaultRule_AllowInternetOutBound\",\"flowTuples\":[%s]}]}]}}",
        min, tuples) > 0);
    return r;
}

/* An NSG version 2 record; tuple time = min:00 minus 30 s (seconds). */
static char *nsg_rec(int min, const int *ports, int n)
{
    char tuples[4096] = "";
    size_t off = 0;
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf(tuples + off, sizeof(tuples) - off,
                                "%s\"%lld,192.0.2.10,10.0.0.4,%d,22,T,I,D,B,,,,\"", i ? "," : "",
                                HOUR0 + min * 60 - 30, ports[i]);
    char *r;
    assert_true(asprintf(&r,
        "{\"time\":\"2026-11-28T04:%02d:00.0000000Z\",\"systemId\":\"5f3c2e6b-0a1b-4c2d-8e3f-123456789abc\","
        "\"macAddress\":\"000D3AF87856\",\"category\":\"NetworkSecurityGroupFlowEvent\","
        "\"resourceId\":\"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG1/"
        "PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG1\","
        "\"operationName\":\"NetworkSecurityGroupFlowEvents\",\"properties\":{\"Version\":2,\"flows\":"
        "[{\"rule\":\"DefaultRule_DenyAllInBound\",\"flows\":[{\"mac\":\"000D3AF87856\","
        "\"flowTuples\":[%s]}]}]}}",
        min, tuples) > 0);
    return r;
}

/* The blob as Azure commits it after `n` data blocks. */
static char *azure_text(char **recs, int n)
{
    size_t len = strlen(HEAD) + strlen(TAIL) + 1;
    for (int i = 0; i < n; i++)
        len += strlen(recs[i]) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    strcpy(s, HEAD);
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, recs[i]);
    }
    strcat(s, TAIL);
    return s;
}

static void write_at(const char *path, const char *data, size_t len, int trunc)
{
    int fd = open(path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : 0), 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
    assert_int_equal(ftruncate(fd, (off_t)len), 0);
    close(fd);
}

/* In place, same inode: only the old "]}" and what follows change. */
static void put_blob(const char *path, const char *text)
{
    write_at(path, text, strlen(text), 0);
}

/* azcopy's way: a hidden temp file in the same folder renamed over. */
static void replace_blob(const char *path, const char *text)
{
    char tmp[1024];
    const char *slash = strrchr(path, '/');
    snprintf(tmp, sizeof(tmp), "%.*s/.azDownload-1234-PT1H.json", (int)(slash - path), path);
    write_at(tmp, text, strlen(text), 1);
    assert_int_equal(rename(tmp, path), 0);
}

static void put_recs(const char *path, char **recs, int n)
{
    char *t = azure_text(recs, n);
    put_blob(path, t);
    free(t);
}

static void mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

/* --- fixture: a temp folder per test ----------------------------------------- */

struct fx {
    char dir[64];       /* the temp folder */
    char root[256];     /* what is followed */
    char blob[600];     /* a PT1H.json inside root */
    char bm[256];       /* the bookmark file */
    struct seen s;
    struct azf_follower *f;
};

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    strcpy(x->dir, "/tmp/azf-follow-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->root, sizeof(x->root), "%s/flowlogs", x->dir);
    char d[512];
    snprintf(d, sizeof(d), "%s/y=2026/m=11/d=28/h=04/m=00/macAddress=000D3AF87856", x->root);
    mkdirs(d);
    snprintf(x->blob, sizeof(x->blob), "%s/PT1H.json", d);
    snprintf(x->bm, sizeof(x->bm), "%s/azflow.state", x->dir);
    *state = x;
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int teardown(void **state)
{
    struct fx *x = *state;
    azf_follower_free(x->f);
    nftw(x->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(x);
    return 0;
}

static struct azf_follower *open_follower(struct fx *x, const char *root, const char *bm)
{
    char errbuf[AZF_ERRBUF_SIZE];
    struct azf_follow_cbs cbs = { .on_tuple = on_tuple, .on_error = on_error, .on_blob = on_blob,
                                  .on_notice = on_notice, .user = &x->s, .on_commit = on_commit };
    struct azf_follower *f = azf_follower_new(root, bm, &cbs, errbuf);
    if (f == NULL)
        print_message("azf_follower_new: %s\n", errbuf);
    assert_non_null(f);
    return f;
}

static long poll_ok(struct fx *x)
{
    char errbuf[AZF_ERRBUF_SIZE];
    long n = azf_follower_poll(x->f, errbuf);
    if (n < 0)
        print_message("poll: %s\n", errbuf);
    assert_true(n >= 0);
    return n;
}

static void free_recs(char **recs, int n)
{
    for (int i = 0; i < n; i++)
        free(recs[i]);
}

static void assert_ports(const struct seen *s, const int *ports, int n)
{
    assert_int_equal(s->n, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(s->sport[i], ports[i]);
}

/* --- the tests ------------------------------------------------------------------ */

/* Minute by minute as Azure commits: each poll emits exactly the new record. */
static void test_azure_growth(void **state)
{
    struct fx *x = *state;
    int p1[] = { 1001 }, p2[] = { 1002 }, p3[] = { 1003, 1004 };
    char *recs[3] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 1), vnet_rec(3, p3, 2) };
    x->f = open_follower(x, x->root, x->bm);

    put_recs(x->blob, recs, 1);
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[0], 1001);
    assert_int_equal(x->s.source[0], AZF_SOURCE_VNET);
    /* 04:01:00 - 30 s + 1 ms */
    assert_int_equal(x->s.ts_us[0], ((HOUR0 + 30) * 1000 + 1) * 1000);
    assert_string_equal(x->s.blob[0], x->blob);

    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 1);
    put_recs(x->blob, recs, 3);
    assert_int_equal(poll_ok(x), 2);
    assert_int_equal(poll_ok(x), 0); /* nothing new */

    int want[] = { 1001, 1002, 1003, 1004 };
    assert_ports(&x->s, want, 4);
    assert_int_equal(x->s.nerrors, 0);
    assert_int_equal(x->s.nnotices, 0);
    assert_int_equal(x->s.nblob_calls, 3);
    free_recs(recs, 3);
}

/* "{"records":[]}" first (a blob with no data block yet), then records. */
static void test_empty_envelope_then_records(void **state)
{
    struct fx *x = *state;
    int p1[] = { 2001 }, p2[] = { 2002 };
    char *recs[2] = { nsg_rec(1, p1, 1), nsg_rec(2, p2, 1) };
    x->f = open_follower(x, x->root, NULL);

    put_recs(x->blob, recs, 0);
    assert_int_equal(poll_ok(x), 0);
    put_recs(x->blob, recs, 1);
    assert_int_equal(poll_ok(x), 1);
    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 1);
    int want[] = { 2001, 2002 };
    assert_ports(&x->s, want, 2);
    assert_int_equal(x->s.source[0], AZF_SOURCE_NSG);
    assert_int_equal(x->s.ts_us[1], (HOUR0 + 90) * 1000000LL);
    assert_int_equal(x->s.nerrors, 0);
    free_recs(recs, 2);
}

/* A copy that stops inside a record: nothing of it until it is complete. */
static void test_torn_write(void **state)
{
    struct fx *x = *state;
    int p1[] = { 3001 }, p2[] = { 3002, 3003 };
    char *recs[2] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 2) };
    char *full = azure_text(recs, 2);
    x->f = open_follower(x, x->root, x->bm);

    /* Ends in the middle of the second record, before its tuples. */
    size_t cut = strlen(HEAD) + strlen(recs[0]) + 1 + strlen(recs[1]) / 2;
    write_at(x->blob, full, cut, 1);
    assert_int_equal(poll_ok(x), 1);
    /* Now inside the second record's tuple list: still nothing of it. */
    cut = strlen(full) - 40;
    write_at(x->blob, full, cut, 1);
    assert_int_equal(poll_ok(x), 0);
    put_blob(x->blob, full);
    assert_int_equal(poll_ok(x), 2);
    int want[] = { 3001, 3002, 3003 };
    assert_ports(&x->s, want, 3);
    assert_int_equal(x->s.nerrors, 0);
    free(full);
    free_recs(recs, 2);
}

/* A new follower on the same bookmark file repeats nothing and goes on. */
static void test_restart_from_bookmarks(void **state)
{
    struct fx *x = *state;
    int p1[] = { 4001 }, p2[] = { 4002 }, p3[] = { 4003 };
    char *recs[3] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 1), vnet_rec(3, p3, 1) };
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 2);
    assert_true(x->s.ncommits >= 1);
    azf_follower_free(x->f);

    /* The file names the blob by its absolute path, on the last column. */
    FILE *fp = fopen(x->bm, "r");
    assert_non_null(fp);
    char line[2048];
    assert_non_null(fgets(line, sizeof(line), fp));
    assert_string_equal(line, "# azflow bookmarks 1\n");
    int found = 0;
    while (fgets(line, sizeof(line), fp))
        found += strstr(line, "/y=2026/m=11/d=28/h=04/m=00/macAddress=000D3AF87856/PT1H.json") != NULL;
    fclose(fp);
    assert_int_equal(found, 1);

    reset_seen(&x->s);
    x->f = open_follower(x, x->root, x->bm);
    assert_int_equal(poll_ok(x), 0);
    put_recs(x->blob, recs, 3);
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[0], 4003);

    /* And once more, with the root spelled differently (trailing slash,
     * relative): still the same blob. */
    azf_follower_free(x->f);
    reset_seen(&x->s);
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(x->dir), 0);
    x->f = open_follower(x, "flowlogs/", x->bm);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(x->s.n, 0);
    free_recs(recs, 3);
}

/* After a restart, replay hands out what was delivered before — only the
 * recent part, only through its own callback — and leaves the bookmarks
 * alone; a blob whose start changed is not replayed. */
static void test_replay_after_restart(void **state)
{
    struct fx *x = *state;
    int p1[] = { 5001, 5002 }, p2[] = { 5003 }, p3[] = { 5004 };
    char *recs[3] = { vnet_rec(1, p1, 2), vnet_rec(2, p2, 1), vnet_rec(3, p3, 1) };
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 3);
    azf_follower_free(x->f);

    reset_seen(&x->s);
    x->f = open_follower(x, x->root, x->bm);
    struct seen replayed = { 0 };
    /* Minute 2's tuple is at 04:01:30 + 3 ms; minute 1's are a minute older. */
    int64_t since = (HOUR0 + 60) * 1000000LL;
    assert_int_equal(azf_follower_replay(x->f, since, on_tuple, &replayed), 1);
    assert_int_equal(replayed.n, 1);
    assert_int_equal(replayed.sport[0], 5003);
    assert_int_equal(azf_follower_replay(x->f, 0, on_tuple, &replayed), 3);
    /* Nothing reached the follower's own callback; its position holds. */
    assert_int_equal(x->s.n, 0);
    assert_int_equal(poll_ok(x), 0);
    put_recs(x->blob, recs, 3);
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[0], 5004);

    /* Other content under the same name: nothing is replayed from it. */
    azf_follower_free(x->f);
    replace_blob(x->blob, "{\"records\":[]}");
    x->f = open_follower(x, x->root, x->bm);
    struct seen none = { 0 };
    assert_int_equal(azf_follower_replay(x->f, 0, on_tuple, &none), 0);
    free_recs(recs, 3);
}

/* The next hour's blob in the next h= folder is read from its start; the
 * finished one is not read again. */
static void test_hour_rollover(void **state)
{
    struct fx *x = *state;
    int p1[] = { 5001 }, p2[] = { 5002 }, p3[] = { 5003 };
    char *recs[2] = { vnet_rec(58, p1, 1), vnet_rec(59, p2, 1) };
    char *next[1] = { vnet_rec(0, p3, 1) };
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 2);

    char d[512], blob2[600];
    snprintf(d, sizeof(d), "%s/y=2026/m=11/d=28/h=05/m=00/macAddress=000D3AF87856", x->root);
    mkdirs(d);
    snprintf(blob2, sizeof(blob2), "%s/PT1H.json", d);
    put_recs(blob2, next, 1);
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[2], 5003);
    assert_string_equal(x->s.blob[2], blob2);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(x->s.nnotices, 0);
    free_recs(recs, 2);
    free_recs(next, 1);
}

/* Cut shorter with other content: start over and say so. */
static void test_truncation(void **state)
{
    struct fx *x = *state;
    int p1[] = { 6001 }, p2[] = { 6002 }, p3[] = { 6003 }, q[] = { 6100 };
    char *recs[3] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 1), vnet_rec(3, p3, 1) };
    char *other[1] = { vnet_rec(7, q, 1) };
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 3);
    assert_int_equal(poll_ok(x), 3);

    char *t = azure_text(other, 1);
    write_at(x->blob, t, strlen(t), 1); /* cp over it: O_TRUNC, same inode */
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[3], 6100);
    assert_int_equal(x->s.nnotices, 1);
    assert_non_null(strstr(x->s.notice[0], "truncated"));
    assert_non_null(strstr(x->s.notice[0], x->blob));
    free(t);
    free_recs(recs, 3);
    free_recs(other, 1);
}

/* Replaced by a longer, different blob: start over, every tuple of it. */
static void test_replacement_different(void **state)
{
    struct fx *x = *state;
    int p1[] = { 7001 }, q1[] = { 7101 }, q2[] = { 7102 }, q3[] = { 7103 };
    char *recs[1] = { vnet_rec(1, p1, 1) };
    char *other[3] = { vnet_rec(1, q1, 1), vnet_rec(2, q2, 1), vnet_rec(3, q3, 1) };
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 1);
    assert_int_equal(poll_ok(x), 1);

    char *t = azure_text(other, 3);
    replace_blob(x->blob, t);
    assert_int_equal(poll_ok(x), 3);
    int want[] = { 7001, 7101, 7102, 7103 };
    assert_ports(&x->s, want, 4);
    assert_int_equal(x->s.nnotices, 1);
    assert_non_null(strstr(x->s.notice[0], "replaced"));
    free(t);
    free_recs(recs, 1);
    free_recs(other, 3);
}

/* azcopy sync: a hidden temp file, then renamed over (new inode) with the
 * same start plus new records: only the new records, no restart. */
static void test_azcopy_replacement(void **state)
{
    struct fx *x = *state;
    int p1[] = { 8001 }, p2[] = { 8002 }, p3[] = { 8003 }, p4[] = { 8004 };
    char *recs[4] = { nsg_rec(1, p1, 1), nsg_rec(2, p2, 1), nsg_rec(3, p3, 1), nsg_rec(4, p4, 1) };
    x->f = open_follower(x, x->root, x->bm);
    char *t = azure_text(recs, 2);
    replace_blob(x->blob, t);
    free(t);
    assert_int_equal(poll_ok(x), 2);

    struct stat before, after;
    assert_int_equal(stat(x->blob, &before), 0);
    /* The download in progress is hidden: not read. */
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%.*s/.azDownload-1234-PT1H.json",
             (int)(strrchr(x->blob, '/') - x->blob), x->blob);
    t = azure_text(recs, 3);
    write_at(tmp, t, strlen(t), 1);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(rename(tmp, x->blob), 0);
    free(t);
    assert_int_equal(stat(x->blob, &after), 0);
    assert_true(before.st_ino != after.st_ino);
    assert_int_equal(poll_ok(x), 1);

    t = azure_text(recs, 4);
    replace_blob(x->blob, t);
    free(t);
    assert_int_equal(poll_ok(x), 1);
    int want[] = { 8001, 8002, 8003, 8004 };
    assert_ports(&x->s, want, 4);
    assert_int_equal(x->s.nnotices, 0);
    assert_int_equal(x->s.nerrors, 0);
    free_recs(recs, 4);
}

static int file_mentions(const char *file, const char *what)
{
    FILE *fp = fopen(file, "r");
    assert_non_null(fp);
    char line[2048];
    int found = 0;
    while (fgets(line, sizeof(line), fp))
        found += strstr(line, what) != NULL;
    fclose(fp);
    return found;
}

/* A deleted blob loses its bookmark; one created again under the name is
 * new.  But when every blob vanishes at once (an unmounted share) the
 * positions stay, so the same blobs coming back are not read twice. */
static void test_deleted_blob(void **state)
{
    struct fx *x = *state;
    int p1[] = { 9001 }, p2[] = { 9002 }, p3[] = { 9003 };
    char *recs[1] = { vnet_rec(1, p1, 1) };
    char *later[1] = { vnet_rec(0, p2, 1) };
    char *again[1] = { vnet_rec(2, p3, 1) };
    char d[512], blob2[600];
    snprintf(d, sizeof(d), "%s/y=2026/m=11/d=28/h=05/m=00/macAddress=000D3AF87856", x->root);
    mkdirs(d);
    snprintf(blob2, sizeof(blob2), "%s/PT1H.json", d);
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 1);
    put_recs(blob2, later, 1);
    assert_int_equal(poll_ok(x), 2);
    assert_int_equal(file_mentions(x->bm, "/h=04/"), 1);

    assert_int_equal(unlink(x->blob), 0);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(x->s.nnotices, 1);
    assert_non_null(strstr(x->s.notice[0], "gone"));
    assert_non_null(strstr(x->s.notice[0], x->blob));
    assert_int_equal(file_mentions(x->bm, "/h=04/"), 0);
    assert_int_equal(file_mentions(x->bm, "/h=05/"), 1);

    put_recs(x->blob, again, 1);
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[2], 9003);

    /* Everything vanishes, then comes back as it was. */
    char *t1 = azure_text(again, 1), *t2 = azure_text(later, 1);
    assert_int_equal(unlink(x->blob), 0);
    assert_int_equal(unlink(blob2), 0);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(x->s.nnotices, 2); /* said once */
    assert_non_null(strstr(x->s.notice[1], "no blobs"));
    put_blob(x->blob, t1);
    put_blob(blob2, t2);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(x->s.n, 3);
    free(t1);
    free(t2);
    free_recs(recs, 1);
    free_recs(later, 1);
    free_recs(again, 1);
}

static void write_text(const char *path, const char *text)
{
    write_at(path, text, strlen(text), 1);
}

/* A damaged bookmark file stops start-up, naming the file and the line. */
static void test_corrupt_bookmarks(void **state)
{
    struct fx *x = *state;
    struct azf_follow_cbs cbs = { .on_tuple = on_tuple, .user = &x->s };
    char errbuf[AZF_ERRBUF_SIZE], want[512];

    write_text(x->bm, "# azflow bookmarks 1\n12 14 1 2 3 00112233aabbccdd 0 /x/PT1H.json\n"
                      "12 oops 1 2 3 00112233aabbccdd 0 /y/PT1H.json\n");
    assert_null(azf_follower_new(x->root, x->bm, &cbs, errbuf));
    snprintf(want, sizeof(want), "%s:3:", x->bm);
    assert_non_null(strstr(errbuf, want));

    write_text(x->bm, "not a bookmark file\n");
    assert_null(azf_follower_new(x->root, x->bm, &cbs, errbuf));
    snprintf(want, sizeof(want), "%s:1:", x->bm);
    assert_non_null(strstr(errbuf, want));

    /* Offset past the size it claims. */
    write_text(x->bm, "# azflow bookmarks 1\n99 14 1 2 3 00112233aabbccdd 0 /x/PT1H.json\n");
    assert_null(azf_follower_new(x->root, x->bm, &cbs, errbuf));
    snprintf(want, sizeof(want), "%s:2:", x->bm);
    assert_non_null(strstr(errbuf, want));

    /* A path with spaces is fine: it is the last column. */
    write_text(x->bm, "# azflow bookmarks 1\n12 14 1 2 3 00112233aabbccdd 0 /x/a b/PT1H.json\n");
    struct azf_follower *f = azf_follower_new(x->root, x->bm, &cbs, errbuf);
    assert_non_null(f);
    azf_follower_free(f);

    /* A missing root is named too. */
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/nowhere", x->dir);
    assert_null(azf_follower_new(missing, NULL, &cbs, errbuf));
    assert_non_null(strstr(errbuf, missing));
}

/* NDJSON, one record per line, appended line by line. */
static void test_ndjson_appended(void **state)
{
    struct fx *x = *state;
    int p1[] = { 10001 }, p2[] = { 10002 }, p3[] = { 10003, 10004 };
    char *recs[3] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 1), vnet_rec(3, p3, 2) };
    char path[600];
    snprintf(path, sizeof(path), "%s/flows.json", x->root);
    x->f = open_follower(x, x->root, x->bm);

    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%s\n", recs[0]);
    fflush(fp);
    assert_int_equal(poll_ok(x), 1);
    fprintf(fp, "%s\n", recs[1]);
    fflush(fp);
    assert_int_equal(poll_ok(x), 1);
    size_t half = strlen(recs[2]) / 2;
    fprintf(fp, "%.*s", (int)half, recs[2]);
    fflush(fp);
    assert_int_equal(poll_ok(x), 0);
    fprintf(fp, "%s\n", recs[2] + half);
    fclose(fp);
    assert_int_equal(poll_ok(x), 2);
    int want[] = { 10001, 10002, 10003, 10004 };
    assert_ports(&x->s, want, 4);
    assert_int_equal(x->s.nerrors, 0);
    free_recs(recs, 3);
}

/* The caller stops in the middle of a record: the poll ends there (the
 * next blob is left for later), and the next poll (or a restarted
 * follower) goes on with the tuple after the last one handed out. */
static void test_stop_inside_record(void **state)
{
    struct fx *x = *state;
    int p1[] = { 11001, 11002, 11003, 11004 }, p2[] = { 11005 }, q[] = { 11100 };
    char *recs[2] = { vnet_rec(1, p1, 4), vnet_rec(2, p2, 1) };
    char *other[1] = { vnet_rec(0, q, 1) };
    char d[512], blob2[600];
    snprintf(d, sizeof(d), "%s/y=2026/m=11/d=28/h=05/m=00/macAddress=000D3AF87856", x->root);
    mkdirs(d);
    snprintf(blob2, sizeof(blob2), "%s/PT1H.json", d);
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 1);
    put_recs(blob2, other, 1);

    x->s.stop_after = 2;
    assert_int_equal(poll_ok(x), 2);
    azf_follower_free(x->f);

    x->f = open_follower(x, x->root, x->bm);
    x->s.stop_after = 3;
    assert_int_equal(poll_ok(x), 1);
    x->s.stop_after = 0;
    assert_int_equal(poll_ok(x), 2);
    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 1);
    int want[] = { 11001, 11002, 11003, 11004, 11100, 11005 };
    assert_ports(&x->s, want, 6);
    free_recs(recs, 2);
    free_recs(other, 1);
}

/* azcopy's in-place download: full size at once, zero bytes until filled.
 * Zeros are never fed, and a start that is still zeros is waited for. */
static void test_nul_filled_download(void **state)
{
    struct fx *x = *state;
    int p1[] = { 12001 }, p2[] = { 12002 }, p3[] = { 12003 };
    char *recs[3] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 1), vnet_rec(3, p3, 1) };
    x->f = open_follower(x, x->root, x->bm);
    put_recs(x->blob, recs, 1);
    assert_int_equal(poll_ok(x), 1);

    /* Growth whose new part is still zeros. */
    char *t = azure_text(recs, 2);
    size_t len = strlen(t);
    char *z = calloc(1, len);
    assert_non_null(z);
    size_t keep = strlen(HEAD) + strlen(recs[0]);
    memcpy(z, t, keep);
    write_at(x->blob, z, len, 1);
    assert_int_equal(poll_ok(x), 0);
    put_blob(x->blob, t);
    assert_int_equal(poll_ok(x), 1);
    free(t);
    free(z);

    /* A rewrite whose start is still zeros: wait, do not start over. */
    t = azure_text(recs, 3);
    len = strlen(t);
    z = calloc(1, len);
    assert_non_null(z);
    memcpy(z + 100, t + 100, len - 100);
    write_at(x->blob, z, len, 1);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(x->s.nnotices, 1);
    assert_non_null(strstr(x->s.notice[0], "NUL"));
    put_blob(x->blob, t);
    assert_int_equal(poll_ok(x), 1);
    int want[] = { 12001, 12002, 12003 };
    assert_ports(&x->s, want, 3);
    assert_int_equal(x->s.nnotices, 1); /* no restart */
    assert_int_equal(x->s.nerrors, 0);
    free(t);
    free(z);
    free_recs(recs, 3);
}

/* One file as the root, and a filter that leaves a blob out. */
static void test_single_file_and_filter(void **state)
{
    struct fx *x = *state;
    int p1[] = { 13001 }, p2[] = { 13002 };
    char *recs[2] = { nsg_rec(1, p1, 1), nsg_rec(2, p2, 1) };
    put_recs(x->blob, recs, 1);
    x->f = open_follower(x, x->blob, x->bm);
    assert_int_equal(poll_ok(x), 1);
    put_recs(x->blob, recs, 2);
    assert_int_equal(poll_ok(x), 1);
    assert_string_equal(x->s.blob[1], x->blob);
    azf_follower_free(x->f);
    x->f = NULL;
    free_recs(recs, 2);
}

static int reject_h05(const char *path, void *u)
{
    (void)u;
    return strstr(path, "/h=05/") == NULL;
}

static void test_filter(void **state)
{
    struct fx *x = *state;
    int p1[] = { 14001 }, p2[] = { 14002 };
    char *a[1] = { vnet_rec(1, p1, 1) }, *b[1] = { vnet_rec(1, p2, 1) };
    char d[512], blob2[600];
    snprintf(d, sizeof(d), "%s/y=2026/m=11/d=28/h=05/m=00/macAddress=000D3AF87856", x->root);
    mkdirs(d);
    snprintf(blob2, sizeof(blob2), "%s/PT1H.json", d);
    put_recs(x->blob, a, 1);
    put_recs(blob2, b, 1);
    x->f = open_follower(x, x->root, NULL);
    azf_follower_set_filter(x->f, reject_h05, NULL);
    assert_int_equal(poll_ok(x), 1);
    assert_int_equal(x->s.sport[0], 14001);
    free_recs(a, 1);
    free_recs(b, 1);
}

/* Two followers on disjoint roots share one bookmark file, polled in turn. */
static void test_shared_bookmarks(void **state)
{
    struct fx *x = *state;
    int p1[] = { 15001 }, p2[] = { 15002 }, p3[] = { 15003 };
    char *a[2] = { vnet_rec(1, p1, 1), vnet_rec(2, p3, 1) }, *b[1] = { nsg_rec(1, p2, 1) };
    char root2[300], blob2[400];
    snprintf(root2, sizeof(root2), "%s/nsglogs", x->dir);
    mkdirs(root2);
    snprintf(blob2, sizeof(blob2), "%s/PT1H.json", root2);
    put_recs(x->blob, a, 1);
    put_recs(blob2, b, 1);

    x->f = open_follower(x, x->root, x->bm);
    struct azf_follower *g = open_follower(x, root2, x->bm);
    assert_int_equal(poll_ok(x), 1);
    char errbuf[AZF_ERRBUF_SIZE];
    assert_int_equal(azf_follower_poll(g, errbuf), 1);
    put_recs(x->blob, a, 2);
    assert_int_equal(poll_ok(x), 1);
    azf_follower_free(g);
    azf_follower_free(x->f);

    /* Both positions survived: a restart of both repeats nothing. */
    x->f = open_follower(x, x->root, x->bm);
    g = open_follower(x, root2, x->bm);
    assert_int_equal(poll_ok(x), 0);
    assert_int_equal(azf_follower_poll(g, errbuf), 0);
    azf_follower_free(g);
    int want[] = { 15001, 15002, 15003 };
    assert_ports(&x->s, want, 3);
    free_recs(a, 2);
    free_recs(b, 1);
}

/* Paths with spaces, a backslash and a newline survive the bookmark file. */
static void test_odd_path_bookmarks(void **state)
{
    struct fx *x = *state;
    int p1[] = { 16001 }, p2[] = { 16002 };
    char *recs[2] = { vnet_rec(1, p1, 1), vnet_rec(2, p2, 1) };
    char d[512], blob2[600];
    snprintf(d, sizeof(d), "%s/odd dir\\with\nnewline", x->root);
    mkdirs(d);
    snprintf(blob2, sizeof(blob2), "%s/PT1H.json", d);
    put_recs(blob2, recs, 1);
    x->f = open_follower(x, x->root, x->bm);
    assert_int_equal(poll_ok(x), 1);
    azf_follower_free(x->f);
    x->f = open_follower(x, x->root, x->bm);
    assert_int_equal(poll_ok(x), 0);
    put_recs(blob2, recs, 2);
    assert_int_equal(poll_ok(x), 1);
    int want[] = { 16001, 16002 };
    assert_ports(&x->s, want, 2);
    assert_string_equal(x->s.blob[1], blob2);
    assert_int_equal(x->s.nnotices, 0);
    free_recs(recs, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_azure_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_envelope_then_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_from_bookmarks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hour_rollover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replacement_different, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azcopy_replacement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_bookmarks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ndjson_appended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_inside_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_filled_download, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_file_and_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_bookmarks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_path_bookmarks, setup, teardown),
    };
    return cmocka_run_group_tests_name("follow", tests, NULL, NULL);
}
