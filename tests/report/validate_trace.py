#!/usr/bin/env python3
"""validate_trace.py SCHEMA SAMPLE_TRACE_TOOL: writes a sample trace with the
tool, validates every line against the schema, and checks that the schema
rejects broken records (so the test can fail). Exit 77 (skip) without jsonschema."""
import json
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("python3 jsonschema module missing (Debian: apt-get install python3-jsonschema): skipped")
    sys.exit(77)

schema_path, tool = sys.argv[1], sys.argv[2]
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

text = subprocess.run([tool, "-", "300"], check=True, capture_output=True, text=True).stdout
lines = text.splitlines()
types = {}
failures = 0
for n, line in enumerate(lines, 1):
    rec = json.loads(line)
    types[rec["type"]] = types.get(rec["type"], 0) + 1
    for err in validator.iter_errors(rec):
        failures += 1
        print(f"line {n}: {err.message} at {list(err.absolute_path)}")
assert types == {"header": 1, "packet": 300, "footer": 1}, types
packets = [json.loads(l) for l in lines[1:-1]]
for field in ("frag", "gso", "requeues", "errno", "headers", "parent", "bql", "stopped_by_driver", "stopped_by_bql"):
    assert any(field in p for p in packets), f"sample trace lacks optional field {field}"

# The schema must reject these.
packet = packets[0]
bad = [
    dict(packet, outcome="teleported"),
    {k: v for k, v in packet.items() if k != "stages"},
    dict(packet, len=-1),
    dict(packet, headers="4g"),
    dict(packet, stages=[{"name": "sendmsg", "ts_ns": 1.5, "dt_ns": 0}]),
    dict(json.loads(lines[0]), version="2.0"),
    dict(json.loads(lines[-1]), lost="many"),
    {"type": "annotation"},
]
for rec in bad:
    if validator.is_valid(rec):
        failures += 1
        print("schema accepted a broken record:", json.dumps(rec)[:200])
print(f"{len(lines)} records valid, {len(bad)} broken records rejected" if not failures else f"{failures} failures")
sys.exit(1 if failures else 0)
