/* fuzz_resource_id: azf_resource_id_parse on any NUL-terminated string;
 * each part it returns must be a non-empty piece of the input. */
#include <strings.h>

#include "fuzz_common.h"

static void part_of(const char *id, const char *part, size_t cap)
{
    size_t n = strnlen(part, cap);
    FUZZ_CHECK(n < cap, "part not NUL-terminated");
    if (n == 0)
        return;
    FUZZ_CHECK(strstr(id, part) != NULL, "part '%s' is not in the id", part);
    FUZZ_CHECK(strchr(part, '/') == NULL, "part '%s' holds a '/'", part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *id = malloc(size + 1);
    if (!id)
        return 0;
    memcpy(id, data, size);
    id[size] = '\0';
    struct azf_resource_id r;
    memset(&r, 0xA5, sizeof(r)); /* garbage in, so a part left unset shows */
    if (azf_resource_id_parse(id, &r) == 0) {
        FUZZ_CHECK(r.subscription[0] != '\0', "an ARM id without a subscription");
        part_of(id, r.subscription, sizeof(r.subscription));
        part_of(id, r.resource_group, sizeof(r.resource_group));
        part_of(id, r.name, sizeof(r.name));
    }
    FUZZ_CHECK(azf_resource_id_parse(NULL, &r) < 0, "NULL id accepted");
    free(id);
    return 0;
}
