#!/bin/bash
# Cost of txray filters that match nothing, against no tracing at all:
# txray-testsend sends 64-byte UDP datagrams (sendto, one thread) for S seconds
# over a veth pair into a throw-away namespace, untraced and then under
# `txray live -q` with each filter; prints the sender's packets/s per round,
# then the median per-packet cost of each filter above --comm's, from the
# rates (1/pps differences; the sender is one thread, so its time per packet).
# Expressions run compiled to eBPF, and interpreted (TXRAY_PCAP_INTERPRETER=1).
#   filter_cost.sh TXRAY TESTSEND [SECONDS] [ROUNDS]
set -euo pipefail
TXRAY=${1:?txray binary}; SEND=${2:?txray-testsend binary}; S=${3:-4}; ROUNDS=${4:-3}
NS=txrfc-$$; H=txrfc$$h; P=txrfc$$p
cleanup() { ip link del "$H" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; rm -f /tmp/txrfc-$$.log /tmp/txrfc-$$.res; }
trap cleanup EXIT
ip netns add "$NS"
ip link add "$H" type veth peer name "$P"
ip link set "$P" netns "$NS"
ip addr add 10.79.0.1/24 dev "$H"; ip link set "$H" up
ip netns exec "$NS" ip addr add 10.79.0.2/24 dev "$P"
ip netns exec "$NS" ip link set "$P" up
ip netns exec "$NS" ip link set lo up
sleep 0.5

pps() { "$SEND" send --to 10.79.0.2 --port 9400 --way sendto --size 64 --seconds "$S" | sed -n 's/.* pps \([0-9]*\).*/\1/p'; }
run_case() {  # name, txray args (empty: untraced); CASE_ENV: environment for txray
    local name=$1; shift
    local pid=""
    if [ $# -gt 0 ]; then
        env ${CASE_ENV:-} "$TXRAY" live -q --duration $((S + 8)) "$@" >/dev/null 2>/tmp/txrfc-$$.log & pid=$!
        for _ in $(seq 50); do grep -q "Ctrl-C to stop" /tmp/txrfc-$$.log 2>/dev/null && break; sleep 0.2; done
        sleep 0.5
    fi
    local r; r=$(pps)
    [ -n "$pid" ] && { kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
    printf '%-40s %10s pps\n' "$name" "$r"
    echo "$name|$r" >>/tmp/txrfc-$$.res
}
ip netns exec "$NS" "$SEND" recv --port 9400 --seconds $(( (S + 12) * 6 * ROUNDS )) >/dev/null &
RECV=$!
for round in $(seq "$ROUNDS"); do
    echo "round $round"
    run_case "untraced"
    run_case "no filter (traces everything)" --iface "$H"
    run_case "--comm (no match)" --comm nosuchcomm
    run_case "expr 'udp port 1' (no match)" udp port 1
    run_case "expr, 32 insns (no match)" 'tcp and (port 443 or port 8443) and host 192.0.2.7 and len > 100'
    CASE_ENV=TXRAY_PCAP_INTERPRETER=1 run_case "interpreted 'udp port 1' (no match)" udp port 1
    CASE_ENV=TXRAY_PCAP_INTERPRETER=1 run_case "interpreted, 32 insns (no match)" 'tcp and (port 443 or port 8443) and host 192.0.2.7 and len > 100'
done
kill "$RECV" 2>/dev/null || true
# ns per packet above --comm, per round (same round's rates), median over rounds.
python3 - /tmp/txrfc-$$.res "$ROUNDS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if "|" in l]
n = len(rows) // int(sys.argv[2])
rounds = [dict(rows[i:i + n]) for i in range(0, len(rows), n)]
print("\nper-packet cost above --comm (median of rounds; ns = 1e9/pps - 1e9/pps_comm):")
for name in [r[0] for r in rows[:n]]:
    d = [1e9 / float(r[name]) - 1e9 / float(r["--comm (no match)"]) for r in rounds if r.get(name) and r.get("--comm (no match)")]
    if d:
        print(f"  {name:<40} {statistics.median(d):8.0f} ns  (rounds: {', '.join(f'{x:.0f}' for x in d)})")
PY
