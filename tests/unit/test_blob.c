/* Unit tests of the storage client's pure parts: URLs, durations, dates,
 * List Blobs answers, the SAS expiry rule and the Shared Key signature (its
 * expected value computed apart, with Python's hmac, over the string to
 * sign Azurite logged in research/blob-ingestion.md §2.4). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/blob_int.h"

static void url_vhost(void **state)
{
    struct azf_blob_url u;
    char err[AZF_ERRBUF_SIZE];
    assert_int_equal(azf_blob_url_parse("https://acct.blob.core.windows.net/insights-logs-flowlogflowevent/flowLogResourceID=/X/", &u, err), 0);
    assert_string_equal(u.origin, "https://acct.blob.core.windows.net");
    assert_string_equal(u.account, "acct");
    assert_string_equal(u.container, "insights-logs-flowlogflowevent");
    assert_string_equal(u.prefix, "flowLogResourceID=/X");
    assert_string_equal(u.path, "/insights-logs-flowlogflowevent");
    azf_blob_url_free(&u);
}

static void url_path_style(void **state)
{
    struct azf_blob_url u;
    char err[AZF_ERRBUF_SIZE];
    assert_int_equal(azf_blob_url_parse("http://127.0.0.1:10000/devstoreaccount1/cont/resourceId%3D%2FSUB", &u, err), 0);
    assert_string_equal(u.origin, "http://127.0.0.1:10000");
    assert_string_equal(u.account, "devstoreaccount1");
    assert_string_equal(u.container, "cont");
    assert_string_equal(u.prefix, "resourceId=/SUB");
    assert_string_equal(u.path, "/devstoreaccount1/cont");
    assert_string_equal(u.printed, "http://127.0.0.1:10000/devstoreaccount1/cont/resourceId=/SUB");
    azf_blob_url_free(&u);
    /* The scheme in any case is a URL, spelt one way (bookmark keys). */
    assert_true(azf_is_blob_url("HTTP://127.0.0.1:10000/devstoreaccount1/cont"));
    assert_int_equal(azf_blob_url_parse("HTTP://127.0.0.1:10000/devstoreaccount1/cont", &u, err), 0);
    assert_string_equal(u.origin, "http://127.0.0.1:10000");
    assert_string_equal(u.printed, "http://127.0.0.1:10000/devstoreaccount1/cont");
    azf_blob_url_free(&u);
}

static void url_refused(void **state)
{
    struct azf_blob_url u;
    char err[AZF_ERRBUF_SIZE];
    /* A query would be printed with the URL: refused, and not echoed. */
    assert_int_equal(azf_blob_url_parse("https://a.blob.core.windows.net/c?sv=1&sig=SECRET", &u, err), -1);
    assert_null(strstr(err, "SECRET"));
    assert_non_null(strstr(err, "sas-file"));
    assert_int_equal(azf_blob_url_parse("HTTPS://a.blob.core.windows.net/c?sv=1&sig=SECRET", &u, err), -1);
    assert_null(strstr(err, "SECRET"));
    assert_int_equal(azf_blob_url_parse("https://a.blob.core.windows.net/", &u, err), -1);
    assert_int_equal(azf_blob_url_parse("http://127.0.0.1:10000/devstoreaccount1", &u, err), -1);
    assert_int_equal(azf_blob_url_parse("/var/lib/flowlogs", &u, err), -1);
    /* user:password@ would be printed with every message naming the source. */
    assert_int_equal(azf_blob_url_parse("https://me:SECRET@a.blob.core.windows.net/c", &u, err), -1);
    assert_null(strstr(err, "SECRET"));
    assert_non_null(strstr(err, "credentials in the URL are refused"));
}

static void durations(void **state)
{
    int64_t s;
    assert_int_equal(azf_duration_parse("90", &s), 0);
    assert_int_equal(s, 90);
    assert_int_equal(azf_duration_parse("15m", &s), 0);
    assert_int_equal(s, 900);
    assert_int_equal(azf_duration_parse("2h", &s), 0);
    assert_int_equal(s, 7200);
    assert_int_equal(azf_duration_parse("3d", &s), 0);
    assert_int_equal(s, 259200);
    assert_int_equal(azf_duration_parse("2x", &s), -1);
    assert_int_equal(azf_duration_parse("-1h", &s), -1);
    assert_int_equal(azf_duration_parse("", &s), -1);
    assert_int_equal(azf_duration_parse("400d", &s), -1);
}

static void rfc1123(void **state)
{
    /* 2026-11-28T04:27:22Z */
    assert_int_equal(azf_rfc1123("Sat, 28 Nov 2026 04:27:22 GMT"), 1795840042LL);
    assert_int_equal(azf_rfc1123("28 Nov 2026"), -1);
    assert_int_equal(azf_rfc1123("Sat, 28 Foo 2026 04:27:22 GMT"), -1);
}

static void listing(void **state)
{
    const char *page =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><EnumerationResults ContainerName=\"c\"><Prefix>p</Prefix>"
        "<Blobs><BlobPrefix><Name>resourceId=/A/y=</Name></BlobPrefix>"
        "<Blob><Name>a/y=2026/m=11/d=28/h=04/PT1H.json</Name><Properties>"
        "<Creation-Time>Sat, 28 Nov 2026 04:27:22 GMT</Creation-Time><Etag>0x256586E45044060</Etag>"
        "<Content-Length>1221</Content-Length></Properties><Metadata><Name>not a blob name</Name></Metadata></Blob>"
        "<Blob><Name>b&amp;c.json</Name><Properties><Etag>\"0x1\"</Etag><Content-Length>14</Content-Length>"
        "</Properties></Blob></Blobs><NextMarker>2!96!MDAw</NextMarker></EnumerationResults>";
    struct azf_listing l = { 0 };
    char err[AZF_ERRBUF_SIZE];
    assert_int_equal(azf_listing_parse(page, strlen(page), &l, err), 0);
    assert_int_equal(l.nblobs, 2);
    assert_int_equal(l.nprefixes, 1);
    assert_string_equal(l.prefixes[0], "resourceId=/A/y=");
    assert_string_equal(l.blobs[0].name, "a/y=2026/m=11/d=28/h=04/PT1H.json");
    assert_int_equal(l.blobs[0].size, 1221);
    assert_int_equal(l.blobs[0].created, 1795840042LL);
    assert_string_equal(l.blobs[0].etag, "0x256586E45044060");
    assert_string_equal(l.blobs[1].name, "b&c.json");
    assert_string_equal(l.blobs[1].etag, "0x1");
    assert_string_equal(l.next_marker, "2!96!MDAw");
    /* The last page: an empty NextMarker; pages append. */
    const char *last = "<EnumerationResults><Blobs><Blob><Name>z.json</Name><Properties><Content-Length>2"
                       "</Content-Length></Properties></Blob></Blobs><NextMarker/></EnumerationResults>";
    assert_int_equal(azf_listing_parse(last, strlen(last), &l, err), 0);
    assert_int_equal(l.nblobs, 3);
    assert_true(l.next_marker == NULL || l.next_marker[0] == '\0');
    /* An XML error body or a cut answer is an error, not an empty listing. */
    assert_int_equal(azf_listing_parse("<EnumerationResults><Blobs><Blob><Na", 36, &l, err), -1);
    assert_non_null(strstr(err, "not XML"));
    azf_listing_free(&l);
}

/* A page whose middle blob's name is longer than Azure allows: that blob
 * is skipped and noted at the byte offset of its Name, the blobs around it
 * are read (was: the whole page failed as "out of memory").  A name between
 * 2,048 bytes and the limit (1,024 characters of UTF-8) is read.  A
 * NextMarker too long to send back fails the page (not a listing cut short
 * without a word). */
static void listing_long_names(void **state)
{
    char *fit = malloc(AZF_NAME_MAX + 1), *over = malloc(AZF_NAME_MAX + 2);
    assert_non_null(fit);
    assert_non_null(over);
    memset(fit, 'f', AZF_NAME_MAX);
    fit[AZF_NAME_MAX] = '\0';
    memset(over, 'o', AZF_NAME_MAX + 1);
    over[AZF_NAME_MAX + 1] = '\0';
    char *page = NULL;
    assert_true(asprintf(&page,
                         "<EnumerationResults><Blobs>"
                         "<Blob><Name>a.json</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>"
                         "<Blob><Name>%s</Name><Properties><Content-Length>2</Content-Length></Properties></Blob>"
                         "<Blob><Name>%s</Name><Properties><Content-Length>3</Content-Length></Properties></Blob>"
                         "<Blob><Properties><Content-Length>4</Content-Length></Properties></Blob>"
                         "<BlobPrefix><Name>%s</Name></BlobPrefix>"
                         "</Blobs><NextMarker/></EnumerationResults>",
                         over, fit, over) > 0);
    struct azf_listing l = { 0 };
    char err[AZF_ERRBUF_SIZE];
    assert_int_equal(azf_listing_parse(page, strlen(page), &l, err), 0);
    assert_int_equal(l.nblobs, 2);
    assert_string_equal(l.blobs[0].name, "a.json");
    assert_string_equal(l.blobs[1].name, fit);
    assert_int_equal(l.blobs[1].size, 3);
    assert_int_equal(l.nprefixes, 0);
    assert_int_equal(l.nskipped, 3);
    const char *second = strstr(page, "</Blob>") + strlen("</Blob><Blob>");
    assert_int_equal(l.skipped[0].offset, (uint64_t)(second - page));
    assert_memory_equal(page + l.skipped[0].offset, "<Name>oooo", 10);
    assert_int_equal(l.skipped[0].len, AZF_NAME_MAX + 1);
    assert_int_equal(l.skipped[0].prefix, 0);
    assert_int_equal(l.skipped[1].len, 0); /* the Blob without a Name */
    assert_int_equal(l.skipped[2].prefix, 1);
    assert_int_equal(l.skipped[2].hash, l.skipped[0].hash); /* the same name */
    azf_listing_free(&l);
    free(page);
    /* A NextMarker longer than any Azure makes: the listing cannot go on. */
    char *marker = malloc(8 * AZF_NAME_MAX);
    assert_non_null(marker);
    memset(marker, 'm', 8 * AZF_NAME_MAX - 1);
    marker[8 * AZF_NAME_MAX - 1] = '\0';
    assert_true(asprintf(&page, "<EnumerationResults><Blobs><Blob><Name>a.json</Name></Blob></Blobs>"
                                "<NextMarker>%s</NextMarker></EnumerationResults>", marker) > 0);
    assert_int_equal(azf_listing_parse(page, strlen(page), &l, err), -1);
    assert_non_null(strstr(err, "NextMarker over"));
    azf_listing_free(&l);
    free(page);
    free(marker);
    free(fit);
    free(over);
}

static void shared_key(void **state)
{
    struct azf_cred c;
    struct azf_blob_opts o = { 0 };
    char err[AZF_ERRBUF_SIZE];
    setenv("AZURE_STORAGE_KEY",
           "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", 1);
    unsetenv("AZURE_STORAGE_SAS_TOKEN");
    assert_int_equal(azf_cred_load(&c, &o, NULL, NULL, err), 0);
    assert_int_equal(c.kind, AZF_CRED_KEY);
    assert_int_equal(c.keylen, 64);
    const char *sts = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sat, 28 Nov 2026 04:30:55 GMT\nx-ms-version:2021-12-02\n"
                      "/devstoreaccount1/devstoreaccount1/insights-logs-networksecuritygroupflowevent\ncomp:list\n"
                      "maxresults:3\nprefix:resourceId=/\nrestype:container";
    char auth[128];
    assert_int_equal(azf_cred_sign(&c, "devstoreaccount1", sts, auth, sizeof(auth)), 0);
    assert_string_equal(auth, "SharedKey devstoreaccount1:DHI8TWVNyGw86+OwHfqxnf3BmcRgOn4gLcHoMpK8odw=");
    azf_cred_free(&c);
    unsetenv("AZURE_STORAGE_KEY");
}

static int notes;
static void count_note(const char *what, void *u)
{
    notes++;
}

static void sas_expiry(void **state)
{
    struct azf_cred c;
    struct azf_blob_opts o = { 0 };
    char err[AZF_ERRBUF_SIZE];
    unsetenv("AZURE_STORAGE_KEY");
    setenv("AZURE_STORAGE_SAS_TOKEN", "?sv=2021-12-02&sr=c&sp=rl&se=2020-01-01T00%3A00%3A00Z&sig=SECRET", 1);
    assert_int_equal(azf_cred_load(&c, &o, count_note, NULL, err), -1);
    assert_non_null(strstr(err, "expired at 2020-01-01T00:00:00Z"));
    assert_null(strstr(err, "SECRET"));
    setenv("AZURE_STORAGE_SAS_TOKEN", "sv=2021-12-02&sr=c&sp=rl&se=2099-01-01&sig=S", 1);
    notes = 0;
    assert_int_equal(azf_cred_load(&c, &o, count_note, NULL, err), 0);
    assert_int_equal(c.kind, AZF_CRED_SAS);
    assert_string_equal(c.sas, "sv=2021-12-02&sr=c&sp=rl&se=2099-01-01&sig=S");
    assert_int_equal(notes, 0);
    azf_cred_free(&c);
    /* Within 24 hours: loaded, and said. */
    char tok[160];
    time_t soon = time(NULL) + 3600;
    struct tm tm;
    gmtime_r(&soon, &tm);
    strftime(tok, sizeof(tok), "sp=rl&se=%Y-%m-%dT%H%%3A%M%%3A%SZ&sig=S", &tm);
    setenv("AZURE_STORAGE_SAS_TOKEN", tok, 1);
    assert_int_equal(azf_cred_load(&c, &o, count_note, NULL, err), 0);
    assert_int_equal(notes, 1);
    azf_cred_free(&c);
    setenv("AZURE_STORAGE_SAS_TOKEN", "sp=rl&se=2099-01-01", 1);
    assert_int_equal(azf_cred_load(&c, &o, count_note, NULL, err), -1); /* no sig= */
    unsetenv("AZURE_STORAGE_SAS_TOKEN");
    /* Two credentials at once: refused. */
    struct azf_blob_opts two = { .sas_file = "/x", .account_key_file = "/y" };
    assert_int_equal(azf_cred_load(&c, &two, NULL, NULL, err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_vhost),     cmocka_unit_test(url_path_style), cmocka_unit_test(url_refused),
        cmocka_unit_test(durations),     cmocka_unit_test(rfc1123),        cmocka_unit_test(listing),
        cmocka_unit_test(listing_long_names),
        cmocka_unit_test(shared_key),    cmocka_unit_test(sas_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
