/* test_resource_id: ARM resource ids as flow logs write them (upper-cased
 * NSG ids, original-case VNet ids, flow-log ids) and what is not one; the
 * name and JSON-escaping helpers every JSON writer shares. */
#include "collect.h"

static void nsg_upper_case(void **state)
{
    struct azf_resource_id r;
    assert_int_equal(azf_resource_id_parse("/SUBSCRIPTIONS/743F6ED6-83A8-46F0-822D-EA93B953952D/RESOURCEGROUPS/WADRG"
                                           "/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WADVM-NSG", &r), 0);
    assert_string_equal(r.subscription, "743F6ED6-83A8-46F0-822D-EA93B953952D");
    assert_string_equal(r.resource_group, "WADRG");
    assert_string_equal(r.name, "WADVM-NSG");
}

static void vnet_original_case(void **state)
{
    struct azf_resource_id r;
    assert_int_equal(azf_resource_id_parse("/subscriptions/71d310bf/resourceGroups/Student-RG"
                                           "/providers/Microsoft.Network/virtualNetworks/ShopStream-VNet", &r), 0);
    assert_string_equal(r.subscription, "71d310bf");
    assert_string_equal(r.resource_group, "Student-RG");
    assert_string_equal(r.name, "ShopStream-VNet");
    /* A child resource: the last name. */
    assert_int_equal(azf_resource_id_parse("/SUBSCRIPTIONS/S/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK"
                                           "/NETWORKWATCHERS/NETWORKWATCHER_CANADAEAST/FLOWLOGS/MY-FLOWLOG", &r), 0);
    assert_string_equal(r.resource_group, "NETWORKWATCHERRG");
    assert_string_equal(r.name, "MY-FLOWLOG");
}

static void partial_ids(void **state)
{
    struct azf_resource_id r;
    assert_int_equal(azf_resource_id_parse("/subscriptions/S/resourceGroups/RG", &r), 0);
    assert_string_equal(r.resource_group, "RG");
    assert_string_equal(r.name, "");
    assert_int_equal(azf_resource_id_parse("/subscriptions/S", &r), 0);
    assert_string_equal(r.subscription, "S");
    assert_int_equal(azf_resource_id_parse("/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network", &r), 0);
    assert_string_equal(r.name, "");
}

static void not_arm_ids(void **state)
{
    struct azf_resource_id r;
    assert_int_equal(azf_resource_id_parse("00000000-0000-0000-0000-000000000000", &r), -1);
    assert_int_equal(azf_resource_id_parse("unspecified", &r), -1);
    assert_int_equal(azf_resource_id_parse("", &r), -1);
    assert_int_equal(azf_resource_id_parse(NULL, &r), -1);
    assert_int_equal(azf_resource_id_parse("/subscriptions//resourceGroups/RG", &r), -1);
    assert_int_equal(azf_resource_id_parse("/tenants/T/providers/X", &r), -1);
    char longname[300];
    memset(longname, 'a', sizeof(longname));
    memcpy(longname, "/subscriptions/S/resourceGroups/", 32);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(azf_resource_id_parse(longname, &r), -1); /* too long: not truncated */
}

static void strings(void **state)
{
    assert_string_equal(azf_direction_str(AZF_DIR_INBOUND), "inbound");
    assert_string_equal(azf_direction_str(AZF_DIR_OUTBOUND), "outbound");
    assert_string_equal(azf_decision_str(AZF_DECISION_DENY), "deny");
    assert_string_equal(azf_state_str(AZF_STATE_CONTINUING), "continuing");
    assert_string_equal(azf_state_str(AZF_STATE_DENY), "deny");
    assert_null(azf_state_str(AZF_STATE_NONE));
    assert_string_equal(azf_source_str(AZF_SOURCE_VNET), "vnet");
    struct azf_addr a = {4, {192, 0, 2, 255}};
    char b[8];
    assert_null(azf_addr_str(&a, b, sizeof(b))); /* does not fit: NULL, not truncated */
}

static void json_escaping(void **state)
{
    char out[512];
    /* Long plain runs cross the 16-byte SIMD steps; the stop is exact. */
    const char *id = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-prod";
    assert_int_equal(azf_json_plain(id, strlen(id)), strlen(id));
    for (size_t at = 0; at < 40; at++) {
        char s[48];
        memset(s, 'a', sizeof(s));
        s[at] = '"';
        assert_int_equal(azf_json_plain(s, sizeof(s)), at);
        s[at] = 0x1f;
        assert_int_equal(azf_json_plain(s, sizeof(s)), at);
        s[at] = (char)0x80; /* UTF-8 bytes pass */
        assert_int_equal(azf_json_plain(s, sizeof(s)), sizeof(s));
    }
    /* A stop is never looked for past len. */
    assert_int_equal(azf_json_plain("ab\"", 2), 2);
    static const char in[] = "a\"b\\c\nd\re\tf\001g\x1fh\xc3\xa9";
    size_t n = azf_json_quote(in, sizeof(in) - 1, NULL);
    assert_int_equal(azf_json_quote(in, sizeof(in) - 1, out), n);
    out[n] = '\0';
    assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\xc3\xa9\"");
}

/* A log string that is no UTF-8 still gives valid JSON: Suricata's
 * JsonBuilder drops a member that is not UTF-8, and with it the whole
 * azure object.  Each stray byte is U+FFFD; valid sequences pass. */
static void json_invalid_utf8(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"" }, /* 2 and 4 bytes */
        { "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },                     /* never UTF-8 */
        { "a\x80", "\"a\xef\xbf\xbd\"" },                        /* stray continuation, at the end */
        { "caf\xc3", "\"caf\xef\xbf\xbd\"" },                    /* cut short at the end */
        { "\xc3\"", "\"\xef\xbf\xbd\\\"\"" },                 /* cut short by an escape */
        { "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },         /* overlong '/' */
        { "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* a surrogate */
        { "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* > U+10FFFF */
        { "0123456789\xfe" "0123456789", "\"0123456789\xef\xbf\xbd" "0123456789\"" }, /* past an 8-byte step */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        size_t len = strlen(cases[i].in), n = azf_json_quote(cases[i].in, len, NULL);
        assert_true(n < sizeof(out));
        assert_int_equal(azf_json_quote(cases[i].in, len, out), n);
        out[n] = '\0';
        assert_string_equal(out, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nsg_upper_case),
        cmocka_unit_test(vnet_original_case),
        cmocka_unit_test(partial_ids),
        cmocka_unit_test(not_arm_ids),
        cmocka_unit_test(strings),
        cmocka_unit_test(json_escaping),
        cmocka_unit_test(json_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
