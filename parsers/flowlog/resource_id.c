/* resource_id: an ARM resource id -> subscription, resource group, name.
 * Azure upper-cases ids in flow logs and not elsewhere: keys match in any case. */
#include <string.h>
#include <strings.h>

#include "flowlog.h"

/* Copies [p, p+n) into out; fails rather than truncating an id part. */
static int put(char *out, size_t cap, const char *p, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* The next '/'-separated segment at *pp (which points past a '/'). */
static size_t segment(const char **pp, const char **seg)
{
    const char *p = *pp;
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    *seg = p;
    *pp = e ? e + 1 : p + n;
    return n;
}

int azf_resource_id_parse(const char *id, struct azf_resource_id *out)
{
    const char *p, *seg;
    size_t n;
    const char *last = NULL;
    size_t last_n = 0;
    int have_sub = 0, have_rg = 0, after_providers = -1;

    if (!id || !out || id[0] != '/')
        return -1;
    memset(out, 0, sizeof(*out));
    p = id + 1;
    while (*p) {
        n = segment(&p, &seg);
        if (n == 0)
            return -1; /* "//" */
        if (!have_sub) {
            if (n != 13 || strncasecmp(seg, "subscriptions", 13) != 0)
                return -1;
            n = segment(&p, &seg);
            if (put(out->subscription, sizeof(out->subscription), seg, n) < 0)
                return -1;
            have_sub = 1;
            continue;
        }
        if (!have_rg && n == 14 && strncasecmp(seg, "resourceGroups", 14) == 0) {
            n = segment(&p, &seg);
            if (put(out->resource_group, sizeof(out->resource_group), seg, n) < 0)
                return -1;
            have_rg = 1;
            continue;
        }
        if (after_providers < 0 && n == 9 && strncasecmp(seg, "providers", 9) == 0) {
            after_providers = 0;
            continue;
        }
        if (after_providers >= 0)
            after_providers++;
        last = seg;
        last_n = n;
    }
    if (!have_sub)
        return -1;
    /* providers/{namespace}/{type}/{name}[/{type}/{name}...]: the last name. */
    if (after_providers >= 3 && after_providers % 2 == 1)
        return put(out->name, sizeof(out->name), last, last_n);
    return 0; /* a subscription or resource-group id: no name */
}
