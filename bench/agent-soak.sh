#!/usr/bin/env bash
# bench/agent-soak.sh [DURATION]: `txray agent` for DURATION seconds (600) at
# the sender's full rate, to see that its memory stays flat (issue 20: "runs
# for days with flat memory"). A benchmark, not a test: run it by hand.
#
# One UDP sender (txray-testsend, sendto of 100-byte datagrams, as fast as it
# can) over a veth pair into a network namespace this script creates and
# deletes; the agent (--iface on that veth, plus AGENT_ARGS) scraped once a
# second as Prometheus would. Every INTERVAL seconds it samples:
#   rss     the agent's VmRSS (/proc/PID/status)
#   maps    the memlock of the BPF maps the agent holds (the "memlock:" of
#           each map fd's /proc/PID/fdinfo, what `bpftool map show` prints)
#   sent    txray_packets_total{outcome="sent"} in that second's scrape
#   device  the veth's tx_packets since the agent started
# and prints a table and a verdict: flat when, from the first sample on, RSS
# moved by at most RSS_BOUND_KB (4096) and the maps' memlock by at most
# MAPS_BOUND_KB (0: preallocated maps do not grow). At the end the scrape's
# sent + unfinished must equal the device's count (every packet counted once).
#
# Needs root, iproute2. Environment: BUILD (build tree, default
# ../build), TXRAY, TESTSEND, INTERVAL=30, AGENT_ARGS="", RSS_BOUND_KB,
# MAPS_BOUND_KB. Run under the shared lock: flock /tmp/txray-bpftest.lock ...
# Exit status: 0 flat and counted, 1 not, 2 could not run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DURATION=${1:-600}
BUILD=${BUILD:-$here/../build}
TXRAY=${TXRAY:-$BUILD/src/cli/txray}
TESTSEND=${TESTSEND:-$BUILD/tests/integration/txray-testsend}
INTERVAL=${INTERVAL:-30}
AGENT_ARGS=${AGENT_ARGS:-}
RSS_BOUND_KB=${RSS_BOUND_KB:-4096}
MAPS_BOUND_KB=${MAPS_BOUND_KB:-0}

die() { echo "agent-soak.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root"
for b in "$TXRAY" "$TESTSEND"; do [ -x "$b" ] || die "missing $b (build first)"; done
# shellcheck source=agent-scrape.sh
. "$here/agent-scrape.sh"

id=$(( $$ % 200 + 20 ))
NS=txrsoak$$
HIF=txs${$}h
PIF=txs${$}p
PEER_IP=10.214.$id.2
OUT=$(mktemp -d /tmp/txray-soak.XXXXXX)
apid="" spid="" kpid=""
cleanup() {
    for p in $kpid $spid $apid; do kill -INT "$p" 2>/dev/null; done
    wait 2>/dev/null
    ip link del "$HIF" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" || die "ip netns add failed"
ip link add "$HIF" type veth peer name "$PIF" || die "ip link add failed"
ip link set "$PIF" netns "$NS"
sysctl -qw "net.ipv6.conf.$HIF.disable_ipv6=1"  # nothing leaves but the sender's (and ARP)
ip addr add "10.214.$id.1/24" dev "$HIF"
ip link set "$HIF" up
ip netns exec "$NS" ip addr add "$PEER_IP/24" dev "$PIF"
ip netns exec "$NS" ip link set "$PIF" up

port=$((20000 + RANDOM % 20000))
tx() { cat "/sys/class/net/$HIF/statistics/tx_packets"; }
# shellcheck disable=SC2086
"$TXRAY" agent --listen 127.0.0.1:$port --iface "$HIF" $AGENT_ARGS >"$OUT/agent.log" 2>&1 &
apid=$!
for _ in $(seq 300); do grep -q serving "$OUT/agent.log" && break; sleep 0.1; done
grep -q serving "$OUT/agent.log" || die "the agent did not start: $(cat "$OUT/agent.log")"
tx0=$(tx)  # attached: from here on the agent sees what the device sends

# Prometheus's part: a scrape a second, the latest kept.
( while kill -0 $apid 2>/dev/null; do scrape $port "$OUT/scrape.tmp" && mv "$OUT/scrape.tmp" "$OUT/scrape"; sleep 1; done ) &
kpid=$!
"$TESTSEND" send --to "$PEER_IP" --port 9 --way sendto --size 100 --seconds "$DURATION" >"$OUT/send.log" 2>&1 &
spid=$!

sent() { awk '/^txray_packets_total\{.*outcome="sent"/ {s += $2} END {printf "%d", s}' "$OUT/scrape" 2>/dev/null; }
gauge() { awk -v n="$1" '$1 == n {print $2}' "$OUT/scrape" 2>/dev/null; }
maps_kb() {  # memlock of every BPF map fd the agent holds, and how many
    local fd total=0 n=0 m
    for fd in /proc/$apid/fd/*; do
        [ "$(readlink "$fd")" = "anon_inode:bpf-map" ] || continue
        m=$(awk '/^memlock:/ {print $2}' "/proc/$apid/fdinfo/${fd##*/}")
        total=$((total + ${m:-0}))
        n=$((n + 1))
    done
    echo "$((total / 1024)) $n"
}

echo "# txray agent soak: $(uname -r), $(nproc) CPUs, ${DURATION}s at full rate, sample every ${INTERVAL}s, agent args: --iface $HIF $AGENT_ARGS"
printf '%6s %10s %12s %6s %14s %14s %10s\n' t_s rss_kb maps_kb maps sent_scraped device_tx pkt/s
: >"$OUT/samples"
start=$(date +%s)
last_sent=0 last_t=0
for ((t = INTERVAL; t <= DURATION; t += INTERVAL)); do
    sleep $((start + t - $(date +%s)))
    kill -0 $apid 2>/dev/null || { echo "the agent exited: $(tail -3 "$OUT/agent.log")"; exit 1; }
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$apid/status")
    read -r mkb mn < <(maps_kb)
    s=$(sent)
    printf '%6d %10d %12d %6d %14d %14d %10.0f\n' "$t" "$rss" "$mkb" "$mn" "$s" "$(($(tx) - tx0))" \
        "$(awk -v a="$last_sent" -v b="$s" -v d=$((t - last_t)) 'BEGIN {print (b - a) / d}')"
    echo "$t $rss $mkb" >>"$OUT/samples"
    last_sent=$s last_t=$t
done
wait $spid
sleep 3  # the last packets end; the agent publishes; a scrape takes it
final_sent=$(sent)
unfinished=$(gauge txray_unfinished_packets)
device=$(($(tx) - tx0))
echo "# sender: $(cat "$OUT/send.log")"
echo "# end: scraped sent $final_sent + unfinished ${unfinished:-?} vs the device's $device;" \
    "expired $(gauge txray_expired_packets_total), untracked $(gauge txray_untracked_packets_total)," \
    "ifname overflow $(gauge txray_ifname_overflow_packets_total)"
echo "# agent: peak RSS $(awk '/^VmHWM/ {print $2}' "/proc/$apid/status") kB, CPU $(awk -v hz="$(getconf CLK_TCK)" -v d="$DURATION" '{printf "%.3f", ($14 + $15) / hz / d}' "/proc/$apid/stat") cores"
kill -TERM $apid
wait $apid
rc=$?
apid=""
awk -v rb="$RSS_BOUND_KB" -v mb="$MAPS_BOUND_KB" -v counted=$(( final_sent + ${unfinished:-0} == device )) -v rc=$rc '
    NR == 1 {rmin = rmax = $2; mmin = mmax = $3}
    {if ($2 < rmin) rmin = $2; if ($2 > rmax) rmax = $2; if ($3 < mmin) mmin = $3; if ($3 > mmax) mmax = $3}
    END {
        flat = (rmax - rmin <= rb) && (mmax - mmin <= mb)
        printf "verdict: RSS %d..%d kB (moved %d, bound %d), maps %d..%d kB (moved %d, bound %d): %s; every packet counted: %s; SIGTERM exit %d\n",
            rmin, rmax, rmax - rmin, rb, mmin, mmax, mmax - mmin, mb, flat ? "FLAT" : "NOT FLAT", counted ? "yes" : "NO", rc
        exit !(flat && counted && rc == 0)
    }' "$OUT/samples"
