/* test_tuple: the CSV tuple parser alone — every field of NSG v1, NSG v2 and
 * VNet tuples, and the reason given for each kind of bad field. */
#include "collect.h"
#include "flowlog/decoder_int.h"

static char why[AZF_REASON_MAX];
static char enc[AZF_ENC_MAX];

static int parse(const char *s, uint8_t source, uint8_t version, struct azf_tuple *t)
{
    memset(t, 0, sizeof(*t));
    t->version = version;
    why[0] = '\0';
    return azf__tuple_parse(s, strlen(s), source, version, t, enc, why, sizeof(why));
}

static void nsg_v1(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1531917335,122.222.24.18,10.0.0.4,61691,3128,T,I,D", AZF_SOURCE_NSG, 1, &t), 0);
    assert_int_equal(t.ts_us, 1531917335LL * 1000000);
    assert_int_equal(t.ts_res_us, 1000000); /* whole seconds: the moment is in that second */
    assert_string_equal(ip(&t.src), "122.222.24.18");
    assert_string_equal(ip(&t.dst), "10.0.0.4");
    assert_int_equal(t.src.family, 4);
    assert_int_equal(t.sport, 61691);
    assert_int_equal(t.dport, 3128);
    assert_int_equal(t.proto, 6);
    assert_int_equal(t.direction, AZF_DIR_INBOUND);
    assert_int_equal(t.decision, AZF_DECISION_DENY);
    assert_int_equal(t.state, AZF_STATE_NONE);
    assert_int_equal(t.has_counters, 0);
    assert_null(t.encryption);
    assert_int_equal(parse("1531917335,10.0.0.4,8.8.8.8,5353,53,U,O,A", AZF_SOURCE_NSG, 1, &t), 0);
    assert_int_equal(t.proto, 17);
    assert_int_equal(t.direction, AZF_DIR_OUTBOUND);
    assert_int_equal(t.decision, AZF_DECISION_ALLOW);
    assert_int_equal(parse("1531917335,255.255.255.255,0.0.0.0,65535,0,6,O,A", AZF_SOURCE_NSG, 1, &t), 0);
    assert_string_equal(ip(&t.src), "255.255.255.255");
    assert_string_equal(ip(&t.dst), "0.0.0.0");
    assert_int_equal(t.sport, 65535);
}

static void nsg_v2_begin_has_no_counters(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1578673983,217.111.196.7,51.104.249.164,56141,443,T,I,A,B,,,,", AZF_SOURCE_NSG, 2, &t), 0);
    assert_int_equal(t.state, AZF_STATE_BEGIN);
    assert_int_equal(t.has_counters, 0); /* empty is "not given", not 0 */
    assert_int_equal(t.pkts_toserver, 0);
    assert_string_equal(ip(&t.dst), "51.104.249.164");
}

static void nsg_v2_end_counters(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1578673977,10.201.4.6,10.244.2.21,53763,80,T,O,A,E,4,246,2,126", AZF_SOURCE_NSG, 2, &t), 0);
    assert_int_equal(t.state, AZF_STATE_END);
    assert_int_equal(t.has_counters, 1);
    assert_int_equal(t.pkts_toserver, 4);
    assert_int_equal(t.bytes_toserver, 246);
    assert_int_equal(t.pkts_toclient, 2);
    assert_int_equal(t.bytes_toclient, 126);
    assert_int_equal(parse("1,1.1.1.1,2.2.2.2,1,2,U,I,A,C,0,0,18446744073709551615,99", AZF_SOURCE_NSG, 2, &t), 0);
    assert_int_equal(t.state, AZF_STATE_CONTINUING);
    assert_int_equal(t.has_counters, 1);
    assert_true(t.pkts_toclient == UINT64_MAX);
}

static void nsg_version_inferred_when_absent(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1,1.1.1.1,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 0, &t), 0);
    assert_int_equal(t.version, 1);
    assert_int_equal(parse("1,1.1.1.1,2.2.2.2,1,2,T,I,A,E,1,2,3,4", AZF_SOURCE_NSG, 0, &t), 0);
    assert_int_equal(t.version, 2);
    assert_int_equal(parse("1,1.1.1.1,2.2.2.2,1,2,T,I,A,E", AZF_SOURCE_NSG, 0, &t), -1);
    assert_string_equal(why, "tuple has 9 fields, NSG needs 8 (v1) or 13 (v2)");
}

static void vnet_ms_and_seconds(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1786653106963,40.87.164.0,10.0.5.4,23456,25800,6,I,B,NX,0,0,0,0", AZF_SOURCE_VNET, 4, &t), 0);
    assert_int_equal(t.ts_us, 1786653106963LL * 1000);
    assert_int_equal(t.ts_res_us, 1000);
    assert_int_equal(t.has_counters, 1); /* VNet writes 0s for B: given */
    assert_int_equal(t.decision, AZF_DECISION_ALLOW);
    assert_string_equal(t.encryption, "NX");
    /* The doc's bandwidth example: 10-digit seconds and empty counters. */
    assert_int_equal(parse("1708978215,10.0.0.4,10.0.0.5,1,443,6,I,B,NX,,,,", AZF_SOURCE_VNET, 4, &t), 0);
    assert_int_equal(t.ts_us, 1708978215LL * 1000000);
    assert_int_equal(t.ts_res_us, 1000000);
    assert_int_equal(t.has_counters, 0);
}

static void vnet_states_and_encryption(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1663146003599,10.0.0.6,192.0.2.180,23956,443,17,O,D,NX_LOCAL_DST,0,0,0,0", AZF_SOURCE_VNET, 4, &t), 0);
    assert_int_equal(t.proto, 17);
    assert_int_equal(t.state, AZF_STATE_DENY);
    assert_int_equal(t.decision, AZF_DECISION_DENY);
    assert_string_equal(t.encryption, "NX_LOCAL_DST");
    assert_int_equal(parse("1663146003606,10.0.0.6,192.0.2.180,23956,443,6,O,E,X,15,6000,9,3000", AZF_SOURCE_VNET, 4, &t), 0);
    assert_string_equal(t.encryption, "X");
    assert_int_equal(t.bytes_toserver, 6000);
    /* An NX code nobody documented yet is kept raw. */
    assert_int_equal(parse("1663146003606,10.0.0.6,192.0.2.180,1,2,6,O,C,NX_SOMETHING_NEW,1,2,3,4", AZF_SOURCE_VNET, 4, &t), 0);
    assert_string_equal(t.encryption, "NX_SOMETHING_NEW");
    assert_int_equal(t.state, AZF_STATE_CONTINUING);
}

static void ipv6(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1663146003599,2001:db8::1,fe80::250:56ff:fe9f:a1e5,1,443,6,I,B,NX,0,0,0,0", AZF_SOURCE_VNET, 4, &t), 0);
    assert_int_equal(t.src.family, 6);
    assert_string_equal(ip(&t.src), "2001:db8::1");
    assert_string_equal(ip(&t.dst), "fe80::250:56ff:fe9f:a1e5");
    assert_int_equal(t.dst.bytes[0], 0xfe);
    assert_int_equal(t.dst.bytes[15], 0xe5);
}

static void bad_fields(void **state)
{
    struct azf_tuple t;
    static const struct {
        const char *tuple;
        uint8_t source, version;
        const char *why;
    } cases[] = {
        {"1,1.1.1.1,2.2.2.2,1,2,T,I,A,E", AZF_SOURCE_NSG, 2, "tuple has 9 fields, NSG v2 needs 13"},
        {"1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,", AZF_SOURCE_NSG, 1, "tuple has 13 fields, NSG v1 needs 8"},
        {"1,1.1.1.1,2.2.2.2,1,2,6,I,A", AZF_SOURCE_VNET, 4, "tuple has 8 fields, VNet flow logs need 13"},
        {"1,1.2.3,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '1.2.3'"},
        {"1,1.1.1.1,2.2.2.256,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad destination address '2.2.2.256'"},
        {"1,01.1.1.1,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '01.1.1.1'"},
        {"1,1.2.3.4.5,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '1.2.3.4.5'"},
        {"1,1..2.3,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '1..2.3'"},
        {"1,1.2.3.,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '1.2.3.'"},
        {"1,1.2.3.1000,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '1.2.3.1000'"},
        {"1,2001:db8::g,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source address '2001:db8::g'"},
        {"1,1.1.1.1,2001:db8::1,1,2,T,I,A", AZF_SOURCE_NSG, 1, "destination address family differs from the source's '2001:db8::1'"},
        {"1,1.1.1.1,2.2.2.2,70000,2,T,I,A", AZF_SOURCE_NSG, 1, "bad source port '70000'"},
        {"1,1.1.1.1,2.2.2.2,1,,T,I,A", AZF_SOURCE_NSG, 1, "bad destination port ''"},
        {"x,1.1.1.1,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, "bad timestamp 'x'"},
        {"1,1.1.1.1,2.2.2.2,1,2,X,I,A", AZF_SOURCE_NSG, 1, "bad protocol 'X'"},
        {"1,1.1.1.1,2.2.2.2,1,2,T,IN,A", AZF_SOURCE_NSG, 1, "bad direction 'IN'"},
        {"1,1.1.1.1,2.2.2.2,1,2,T,I,Q", AZF_SOURCE_NSG, 1, "bad decision 'Q'"},
        {"1,1.1.1.1,2.2.2.2,1,2,T,I,A,D,,,,", AZF_SOURCE_NSG, 2, "bad flow state 'D'"},
        {"1,1.1.1.1,2.2.2.2,1,2,T,I,A,E,1,,3,4", AZF_SOURCE_NSG, 2, "bytes to server missing while other counters are given"},
        {"1,1.1.1.1,2.2.2.2,1,2,T,I,A,E,1,2,3,-4", AZF_SOURCE_NSG, 2, "bad bytes to client '-4'"},
        {"1,1.1.1.1,2.2.2.2,1,2,6,I,B,,0,0,0,0", AZF_SOURCE_VNET, 4, "bad encryption status ''"},
        {"1,1.1.1.1,2.2.2.2,1,2,300,I,B,X,0,0,0,0", AZF_SOURCE_VNET, 4, "bad protocol '300'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].tuple, cases[i].source, cases[i].version, &t), -1);
        assert_string_equal(why, cases[i].why);
    }
}

/* Numbers of 8 digits and more take an eight-at-once path: every byte of
 * those eight is checked, and the values match a digit-at-a-time parse. */
static void long_numbers(void **state)
{
    struct azf_tuple t;
    assert_int_equal(parse("1786653106963,1.1.1.1,2.2.2.2,1,2,6,I,E,X,12345678,123456789,99999999,"
                           "18446744073709551615", AZF_SOURCE_VNET, 4, &t), 0);
    assert_int_equal(t.ts_us, 1786653106963LL * 1000);
    assert_int_equal(t.pkts_toserver, 12345678);
    assert_int_equal(t.bytes_toserver, 123456789);
    assert_int_equal(t.pkts_toclient, 99999999);
    assert_true(t.bytes_toclient == UINT64_MAX);
    assert_int_equal(parse("1000000000,1.1.1.1,2.2.2.2,1,2,T,I,A", AZF_SOURCE_NSG, 1, &t), 0);
    assert_int_equal(t.ts_us, 1000000000LL * 1000000);

    static const char bytes[] = {'/', ':', ' ', 'a', '\x80', '\xb0', '\xff', '\x00'};
    for (size_t pos = 0; pos < 8; pos++) {
        for (size_t b = 0; b < sizeof(bytes); b++) {
            char s[64] = "1786653106963,1.1.1.1,2.2.2.2,1,2,6,I,B,X,0,0,0,0";
            s[pos] = bytes[b];
            memset(&t, 0, sizeof(t));
            assert_int_equal(azf__tuple_parse(s, strlen(s) + (bytes[b] == 0 ? strlen(s + pos + 1) + 1 : 0),
                                              AZF_SOURCE_VNET, 4, &t, enc, why, sizeof(why)), -1);
            assert_memory_equal(why, "bad timestamp", 13);
        }
    }
    assert_int_equal(parse("1,1.1.1.1,2.2.2.2,1,2,6,I,E,X,1,18446744073709551616,1,1", AZF_SOURCE_VNET, 4, &t), -1);
    assert_string_equal(why, "bad bytes to server '18446744073709551616'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nsg_v1),
        cmocka_unit_test(nsg_v2_begin_has_no_counters),
        cmocka_unit_test(nsg_v2_end_counters),
        cmocka_unit_test(nsg_version_inferred_when_absent),
        cmocka_unit_test(vnet_ms_and_seconds),
        cmocka_unit_test(vnet_states_and_encryption),
        cmocka_unit_test(ipv6),
        cmocka_unit_test(bad_fields),
        cmocka_unit_test(long_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
