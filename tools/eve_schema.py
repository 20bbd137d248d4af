#!/usr/bin/env python3
"""Suricata's EVE schema extended with azflow's fields, and a validator.

Suricata's etc/schema.json rejects unknown top-level keys; azflow adds
`azure` (on any record, and the azure_flow event) and `stats.azure`.  The
merge is done here so the shipped docs/eve-azure.schema.json stays small and
the two schemas can each evolve.

    eve_schema.py --suricata-schema PATH [--merged OUT] [EVE_JSON ...]
"""
import argparse
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AZURE_SCHEMA = os.path.join(HERE, "..", "docs", "eve-azure.schema.json")


def merged_schema(suricata_schema_path):
    with open(AZURE_SCHEMA) as f:
        az = json.load(f)
    if suricata_schema_path and os.path.exists(suricata_schema_path):
        with open(suricata_schema_path) as f:
            base = json.load(f)
    else:
        # Without Suricata's own schema only azflow's fields are checked.
        base = {"type": "object", "properties": {"stats": {"type": "object", "properties": {}}}}
    s = copy.deepcopy(base)
    s.setdefault("$defs", {})
    for name, d in az["$defs"].items():
        s["$defs"]["azflow_" + name] = d
    s["properties"]["azure"] = {"$ref": "#/$defs/azflow_azure"}
    s["properties"].setdefault("stats", {"type": "object", "properties": {}})
    s["properties"]["stats"].setdefault("properties", {})["azure"] = {"$ref": "#/$defs/azflow_stats"}
    s["allOf"] = s.get("allOf", []) + [
        {"if": {"properties": {"event_type": {"const": "azure_flow"}}, "required": ["event_type"]},
         "then": {"$ref": "#/$defs/azflow_azure_flow"},
         "else": {"$ref": "#/$defs/azflow_enriched"}},
    ]
    return s


def validator(suricata_schema_path):
    import jsonschema
    schema = merged_schema(suricata_schema_path)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_file(v, path):
    """Returns a list of 'path:line: message' problems."""
    problems = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            for err in v.iter_errors(rec):
                where = "/".join(str(p) for p in err.absolute_path)
                problems.append("%s:%d: %s: %s (event_type %s)" % (path, n, where or "<root>", err.message,
                                                                   rec.get("event_type")))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suricata-schema")
    ap.add_argument("--merged", help="write the merged schema here")
    ap.add_argument("eve", nargs="*")
    opts = ap.parse_args()
    if opts.merged:
        with open(opts.merged, "w") as f:
            json.dump(merged_schema(opts.suricata_schema), f, indent=2)
    v = validator(opts.suricata_schema)
    problems = []
    for p in opts.eve:
        problems += validate_file(v, p)
    for p in problems[:50]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
