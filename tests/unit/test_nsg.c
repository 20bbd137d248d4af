/* test_nsg: NSG flow-log records (v1, v2) through the decoder — envelope
 * fields, nesting, key order, unknown keys, escapes, version switches. */
#include "collect.h"

#define RID "/SUBSCRIPTIONS/743F6ED6-83A8-46F0-822D-EA93B953952D/RESOURCEGROUPS/WADRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WADVM-NSG"

/* Pretty-printed v1, as in the 2018 connector samples: no macAddress. */
static const char v1_pretty[] =
    "{\n  \"records\": [\n    {\n"
    "      \"time\": \"2018-07-18T12:36:34.6259876Z\",\n"
    "      \"systemId\": \"b54f041a-a9ad-4dc1-b847-e6d2d3b7b309\",\n"
    "      \"category\": \"NetworkSecurityGroupFlowEvent\",\n"
    "      \"resourceId\": \"" RID "\",\n"
    "      \"operationName\": \"NetworkSecurityGroupFlowEvents\",\n"
    "      \"properties\": {\n        \"Version\": 1,\n        \"flows\": [\n"
    "          {\n            \"rule\": \"DefaultRule_DenyAllInBound\",\n            \"flows\": [\n"
    "              {\n                \"mac\": \"000D3A0AF519\",\n"
    "                \"flowTuples\": [ \"1531917335,122.222.24.18,10.0.0.4,61691,3128,T,I,D\",\n"
    "                                  \"1531917342,185.208.209.70,10.0.0.4,49825,921,T,I,D\" ]\n"
    "              }\n            ]\n          },\n"
    "          {\n            \"rule\": \"DefaultRule_AllowInternetOutBound\",\n            \"flows\": [\n"
    "              {\n                \"mac\": \"000D3A0AF519\",\n"
    "                \"flowTuples\": [ \"1531917400,10.0.0.4,13.107.4.50,50001,80,T,O,A\" ]\n"
    "              }\n            ]\n          }\n"
    "        ]\n      }\n    }\n  ]\n}\n";

static void v1_pretty_printed(void **state)
{
    struct collect c = {0};
    decode_str(&c, v1_pretty);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 3);
    const struct azf_tuple *t = &c.v[0].t;
    assert_int_equal(t->source, AZF_SOURCE_NSG);
    assert_int_equal(t->version, 1);
    assert_string_equal(t->rule, "DefaultRule_DenyAllInBound");
    assert_string_equal(t->mac, "000D3A0AF519");
    assert_string_equal(t->resource_id, RID);
    assert_string_equal(t->acl, RID); /* NSG: the resource id is the ACL */
    assert_null(t->target_resource_id);
    assert_null(t->encryption);
    /* 2018-07-18T12:36:34.6259876Z, 100 ns ticks truncated to us */
    assert_int_equal(t->record_time_us, 1531917394625987LL);
    assert_string_equal(ip(&t->src), "122.222.24.18");
    assert_int_equal(t->offset, offset_of(v1_pretty, "\"1531917335,", 0));
    assert_string_equal(c.v[1].t.rule, "DefaultRule_DenyAllInBound");
    assert_int_equal(c.v[1].t.dport, 921);
    assert_string_equal(c.v[2].t.rule, "DefaultRule_AllowInternetOutBound");
    assert_int_equal(c.v[2].t.decision, AZF_DECISION_ALLOW);
    assert_int_equal(c.v[2].t.direction, AZF_DIR_OUTBOUND);
    collect_reset(&c);
}

/* Category last, properties first, rule after its flows, mac after its
 * tuples, unknown keys holding nested objects and arrays, escapes. */
static void key_order_and_unknown_keys(void **state)
{
    static const char rec[] =
        "{\"properties\":{\"flows\":[{\"flows\":[{\"flowTuples\":["
        "\"1594238636,10.1.0.4,20.38.107.36,52246,443,T,O,A,B,,,,\","
        "\"1594238700,10.1.0.4,20.38.107.36,52246,443,T,O,A,E,12,1300,10,9000\"],"
        "\"extra\":{\"a\":[1,2,{\"b\":null}],\"c\":\"}]\"},\"mac\":\"000d3a-d53b86\"}],"
        "\"rule\":\"UserRule_A\\u0042C\\/x\"}],\"Version\":2,\"future\":[[],{}]},"
        "\"nested\":{\"records\":[{\"time\":\"x\"}]},"
        "\"resourceid\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N\","
        "\"macAddress\":\"000D3AD53B86\",\"num\":-1.5e3,\"t\":true,\"f\":false,\"n\":null,"
        "\"time\":\"2020-07-08T20:04:43.4178856Z\",\"category\":\"NetworkSecurityGroupFlowEvent\"}\n";
    struct collect c = {0};
    decode_str(&c, rec);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 2);
    const struct azf_tuple *t = &c.v[1].t;
    assert_int_equal(t->version, 2);
    assert_string_equal(t->rule, "UserRule_ABC/x");
    assert_string_equal(t->mac, "000D3AD53B86"); /* per-NIC mac, normalised */
    assert_string_equal(t->resource_id, "/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N");
    assert_int_equal(t->record_time_us, 1594238683417885LL);
    assert_int_equal(t->state, AZF_STATE_END);
    assert_int_equal(t->bytes_toclient, 9000);
    assert_int_equal(c.v[0].t.has_counters, 0);
    assert_int_equal(t->offset, offset_of(rec, "\"1594238700", 0));
    collect_reset(&c);
}

/* The DevReops blob switches from v2 to v1 mid-hour: each record's
 * Version decides. */
static void version_switch_mid_blob(void **state)
{
    static const char blob[] =
        "{\"records\":["
        "{\"time\":\"2020-01-10T05:21:25.0000000Z\",\"category\":\"NetworkSecurityGroupFlowEvent\","
        "\"properties\":{\"Version\":2,\"flows\":[{\"rule\":\"R\",\"flows\":[{\"mac\":\"AA\","
        "\"flowTuples\":[\"1578633685,10.0.0.1,10.0.0.2,1,2,T,I,A,B,,,,\"]}]}]}},"
        "{\"time\":\"2020-01-10T05:22:25.0000000Z\",\"category\":\"NetworkSecurityGroupFlowEvent\","
        "\"properties\":{\"Version\":1,\"flows\":[{\"rule\":\"R\",\"flows\":[{\"mac\":\"AA\","
        "\"flowTuples\":[\"1578633745,10.0.0.1,10.0.0.2,1,2,T,I,A\","
        "\"1578633746,10.0.0.1,10.0.0.2,1,2,T,I,A,B,,,,\"]}]}]}}"
        "]}";
    struct collect c = {0};
    decode_str(&c, blob);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[0].t.version, 2);
    assert_int_equal(c.v[0].t.state, AZF_STATE_BEGIN);
    assert_int_equal(c.v[1].t.version, 1);
    assert_int_equal(c.v[1].t.state, AZF_STATE_NONE);
    /* A v2-shaped tuple inside a v1 record is reported, not guessed. */
    assert_int_equal(c.nerr, 1);
    assert_int_equal(c.err[0].off, offset_of(blob, "\"1578633746", 0));
    assert_string_equal(c.err[0].why, "tuple has 13 fields, NSG v1 needs 8");
    collect_reset(&c);
}

static void empty_flows_and_tuples(void **state)
{
    static const char blob[] =
        "{\"records\":[{\"category\":\"NetworkSecurityGroupFlowEvent\",\"properties\":{\"Version\":1,"
        "\"flows\":[{\"rule\":\"DefaultRule_DenyAllInBound\",\"flows\":[]},"
        "{\"rule\":\"X\",\"flows\":[{\"mac\":\"AA\",\"flowTuples\":[]}]}]}},"
        "{\"category\":\"NetworkSecurityGroupFlowEvent\",\"properties\":{\"Version\":2,\"flows\":[]}}]}";
    struct collect c = {0};
    decode_str(&c, blob);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.nerr, 0);
    collect_reset(&c);
}

/* macAddress on the record is the fallback when a NIC entry has none. */
static void envelope_mac_fallback(void **state)
{
    static const char rec[] =
        "{\"macAddress\":\"000d3a7f1340\",\"category\":\"NetworkSecurityGroupFlowEvent\","
        "\"properties\":{\"Version\":\"2\",\"flows\":[{\"rule\":\"R\",\"flows\":[{"
        "\"flowTuples\":[\"1578673943,10.244.1.69,10.244.0.4,49663,53,U,O,A,B,,,,\"]}]}]}}";
    struct collect c = {0};
    decode_str(&c, rec);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.v[0].t.mac, "000D3A7F1340");
    assert_int_equal(c.v[0].t.version, 2); /* "2" as a string is accepted */
    assert_int_equal(c.v[0].t.record_time_us, 0); /* no time: 0, not invented */
    assert_null(c.v[0].t.resource_id);
    assert_int_equal(c.v[0].t.proto, 17);
    collect_reset(&c);
}

static void not_a_flow_log(void **state)
{
    struct collect c = {0};
    decode_str(&c, "{\"category\":\"NetworkSecurityGroupEvent\",\"properties\":{}}\n"
                   "{\"category\":\"NetworkSecurityGroupFlowEvent\"}\n{}");
    assert_int_equal(c.n, 0);
    assert_int_equal(c.nerr, 3);
    assert_int_equal(c.err[0].off, 0);
    assert_string_equal(c.err[0].why, "not a flow-log record: category 'NetworkSecurityGroupEvent' (record skipped)");
    assert_string_equal(c.err[1].why, "NSG record without properties.flows (record skipped)");
    collect_reset(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v1_pretty_printed),
        cmocka_unit_test(key_order_and_unknown_keys),
        cmocka_unit_test(version_switch_mid_blob),
        cmocka_unit_test(empty_flows_and_tuples),
        cmocka_unit_test(envelope_mac_fallback),
        cmocka_unit_test(not_a_flow_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
