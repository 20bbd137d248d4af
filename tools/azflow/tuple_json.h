/* tuple_json: one flow-log tuple as one JSON line shaped like Suricata's
 * `azure_flow` EVE record; shared by `azflow decode` and `azflow follow`. */
#ifndef AZF_TUPLE_JSON_H
#define AZF_TUPLE_JSON_H

#include <stdio.h>

#include "flowlog.h"

/* Writes the line (with its '\n') to out; blob_path may be NULL. */
void tuple_json_print(FILE *out, const struct azf_tuple *t, const char *blob_path);

#endif /* AZF_TUPLE_JSON_H */
