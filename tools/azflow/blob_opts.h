/* The storage options `azflow decode` and `azflow follow` share for URL
 * sources: --sas-file, --account-key-file, --managed-identity, --ca-file, --since. */
#ifndef AZFLOW_BLOB_OPTS_H
#define AZFLOW_BLOB_OPTS_H

#include "azblob.h"

#define BLOB_OPTS_USAGE                                                                              \
    "  URL: https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX] (or path-style\n"            \
    "       http://HOST:PORT/ACCOUNT/CONTAINER for Azurite); one credential of:\n"                \
    "  --sas-file F            a SAS token (container, sp=rl)\n"                                  \
    "  --account-key-file F    the storage account key (Shared Key)\n"                            \
    "  --managed-identity[=ID] the VM's (or the user-assigned ID's) Entra ID token\n"             \
    "  (none: AZURE_STORAGE_SAS_TOKEN, else AZURE_STORAGE_KEY)\n"                                 \
    "  --ca-file F             an extra CA for TLS (verification is always on)\n"                 \
    "  --since D               without bookmarks, blobs of the hours back to now-D (2h)\n"

/* Consumes argv[*i] (and its value) when it is one of the options above:
 * 1 consumed, 0 not ours, -1 bad value (message printed). */
int blob_opt_parse(const char *cmd, int argc, char **argv, int *i, struct azf_blob_opts *o);
void blob_opts_default(struct azf_blob_opts *o);

#endif
