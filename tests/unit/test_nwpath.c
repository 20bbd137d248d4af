/* test_nwpath: Network Watcher capture blob paths -> VM name and start time,
 * with the documented examples and every shape that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"

#define NW_PREFIX                                                                 \
    "https://contosostorage.blob.core.windows.net/network-watcher-logs/subscriptions/" \
    "00000000-0000-0000-0000-0000000000aa/resourcegroups/rg-prod/providers/"       \
    "microsoft.compute/virtualmachines/"

static void documented_examples(void **state)
{
    struct azf_nwcapture c;
    assert_int_equal(azf_nwcapture_parse_path(NW_PREFIX "myvm/2024/01/25/packetcapture_22_44_54_342.cap", &c), 0);
    assert_string_equal(c.vm, "myvm");
    assert_int_equal(c.started_us, 1706222694LL * 1000000 + 342000); /* 2024-01-25T22:44:54.342Z */
    assert_int_equal(azf_nwcapture_parse_path(NW_PREFIX "contosovm/2016/12/06/packetcapture_17_19_53_056.cap", &c), 0);
    assert_string_equal(c.vm, "contosovm");
    assert_int_equal(c.started_us, 1481044793LL * 1000000 + 56000);
}

static void corpus_and_local_paths(void **state)
{
    struct azf_nwcapture c;
    assert_int_equal(azf_nwcapture_parse_path(
                         "pcap-corpus/netwatcher/network-watcher-logs/subscriptions/00000000-0000-0000-0000-0000000000aa/"
                         "resourcegroups/rg-prod/providers/microsoft.compute/virtualmachines/vm-web1/2026/11/28/"
                         "packetcapture_04_05_00_123.cap", &c), 0);
    assert_string_equal(c.vm, "vm-web1");
    assert_int_equal(c.started_us, 1795838700LL * 1000000 + 123000);
    /* A download keeps the layout but not always the case. */
    assert_int_equal(azf_nwcapture_parse_path("/data/VirtualMachines/VM-Win1/2026/11/28/PacketCapture_04_06_00_456.CAP", &c), 0);
    assert_string_equal(c.vm, "VM-Win1");
    assert_int_equal(c.started_us, 1795838760LL * 1000000 + 456000);
    /* Midnight and the last millisecond of the day. */
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/a/2026/11/28/packetcapture_00_00_00_000.cap", &c), 0);
    assert_int_equal(c.started_us, (1795838400LL - 4 * 3600) * 1000000);
    assert_string_equal(c.vm, "a");
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/a/2026/11/28/packetcapture_23_59_59_999.cap", &c), 0);
    assert_int_equal(c.started_us, (1795838400LL - 4 * 3600 + 86399) * 1000000 + 999000);
}

static void leap_days(void **state)
{
    struct azf_nwcapture c;
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/vm/2024/02/29/packetcapture_00_00_00_000.cap", &c), 0);
    assert_int_equal(c.started_us, 1709164800LL * 1000000);
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/vm/2000/02/29/packetcapture_00_00_00_000.cap", &c), 0);
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/vm/2026/02/29/packetcapture_00_00_00_000.cap", &c), -1);
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/vm/2100/02/29/packetcapture_00_00_00_000.cap", &c), -1);
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/vm/2026/04/31/packetcapture_00_00_00_000.cap", &c), -1);
}

static void folder_named_virtualmachines(void **state)
{
    struct azf_nwcapture c;
    assert_int_equal(azf_nwcapture_parse_path("/srv/virtualmachines/captures/virtualmachines/vm1/2026/11/28/"
                                              "packetcapture_04_05_00_123.cap", &c), 0);
    assert_string_equal(c.vm, "vm1");
    /* ... and a VM that is called that. */
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/virtualmachines/2026/11/28/"
                                              "packetcapture_04_05_00_123.cap", &c), 0);
    assert_string_equal(c.vm, "virtualmachines");
}

static void long_vm_name_truncated(void **state)
{
    char path[512], name[201];
    struct azf_nwcapture c;
    memset(name, 'v', 200);
    name[200] = '\0';
    snprintf(path, sizeof(path), "/virtualmachines/%s/2026/11/28/packetcapture_04_05_00_123.cap", name);
    assert_int_equal(azf_nwcapture_parse_path(path, &c), 0);
    assert_int_equal(strlen(c.vm), sizeof(c.vm) - 1);
    assert_memory_equal(c.vm, name, sizeof(c.vm) - 1);
    assert_int_equal(c.started_us, 1795838700LL * 1000000 + 123000);
}

static void refused(void **state)
{
    static const char *const bad[] = {
        "",
        "packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_05_00_123.pcap",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_05_00_123.cap/",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_05_00_123.cap.tmp",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_05_00_12.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_05_00.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture-04-05-00-123.cap",
        "/virtualmachines/vm/2026/11/28/capture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/11/28/x/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/11/packetcapture_04_05_00_123.cap",
        "/virtualmachines//2026/11/28/packetcapture_04_05_00_123.cap",
        "/virtualmachines/2026/11/28/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/26/11/28/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/13/28/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/00/28/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/11/00/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/1a/28/packetcapture_04_05_00_123.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture_24_05_00_123.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_60_00_123.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture_04_05_60_123.cap",
        "/virtualmachines/vm/2026/11/28/packetcapture_+4_05_00_123.cap",
        "/virtualmachines/vm/1969/12/31/packetcapture_04_05_00_123.cap",
        "virtualmachines/vm/2026/11/28/packetcapture_04_05_00_123.cap", /* no leading "/" */
        "/virtualmachinesx/vm/2026/11/28/packetcapture_04_05_00_123.cap",
        "/virtualmachine/vm/2026/11/28/packetcapture_04_05_00_123.cap",
        "/virtualmachinescalesets/vmss/virtualmachines/0/2026/11/28",
    };
    struct azf_nwcapture c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&c, 0x5a, sizeof(c));
        if (azf_nwcapture_parse_path(bad[i], &c) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(c.vm, ""); /* zeroed, not half-filled */
        assert_int_equal(c.started_us, 0);
    }
    assert_int_equal(azf_nwcapture_parse_path(NULL, &c), -1);
    assert_int_equal(azf_nwcapture_parse_path("/virtualmachines/vm/2026/11/28/packetcapture_04_05_00_123.cap", NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documented_examples),
        cmocka_unit_test(corpus_and_local_paths),
        cmocka_unit_test(leap_days),
        cmocka_unit_test(folder_named_virtualmachines),
        cmocka_unit_test(long_vm_name_truncated),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
