#!/usr/bin/env bash
# The pcapng export read back by tshark: packet count, addresses, ports and
# the txray comment match the trace; a packet that crossed three devices is
# three frames, the last with its masqueraded addresses. Usage: tshark_test.sh TXRAY HEADERS_TRACE_TOOL
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
packets = [p for p in trace if p["type"] == "packet"]
want = {}
for p in packets:
    for hop, h in enumerate(p.get("hops", [{}])):
        # A frame where bytes were captured on the hop, or the packet's were
        # and the headers had not changed there.
        if "headers" not in h and ("headers" not in p or (hop and "flow" in h)):
            continue
        f = h.get("flow", p["flow"])
        want[(p["id"], hop)] = (f["saddr"], f["daddr"], str(f["sport"]), str(f["dport"]))
got = {}
for line in open(sys.argv[2]):
    src4, src6, dst4, dst6, sport, dport, comment = line.rstrip("\n").split("|", 6)
    assert comment.startswith("txray id="), comment
    pid = int(comment.split()[1].split("=")[1])
    hop = int(comment.split(" hop=")[1].split("/")[0]) - 1 if " hop=" in comment else 0
    got[(pid, hop)] = (src4 or src6, dst4 or dst6, sport, dport)
    assert " | sendmsg" in comment, comment
multi = sum(1 for p in packets if "hops" in p)
assert multi == 17, multi
# 108 packets with headers, two more frames for each of the 16 multi-device
# ones among them, and the uplink frame of the one captured only there.
assert len(got) == len(want) == 141, (len(got), len(want))
bad = {k: (want[k], got.get(k)) for k in want if got.get(k) != want[k]}
assert not bad, list(bad.items())[:5]
print(f"tshark read {len(got)} frames ({multi} packets over three devices); addresses, ports and comments match")
PY
