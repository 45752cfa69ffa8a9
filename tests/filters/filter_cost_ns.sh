#!/bin/bash
# Per-invocation cost of txray's creating-stage programs (cgroup egress at
# ip_output, tp_btf/net_dev_queue) with filters that match nothing, from the
# kernel's own BPF statistics (run_time_ns / run_cnt; kernel.bpf_stats_enabled
# is switched on for the run and restored). Traffic: 64-byte UDP datagrams
# over a veth pair into a throw-away namespace. Expressions run compiled to
# eBPF, and interpreted (TXRAY_PCAP_INTERPRETER=1). Each line ends with the
# programs' total ns per packet sent, and that total's excess over --comm's.
#   filter_cost_ns.sh TXRAY TESTSEND [PACKETS] [ROUNDS]
set -euo pipefail
TXRAY=${1:?txray binary}; SEND=${2:?txray-testsend binary}; N=${3:-50000}; ROUNDS=${4:-1}
NS=txrfn-$$; H=txrfn$$h; P=txrfn$$p
OLD=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() { sysctl -q -w kernel.bpf_stats_enabled="$OLD"; ip link del "$H" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; rm -f /tmp/txrfn-$$.log /tmp/txrfn-$$.comm; }
trap cleanup EXIT
ip netns add "$NS"
ip link add "$H" type veth peer name "$P"
ip link set "$P" netns "$NS"
ip addr add 10.79.1.1/24 dev "$H"; ip link set "$H" up
ip netns exec "$NS" ip addr add 10.79.1.2/24 dev "$P"
ip netns exec "$NS" ip link set "$P" up
sleep 0.5
sysctl -q -w kernel.bpf_stats_enabled=1

ids() { bpftool -j prog show | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }
run_case() {
    local name=$1; shift
    local before; before=$(ids)
    env ${CASE_ENV:-} "$TXRAY" live -q --duration 60 "$@" >/dev/null 2>/tmp/txrfn-$$.log & local pid=$!
    for _ in $(seq 50); do grep -q "Ctrl-C to stop" /tmp/txrfn-$$.log 2>/dev/null && break; sleep 0.2; done
    sleep 0.3
    "$SEND" send --to 10.79.1.2 --port 9400 --way sendto --size 64 --count "$N" >/dev/null
    bpftool -j prog show | python3 -c '
import json, sys
before = set(sys.argv[1].split()); name = sys.argv[2]; sent = int(sys.argv[3])
out = []
total = 0
for p in json.load(sys.stdin):
    if str(p["id"]) in before: continue  # only the programs this txray loaded
    n = p.get("name", "")
    if n.startswith("txr_cgroup_egre") or n.startswith("txr_tp_net_dev_q") or n.startswith("txr_enter_sendt") or n.startswith("txr_exit_sendto"):
        cnt = p.get("run_cnt", 0)
        total += p.get("run_time_ns", 0)
        out.append("%s %.0f ns x %d" % (n, p.get("run_time_ns", 0) / cnt if cnt else 0, cnt))
per_packet = total / max(sent, 1)
comm = None
try:
    comm = float(open(sys.argv[4]).read())
except (OSError, ValueError):
    pass
if name.startswith("--comm"):
    open(sys.argv[4], "w").write(str(per_packet))
print("%-40s %s; total %.0f ns/packet%s" % (name, "; ".join(sorted(out)), per_packet,
      "" if comm is None or name.startswith("--comm") else " (%+.0f ns vs --comm)" % (per_packet - comm)))
' "$before" "$name" "$N" /tmp/txrfn-$$.comm
    kill -INT "$pid"; wait "$pid" 2>/dev/null || true
}
for round in $(seq "$ROUNDS"); do
    rm -f /tmp/txrfn-$$.comm
    run_case "no filter (traces everything)" --iface "$H"
    run_case "--comm (no match)" --comm nosuchcomm
    run_case "--netns (no match)" --netns 1
    run_case "expr 'udp port 1' (no match)" udp port 1
    run_case "expr, 32 insns (no match)" 'tcp and (port 443 or port 8443) and host 192.0.2.7 and len > 100'
    CASE_ENV=TXRAY_PCAP_INTERPRETER=1 run_case "interpreted 'udp port 1' (no match)" udp port 1
    CASE_ENV=TXRAY_PCAP_INTERPRETER=1 run_case "interpreted, 32 insns (no match)" 'tcp and (port 443 or port 8443) and host 192.0.2.7 and len > 100'
    run_case "expr 'udp' (matches all)" udp
    run_case "untraced-equivalent: --pid 1 (no send tracked)" --pid 1
done
