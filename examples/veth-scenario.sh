#!/usr/bin/env bash
# Records a small real trace of UDP sends over a veth pair into a network
# namespace: every way an application sends (sendto, sendmsg, sendmmsg,
# connected write), IPv4 and IPv6, a datagram over the MTU (fragments), and a
# tbf qdisc slow enough to queue and overflow, and a TCP transfer whose
# receiver drops a few segments (so some are retransmitted).
#
#   sudo examples/veth-scenario.sh [BUILD_DIR] [OUT_TRACE]
#
# Defaults: BUILD_DIR=build, OUT_TRACE=examples/veth-trace.json. Everything
# it creates (namespace txray-example, veth txr-ex0/txr-ex1) is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
out=${2:-$here/veth-trace.json}
txray=$build/src/cli/txray
send=$build/tests/integration/txray-testsend
tcp=$build/tests/integration/txray-tcptest
[[ -x $txray && -x $send && -x $tcp ]] || { echo "build first: $txray, $send or $tcp is missing" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (loads BPF programs, creates a namespace)" >&2; exit 1; }

ns=txray-example
cleanup() {
  [[ -n ${rec_pid:-} ]] && kill -INT "$rec_pid" 2>/dev/null && wait "$rec_pid" 2>/dev/null || true
  [[ -n ${recv_pid:-} ]] && kill "$recv_pid" 2>/dev/null || true
  ip link del txr-ex0 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$ns"
ip link add txr-ex0 type veth peer name txr-ex1
ip link set txr-ex1 netns "$ns"
ip addr add 10.99.0.1/24 dev txr-ex0
ip -6 addr add fd99::1/64 dev txr-ex0 nodad
ip link set txr-ex0 up
ip netns exec "$ns" ip addr add 10.99.0.2/24 dev txr-ex1
ip netns exec "$ns" ip -6 addr add fd99::2/64 dev txr-ex1 nodad
ip netns exec "$ns" ip link set txr-ex1 up
sleep 0.5

ip netns exec "$ns" "$send" recv --port 7001,7002,7003,7004,7005,7006,7007 --seconds 30 >/dev/null &
recv_pid=$!
ip netns exec "$ns" "$tcp" sink --port 7100 --seconds 30 >/dev/null &
ip netns exec "$ns" nft add table inet txray_example
ip netns exec "$ns" nft 'add chain inet txray_example in { type filter hook input priority 0; }'
ip netns exec "$ns" nft add rule inet txray_example in tcp dport 7100 numgen inc mod 9 == 4 drop
"$txray" record -o "$out" --iface txr-ex0 &
rec_pid=$!
until [[ -s $out ]]; do sleep 0.1; done
sleep 0.3

"$send" send --to 10.99.0.2 --port 7001 --way sendto --count 20 --size 200 --gap-us 2000
"$send" send --to 10.99.0.2 --port 7002 --way sendmsg --count 20 --size 600 --gap-us 2000
"$send" send --to 10.99.0.2 --port 7003 --way sendmmsg --count 32 --batch 8 --size 120 --gap-us 5000
"$send" send --to 10.99.0.2 --port 7004 --way write --count 20 --size 1000 --gap-us 2000
"$send" send --to 10.99.0.2 --port 7005 --way sendto --count 4 --size 4000 --gap-us 5000
"$send" send --to fd99::2 --port 7006 --way sendto --count 20 --size 300 --gap-us 2000
# A slow token bucket: packets queue in the qdisc, then overflow.
tc qdisc add dev txr-ex0 root tbf rate 2mbit burst 3kb limit 12kb
"$send" send --to 10.99.0.2 --port 7007 --way sendto --count 60 --size 1200
sleep 0.5
tc qdisc del dev txr-ex0 root
"$tcp" send --to 10.99.0.2 --port 7100 --bytes 262144 --write 65536 >/dev/null

kill -INT "$rec_pid"
wait "$rec_pid"
rec_pid=
echo "wrote $out ($(grep -c '"type":"packet"' "$out") packets)"
