#!/usr/bin/env bash
# The pcapng export read back by tshark: packet count, addresses, ports and
# the txray comment match the trace. Usage: tshark_test.sh TXRAY HEADERS_TRACE_TOOL
set -eu
txray=$1 headers=$2
if ! command -v tshark >/dev/null; then
    echo "tshark not installed (Debian: apt-get install tshark): skipped"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$headers" "$dir/t.json" 120
"$txray" export --format pcapng "$dir/t.json" -o "$dir/t.pcapng"
tshark -r "$dir/t.pcapng" -T fields -E separator='|' \
    -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e udp.srcport -e udp.dstport -e frame.comment \
    >"$dir/tshark.txt" 2>"$dir/tshark.err" || { cat "$dir/tshark.err"; exit 1; }
python3 - "$dir/t.json" "$dir/tshark.txt" <<'PY'
import json, sys
trace = [json.loads(l) for l in open(sys.argv[1])]
packets = [p for p in trace if p["type"] == "packet" and "headers" in p]
want = {}
for p in packets:
    f = p["flow"]
    want[p["id"]] = (f["saddr"], f["daddr"], str(f["sport"]), str(f["dport"]))
got = {}
for line in open(sys.argv[2]):
    src4, src6, dst4, dst6, sport, dport, comment = line.rstrip("\n").split("|", 6)
    assert comment.startswith("txray id="), comment
    pid = int(comment.split()[1].split("=")[1])
    got[pid] = (src4 or src6, dst4 or dst6, sport, dport)
    assert " | sendmsg" in comment, comment
assert len(got) == len(packets) == 108, (len(got), len(packets))
bad = {k: (want[k], got.get(k)) for k in want if got.get(k) != want[k]}
assert not bad, list(bad.items())[:5]
print(f"tshark read {len(got)} packets; addresses, ports and comments match")
PY
