/* Storage options of the tool's commands (see blob_opts.h). */
#include <stdio.h>
#include <string.h>

#include "blob_opts.h"

void blob_opts_default(struct azf_blob_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->since_s = 2 * 3600;
}

/* --name VALUE or --name=VALUE */
static const char *value(const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int blob_opt_parse(const char *cmd, int argc, char **argv, int *i, struct azf_blob_opts *o)
{
    const char *v;
    const char *a = argv[*i];
    if ((v = value("--sas-file", argc, argv, i)) != NULL)
        o->sas_file = v;
    else if ((v = value("--account-key-file", argc, argv, i)) != NULL)
        o->account_key_file = v;
    else if ((v = value("--ca-file", argc, argv, i)) != NULL)
        o->ca_file = v;
    else if (strcmp(a, "--managed-identity") == 0)
        o->managed_identity = "yes";
    else if (strncmp(a, "--managed-identity=", 19) == 0)
        o->managed_identity = a + 19;
    else if ((v = value("--since", argc, argv, i)) != NULL) {
        if (azf_duration_parse(v, &o->since_s) < 0) {
            fprintf(stderr, "azflow %s: --since: '%s' is not a duration (90s, 15m, 2h, 3d)\n", cmd, v);
            return -1;
        }
    } else
        return 0;
    return 1;
}
