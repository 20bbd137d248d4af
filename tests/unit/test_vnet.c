/* test_vnet: VNet flow-log records through the decoder — envelope, aclID
 * and rule nesting, ms/s timestamps, encryption codes, D state as deny. */
#include "collect.h"

#define FLID "/SUBSCRIPTIONS/71D310BF/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_CANADAEAST/FLOWLOGS/FL"
#define TGT "/subscriptions/71d310bf/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/ShopStream-VNet"
#define NSG "/subscriptions/71d310bf/resourceGroups/RG/providers/Microsoft.Network/networkSecurityGroups/nsg1"

/* The real blob's key order (flowLogVersion late), mixed-case MAC. */
static const char rec[] =
    "{\"time\":\"2026-08-13T20:32:22.0419499Z\",\"flowLogGUID\":\"1ea85f4d\","
    "\"macAddress\":\"0022487bC205\",\"category\":\"FlowLogFlowEvent\","
    "\"flowLogResourceID\":\"" FLID "\",\"targetResourceID\":\"" TGT "\","
    "\"flowLogVersion\":4,\"operationName\":\"FlowLogFlowEvent\",\"flowRecords\":{\"flows\":["
    "{\"aclID\":\"00000000-0000-0000-0000-000000000000\",\"flowGroups\":[{\"rule\":\"PlatformRule\","
    "\"flowTuples\":[\"1786653106963,40.87.164.0,10.0.5.4,23456,25800,6,I,B,NX,0,0,0,0\","
    "\"1786653112710,40.87.164.0,10.0.5.4,23456,25800,6,I,E,NX,1,128,1,54\"]}]},"
    "{\"flowGroups\":[{\"flowTuples\":[\"1786653103883,147.185.132.143,10.0.5.4,50648,9881,6,I,D,NX,0,0,0,0\","
    "\"1708978215,10.0.5.4,52.1.2.3,40000,443,17,O,C,X,3,300,2,200\"],\"rule\":\"DefaultRule_DenyAllInBound\"}],"
    "\"aclID\":\"" NSG "\"},"
    "{\"aclID\":\"unspecified\",\"flowGroups\":[{\"rule\":\"unspecified\",\"flowTuples\":["
    "\"1786653107000,10.0.5.4,10.0.6.4,1,2,6,O,D,NX_NOT_ACCEPTED,0,0,0,0\"]}]}]}}";

static void vnet_record(void **state)
{
    struct collect c = {0};
    decode_str(&c, rec);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 5);
    const struct azf_tuple *t = &c.v[0].t;
    assert_int_equal(t->source, AZF_SOURCE_VNET);
    assert_int_equal(t->version, 4);
    assert_string_equal(t->resource_id, FLID);
    assert_string_equal(t->target_resource_id, TGT);
    assert_string_equal(t->mac, "0022487BC205");
    assert_string_equal(t->acl, "00000000-0000-0000-0000-000000000000");
    assert_string_equal(t->rule, "PlatformRule");
    assert_int_equal(t->ts_us, 1786653106963000LL);
    assert_int_equal(t->state, AZF_STATE_BEGIN);
    assert_int_equal(t->decision, AZF_DECISION_ALLOW);
    assert_int_equal(t->has_counters, 1);
    assert_string_equal(t->encryption, "NX");
    assert_int_equal(c.v[1].t.bytes_toserver, 128);
    assert_int_equal(c.v[1].t.bytes_toclient, 54);

    /* aclID after flowGroups, rule after flowTuples: still attached. */
    t = &c.v[2].t;
    assert_string_equal(t->acl, NSG);
    assert_string_equal(t->rule, "DefaultRule_DenyAllInBound");
    assert_int_equal(t->state, AZF_STATE_DENY);
    assert_int_equal(t->decision, AZF_DECISION_DENY);
    assert_string_equal(ip(&t->src), "147.185.132.143");
    assert_int_equal(t->offset, offset_of(rec, "\"1786653103883", 0));

    t = &c.v[3].t; /* seconds, by magnitude */
    assert_int_equal(t->ts_us, 1708978215000000LL);
    assert_int_equal(t->proto, 17);
    assert_int_equal(t->direction, AZF_DIR_OUTBOUND);
    assert_string_equal(t->encryption, "X");
    assert_int_equal(t->pkts_toserver, 3);

    t = &c.v[4].t;
    assert_string_equal(t->acl, "unspecified");
    assert_string_equal(t->encryption, "NX_NOT_ACCEPTED");
    assert_int_equal(t->decision, AZF_DECISION_DENY);
    collect_reset(&c);
}

/* Without category the shape (flowRecords) tells; NSG fields stay NULL. */
static void vnet_without_category(void **state)
{
    static const char r[] =
        "{\"flowRecords\":{\"flows\":[{\"aclID\":\"a\",\"flowGroups\":[{\"rule\":\"r\",\"flowTuples\":["
        "\"1663146003599,10.0.0.6,192.0.2.180,23956,443,6,O,B,NX,0,0,0,0\"]}]}]}}";
    struct collect c = {0};
    decode_str(&c, r);
    assert_int_equal(c.nerr, 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].t.source, AZF_SOURCE_VNET);
    assert_int_equal(c.v[0].t.version, 0);
    assert_null(c.v[0].t.mac);
    assert_null(c.v[0].t.resource_id);
    assert_string_equal(c.v[0].t.acl, "a");
    collect_reset(&c);
}

static void vnet_bad_tuple_skipped(void **state)
{
    static const char r[] =
        "{\"category\":\"FlowLogFlowEvent\",\"flowLogVersion\":4,\"flowRecords\":{\"flows\":[{\"aclID\":\"a\","
        "\"flowGroups\":[{\"rule\":\"r\",\"flowTuples\":["
        "\"1663146003599,10.0.0.6,192.0.2.180,23956,443,6,O,B,NX,0,0,0,0\","
        "\"1663146003600,10.0.0.6,192.0.2.180,23956,443,T,O,B,NX,0,0,0\","
        "42,"
        "\"1663146003601,10.0.0.6,192.0.2.180,23956,443,6,O,Z,NX,0,0,0,0\","
        "\"1663146003602,10.0.0.6,192.0.2.180,23956,443,6,O,E,NX,1,2,3,4\"]}]}]}}";
    struct collect c = {0};
    decode_str(&c, r);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[0].t.ts_us, 1663146003599000LL);
    assert_int_equal(c.v[1].t.ts_us, 1663146003602000LL);
    assert_int_equal(c.nerr, 3);
    assert_int_equal(c.err[0].off, offset_of(r, "\"1663146003600", 0));
    assert_string_equal(c.err[0].why, "tuple has 12 fields, VNet flow logs need 13");
    assert_int_equal(c.err[1].off, offset_of(r, "42,", 0));
    assert_string_equal(c.err[1].why, "flowTuples entry is not a string");
    assert_int_equal(c.err[2].off, offset_of(r, "\"1663146003601", 0));
    assert_string_equal(c.err[2].why, "bad flow state 'Z'");
    collect_reset(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vnet_record),
        cmocka_unit_test(vnet_without_category),
        cmocka_unit_test(vnet_bad_tuple_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
