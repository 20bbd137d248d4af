/* Unit tests of the host version guard (plugin/host_guard.h): only the exact
 * release azflow was built for passes, whatever Suricata appends to it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "host_guard.h"

static void same_release_passes(void **state)
{
    char err[256] = "";
    assert_int_equal(AzHostVersionCheck("8.0.7 RELEASE", "8.0.7", "x", err, sizeof(err)), 0);
    assert_int_equal(AzHostVersionCheck("8.0.7", "8.0.7", "x", err, sizeof(err)), 0);
    assert_int_equal(AzHostVersionCheck("8.0.7 (1234abcd 2026-11-01)", "8.0.7", "x", err,
                             sizeof(err)),
            0);
    assert_string_equal(err, "");
}

static void other_release_fails_naming_both(void **state)
{
    char err[256];
    assert_int_equal(AzHostVersionCheck("8.0.8 RELEASE", "8.0.7", "the rule engine", err,
                             sizeof(err)),
            -1);
    assert_non_null(strstr(err, "the rule engine"));
    assert_non_null(strstr(err, "8.0.7"));
    assert_non_null(strstr(err, "8.0.8 RELEASE"));
    /* A longer patch level with the same prefix is another release. */
    assert_int_equal(AzHostVersionCheck("8.0.70 RELEASE", "8.0.7", "x", err, sizeof(err)), -1);
    assert_int_equal(AzHostVersionCheck("8.0.7-dev", "8.0.7", "x", err, sizeof(err)), -1);
    assert_int_equal(AzHostVersionCheck(NULL, "8.0.7", "x", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_release_passes),
        cmocka_unit_test(other_release_fails_naming_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
