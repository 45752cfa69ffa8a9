#!/usr/bin/env python3
"""validate_recorded.py SCHEMA TRACE...: every line of traces recorded by
txray (not synthetic) is valid against the schema, and each trace has its
header, packets and footer. Exit 77 (skip) without jsonschema."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3 jsonschema module missing (Debian: apt-get install python3-jsonschema): skipped")
    sys.exit(77)

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
failures = 0
for path in sys.argv[2:]:
    types = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            rec = json.loads(line)
            types[rec["type"]] = types.get(rec["type"], 0) + 1
            for err in validator.iter_errors(rec):
                failures += 1
                print(f"{path}:{n}: {err.message} at {list(err.absolute_path)}")
    if types.get("header") != 1 or types.get("footer") != 1 or not types.get("packet"):
        failures += 1
        print(f"{path}: header/packet/footer counts {types}")
    print(f"{path}: {sum(types.values())} records checked")
sys.exit(1 if failures else 0)
