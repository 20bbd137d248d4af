/* iso8601: a record's "time" ("2020-07-08T20:04:43.4178856Z") -> microseconds.
 * Hand-written: timegm() depends on the process environment and is slow. */
#include "decoder_int.h"

int azf__digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int azf__iso8601_us(const char *s, size_t n, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    if (n < 19 || azf__digits(s, 4, &y) || s[4] != '-' || azf__digits(s + 5, 2, &mo) || s[7] != '-' ||
        azf__digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || azf__digits(s + 11, 2, &h) ||
        s[13] != ':' || azf__digits(s + 14, 2, &mi) || s[16] != ':' || azf__digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    size_t i = 19;
    int64_t us = 0;
    if (i < n && s[i] == '.') {
        int nd = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
            if (nd < 6) /* Azure writes 100 ns ticks; keep microseconds */
                us = us * 10 + (s[i] - '0');
        if (nd == 0)
            return -1;
        for (; nd < 6; nd++)
            us *= 10;
    }
    int64_t tz = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int th, tm;
        if (n - i != 6 || azf__digits(s + i + 1, 2, &th) || s[i + 3] != ':' || azf__digits(s + i + 4, 2, &tm))
            return -1;
        tz = (int64_t)(th * 60 + tm) * 60 * (s[i] == '+' ? 1 : -1);
        i += 6;
    }
    if (i != n)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - tz;
    *out = secs * 1000000 + us;
    return 0;
}
