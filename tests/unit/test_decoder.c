/* test_decoder: framing — envelope, bare records, NDJSON, storage-block
 * commas, input split anywhere, torn records, bookmarks, bad records and
 * resynchronisation, the record-size cap, stopping from a callback. */
#include "collect.h"
#include "flowlog/decoder_int.h" /* to check the buffer never grew */

#define TUP(ts, sport) "\"" #ts ",10.1.0.4,20.38.107.36," #sport ",443,T,O,A,B,,,,\""
#define REC(ts, a, b) \
    "{\"time\":\"2020-07-08T20:04:43.4178856Z\",\"category\":\"NetworkSecurityGroupFlowEvent\"," \
    "\"properties\":{\"Version\":2,\"flows\":[{\"rule\":\"R\",\"flows\":[{\"mac\":\"000D3AD53B86\"," \
    "\"flowTuples\":[" TUP(ts, a) "," TUP(ts, b) "]}]}]}}"

static const char blob[] = "{\"records\":[" REC(1594238636, 1, 2) "," REC(1594238637, 3, 4) ","
                           REC(1594238638, 5, 6) "]}";

static void same(const struct collect *a, const struct collect *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nerr, b->nerr);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->v[i].t.ts_us, b->v[i].t.ts_us);
        assert_int_equal(a->v[i].t.sport, b->v[i].t.sport);
        assert_int_equal(a->v[i].t.offset, b->v[i].t.offset);
        assert_string_equal(a->v[i].t.rule ? a->v[i].t.rule : "-", b->v[i].t.rule ? b->v[i].t.rule : "-");
        assert_string_equal(a->v[i].t.mac ? a->v[i].t.mac : "-", b->v[i].t.mac ? b->v[i].t.mac : "-");
    }
    for (size_t i = 0; i < a->nerr && i < 256; i++) {
        assert_int_equal(a->err[i].off, b->err[i].off);
        assert_string_equal(a->err[i].why, b->err[i].why);
    }
}

static void envelope(void **state)
{
    struct collect c = {0};
    decode_str(&c, blob);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(c.v[i].t.sport, i + 1);
    assert_int_equal(c.v[3].t.offset, offset_of(blob, "\"1594238637,10.1.0.4,20.38.107.36,4,", 0));
    collect_reset(&c);
}

/* Byte by byte, and every two-piece split, give what one feed gives. */
static void split_anywhere(void **state)
{
    static const char bad[] = "{\"records\":[" REC(1594238636, 1, 2) ",{\"x\":[1,]}, junk ,"
                              "{\"category\":\"NetworkSecurityGroupFlowEvent\",\"properties\":{\"Version\":2,"
                              "\"flows\":[{\"rule\":\"R\\\"q\",\"flows\":[{\"flowTuples\":[\"1,1.1.1.1,2.2.2.2,1,2,T,I,A\","
                              TUP(1594238639, 9) "]}]}]}}" "]}";
    const char *inputs[] = {blob, bad};
    for (int k = 0; k < 2; k++) {
        const char *in = inputs[k];
        size_t len = strlen(in);
        struct collect whole = {0}, bytes = {0};
        decode_steps(&whole, in, len, 0);
        decode_steps(&bytes, in, len, 1);
        same(&whole, &bytes);
        for (size_t cut = 1; cut < len; cut += 7) {
            struct collect two = {0};
            struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, &two);
            azf_decoder_feed(d, in, cut);
            azf_decoder_feed(d, in + cut, len - cut);
            azf_decoder_finish(d);
            azf_decoder_free(d);
            same(&whole, &two);
            collect_reset(&two);
        }
        if (k == 1) {
            assert_int_equal(whole.n, 3);
            assert_string_equal(whole.v[2].t.rule, "R\"q");
            assert_int_equal(whole.nerr, 3);
        }
        collect_reset(&whole);
        collect_reset(&bytes);
    }
}

/* NDJSON, bare concatenated records, and appended blocks' leading commas. */
static void bare_and_ndjson(void **state)
{
    static const char nd[] = REC(1, 1, 2) "\n" REC(2, 3, 4) "\r\n\n" REC(3, 5, 6) "\n";
    static const char bare[] = REC(1, 1, 2) REC(2, 3, 4) "  " REC(3, 5, 6);
    static const char blocks[] = ",\n" REC(1, 1, 2) "," REC(2, 3, 4) ",  ," REC(3, 5, 6);
    static const char envs[] = "{\"records\":[" REC(1, 1, 2) "]}\n{ \"records\" : [\n" REC(2, 3, 4)
                               "," REC(3, 5, 6) "\n]\n}\n";
    const char *inputs[] = {nd, bare, blocks, envs};
    for (int k = 0; k < 4; k++) {
        struct collect c = {0};
        decode_str(&c, inputs[k]);
        assert_int_equal(c.nerr, 0);
        assert_int_equal(c.n, 6);
        assert_int_equal(c.v[5].t.sport, 6);
        assert_int_equal(c.v[5].t.ts_us, 3000000);
        collect_reset(&c);
    }
}

/* A record torn at the end of what was fed is neither emitted nor an
 * error until the rest arrives; safe_offset stays before it. */
static void torn_then_rest(void **state)
{
    struct collect c = {0};
    size_t len = strlen(blob);
    uint64_t rec2 = offset_of(blob, ",{\"time\"", 0); /* the ',' after record 1 */
    size_t cut = (size_t)rec2 + 40;
    struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, &c);
    assert_int_equal(azf_decoder_feed(d, blob, cut), AZF_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(azf_decoder_safe_offset(d), rec2);
    assert_int_equal(azf_decoder_feed(d, blob + cut, len - cut), AZF_OK);
    assert_int_equal(azf_decoder_finish(d), AZF_OK);
    assert_int_equal(c.n, 6);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(azf_decoder_safe_offset(d), len - 2); /* before "]}" */
    azf_decoder_free(d);
    collect_reset(&c);
}

/* Committed storage blocks: a record the writer cut, a later record begun
 * inside it.  Skipped and named at its start; the later records decode. */
static void cut_by_writer(void **state)
{
    static const char rec2[] = REC(1594238637, 3, 4);
    char in[4096];
    int n = snprintf(in, sizeof(in), "{\"records\":[%s,%.40s,%s]}", REC(1594238636, 1, 2), rec2,
                     REC(1594238638, 5, 6));
    uint64_t torn = offset_of(in, ",{\"time\"", 0) + 1;
    uint64_t later = offset_of(in, ",{\"time\"", 1) + 1;
    struct collect c = {0};
    struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, &c);
    assert_int_equal(azf_decoder_feed(d, in, (size_t)n), AZF_OK);
    assert_int_equal(c.n, 2); /* the cut record swallows the rest */
    int rc = -1;
    assert_int_equal(azf__decoder_skip_torn(d, &rc), 1);
    assert_int_equal(rc, AZF_OK);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.v[2].t.sport, 5);
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.err[0].off, torn);
    assert_non_null(strstr(c.err[0].why, "cut short by its writer"));
    assert_int_equal(azf_decoder_safe_offset(d), (uint64_t)n - 2);
    assert_true(c.v[2].t.offset > later); /* decoded from the later record on */
    assert_int_equal(azf__decoder_skip_torn(d, &rc), 0); /* nothing more */
    azf_decoder_free(d);
    collect_reset(&c);
    /* The cut record last: no later record yet, nothing skipped (a file's
     * last record may still be being written). */
    n = snprintf(in, sizeof(in), "{\"records\":[%s,%.40s", REC(1594238636, 1, 2), rec2);
    d = azf_decoder_new(collect_tuple, collect_error, &c);
    assert_int_equal(azf_decoder_feed(d, in, (size_t)n), AZF_OK);
    assert_int_equal(azf__decoder_skip_torn(d, &rc), 0);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(azf_decoder_safe_offset(d), torn - 1);
    azf_decoder_free(d);
    collect_reset(&c);
}

/* A follower resumes at a bookmark: the stream then reads ",{...}]}" or
 * "]}" or ",{partial"; offsets stay absolute. */
static void resume_from_bookmark(void **state)
{
    struct collect c = {0};
    size_t len = strlen(blob);
    uint64_t bm = offset_of(blob, ",{\"time\"", 0);
    struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, &c);

    azf_decoder_reset(d, bm);
    azf_decoder_feed(d, blob + bm, len - (size_t)bm);
    azf_decoder_finish(d);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.v[0].t.sport, 3);
    assert_int_equal(c.v[0].t.offset, offset_of(blob, "\"1594238637,10.1.0.4,20.38.107.36,3,", 0));
    assert_int_equal(azf_decoder_tuples(d), 4);

    /* At the very end: only "]}" follows. */
    collect_reset(&c);
    azf_decoder_reset(d, len - 2);
    azf_decoder_feed(d, blob + len - 2, 2);
    azf_decoder_finish(d);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.nerr, 0);

    /* A torn record after the bookmark: quiet until finish says so. */
    collect_reset(&c);
    azf_decoder_reset(d, bm);
    azf_decoder_feed(d, blob + bm, 30);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(azf_decoder_safe_offset(d), bm);
    azf_decoder_finish(d);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.err[0].off, bm + 1);
    assert_string_equal(c.err[0].why, "truncated record: 29 bytes without the closing brace");
    azf_decoder_free(d);
    collect_reset(&c);
}

static void finish_reports_unclosed(void **state)
{
    struct collect c = {0};
    char in[sizeof(blob)];
    size_t len = strlen(blob) - 2; /* without "]}" */
    memcpy(in, blob, len + 1);
    decode_steps(&c, in, len, 0);
    assert_int_equal(c.n, 6);
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.err[0].off, len);
    assert_string_equal(c.err[0].why, "records array not closed (missing ']}' at the end)");
    collect_reset(&c);

    decode_steps(&c, in, len + 1, 0); /* "]" but no "}" */
    assert_int_equal(c.nerr, 1);
    assert_string_equal(c.err[0].why, "records envelope not closed (missing '}' at the end)");
    collect_reset(&c);
}

/* A record with a trailing comma is invalid JSON: reported where the comma
 * is, skipped whole, and the next record is decoded. */
static void trailing_comma_record(void **state)
{
    static const char in[] = "{\"records\":[{\"category\":\"NetworkSecurityGroupFlowEvent\","
                             "\"properties\":{\"Version\":2,\"flows\":[{\"rule\":\"R\",\"flows\":[{"
                             "\"flowTuples\":[" TUP(1, 7) ",\n]}]}]}}," REC(2, 8, 9) "]}";
    struct collect c = {0};
    decode_str(&c, in);
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.err[0].off, offset_of(in, ",\n]", 0));
    assert_string_equal(c.err[0].why, "invalid JSON: trailing comma before ']' (record skipped)");
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[0].t.sport, 8);
    collect_reset(&c);
}

/* Garbage between records, a bracket mismatch and a raw newline inside a
 * string: one error each, then the decoder finds the next record. */
static void garbage_and_resync(void **state)
{
    static const char in[] = "{\"records\":[" REC(1, 1, 2) ", garbage! ," REC(2, 3, 4) ","
                             "{\"a\":[}]}, " REC(3, 5, 6) ",{\"time\":\"bro\nken\"}," REC(4, 7, 8) "]}";
    struct collect c = {0};
    decode_str(&c, in);
    assert_int_equal(c.n, 8);
    assert_int_equal(c.v[7].t.sport, 8);
    assert_int_equal(c.nerr, 3);
    assert_int_equal(c.err[0].off, offset_of(in, "garbage!", 0));
    assert_string_equal(c.err[0].why, "unexpected 'g' between records (skipped to the next '{')");
    assert_int_equal(c.err[1].off, offset_of(in, "}]}, ", 0));
    assert_string_equal(c.err[1].why, "'}' closes a '[' (record skipped)");
    assert_int_equal(c.err[2].off, offset_of(in, "\nken", 0));
    assert_string_equal(c.err[2].why, "control character inside a string (record skipped)");
    collect_reset(&c);
}

/* Records past the cap are reported and skipped, in one feed or many,
 * without buffering them. */
static void over_long_record(void **state)
{
    char big[2048];
    snprintf(big, sizeof(big), "{\"records\":[" REC(1, 1, 2) ",{\"pad\":\"%0900d\"}," REC(2, 3, 4) "]}", 0);
    size_t len = strlen(big);
    for (size_t step = 0; step <= 64; step += 64) {
        struct collect c = {0};
        struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, &c);
        azf_decoder_set_max_record(d, 600);
        size_t s = step ? step : len;
        for (size_t i = 0; i < len; i += s)
            azf_decoder_feed(d, big + i, len - i < s ? len - i : s);
        azf_decoder_finish(d);
        assert_int_equal(c.n, 4);
        assert_int_equal(c.nerr, 1);
        assert_int_equal(c.err[0].off, offset_of(big, "{\"pad\"", 0));
        assert_non_null(strstr(c.err[0].why, "600-byte limit"));
        assert_true(d->cap <= 2 * 64 * 1024); /* never grew for the big one */
        azf_decoder_free(d);
        collect_reset(&c);
    }
}

static void stop_from_callback(void **state)
{
    struct collect c = {0};
    c.stop_after = 3;
    struct azf_decoder *d = azf_decoder_new(collect_tuple, collect_error, &c);
    assert_int_equal(azf_decoder_feed(d, blob, strlen(blob)), AZF_STOPPED);
    assert_int_equal(c.n, 3);
    /* Record 2 was cut short: a resumed reader starts before it. */
    assert_int_equal(azf_decoder_safe_offset(d), offset_of(blob, ",{\"time\"", 0));
    assert_int_equal(azf_decoder_feed(d, "x", 1), AZF_STOPPED);
    azf_decoder_free(d);
    collect_reset(&c);
}

static void bom_and_blank(void **state)
{
    struct collect c = {0};
    char in[sizeof(blob) + 8];
    snprintf(in, sizeof(in), "\xEF\xBB\xBF%s\n\n", blob);
    decode_str(&c, in);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 6);
    collect_reset(&c);
    decode_str(&c, " \n\t ");
    assert_int_equal(c.nerr + c.n, 0);
    collect_reset(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(envelope),
        cmocka_unit_test(split_anywhere),
        cmocka_unit_test(bare_and_ndjson),
        cmocka_unit_test(torn_then_rest),
        cmocka_unit_test(cut_by_writer),
        cmocka_unit_test(resume_from_bookmark),
        cmocka_unit_test(finish_reports_unclosed),
        cmocka_unit_test(trailing_comma_record),
        cmocka_unit_test(garbage_and_resync),
        cmocka_unit_test(over_long_record),
        cmocka_unit_test(stop_from_callback),
        cmocka_unit_test(bom_and_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
