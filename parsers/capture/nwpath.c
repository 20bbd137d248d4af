/* nwpath: Network Watcher capture blob paths
 * (…/virtualmachines/{vm}/{yyyy}/{MM}/{dd}/packetcapture_HH_mm_ss_fff.cap)
 * -> VM name and capture start time. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capture.h"
#include "../flowlog/decoder_int.h"

#define VM_DIR "/virtualmachines/"
#define FILE_PREFIX "packetcapture_"
#define FILE_SUFFIX ".cap"

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* `s` is what follows "/virtualmachines/": "{vm}/yyyy/MM/dd/packetcapture_HH_mm_ss_fff.cap". */
static int parse_tail(const char *s, struct azf_nwcapture *out)
{
    const char *slash = strchr(s, '/');
    const char *d, *f;
    int y, mo, day, h, mi, sec, ms;
    size_t vmlen;
    char iso[64];

    if (slash == NULL || slash == s)
        return -1;
    vmlen = (size_t)(slash - s);
    d = slash + 1; /* "yyyy/MM/dd/" */
    if (strlen(d) < 11 || azf__digits(d, 4, &y) || d[4] != '/' || azf__digits(d + 5, 2, &mo) ||
        d[7] != '/' || azf__digits(d + 8, 2, &day) || d[10] != '/')
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || day < 1 || day > days_in_month(y, mo))
        return -1;
    f = d + 11; /* "packetcapture_HH_mm_ss_fff.cap" and nothing after */
    if (strlen(f) != strlen(FILE_PREFIX "HH_mm_ss_fff" FILE_SUFFIX) ||
        strncasecmp(f, FILE_PREFIX, strlen(FILE_PREFIX)) != 0)
        return -1;
    f += strlen(FILE_PREFIX);
    if (azf__digits(f, 2, &h) || f[2] != '_' || azf__digits(f + 3, 2, &mi) || f[5] != '_' ||
        azf__digits(f + 6, 2, &sec) || f[8] != '_' || azf__digits(f + 9, 3, &ms) ||
        strcasecmp(f + 12, FILE_SUFFIX) != 0)
        return -1;
    if (h > 23 || mi > 59 || sec > 59)
        return -1;
    /* One calendar for the whole library: the record-time parser's. */
    snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, day, h, mi, sec, ms);
    if (azf__iso8601_us(iso, strlen(iso), &out->started_us) < 0)
        return -1;
    if (vmlen >= sizeof(out->vm))
        vmlen = sizeof(out->vm) - 1;
    memcpy(out->vm, s, vmlen);
    out->vm[vmlen] = '\0';
    return 0;
}

int azf_nwcapture_parse_path(const char *path, struct azf_nwcapture *out)
{
    const size_t dirlen = strlen(VM_DIR);

    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if (path == NULL)
        return -1;
    /* The first "/virtualmachines/" followed by the right shape (a folder
     * above may be called that too). */
    for (const char *p = path; *p; p++) {
        if (strncasecmp(p, VM_DIR, dirlen) == 0 && parse_tail(p + dirlen, out) == 0)
            return 0;
    }
    memset(out, 0, sizeof(*out));
    return -1;
}
