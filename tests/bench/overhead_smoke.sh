#!/usr/bin/env bash
# Smoke test of the overhead benchmark (bench/overhead.sh, txray-floor): one
# short round of the modes that need no bpftrace, then checks what the
# benchmark's figures rest on, not the figures:
#   - every mode produced a rate, and each traced mode's tracer was running
#     (peak RSS > 0: a mode that failed to start, or an unknown one, would
#     otherwise be measured as untraced);
#   - each run has its whole-run rate beside the faster CPU's, and the sender
#     really moved between CPUs for its slices (txray-testsend --rotate-cpus);
#   - the summary table has a row per mode;
#   - the modes that leave hooks out really do (the programs each mode's
#     tracer had loaded, listed by overhead.sh): record-nosys and floor-skb
#     attach no syscall (nor fib, sock, tcp) program, nor does the agent's
#     selection without --syscalls (agent-select-none); record-null,
#     record-zst, select-none, agent-select-syscalls and floor-clock do, and
#     all of them have the device stage's;
#   - each agent mode's last scrape shows what that mode is: packets counted;
#     the lean agent and --by cgroup no capture, --by cgroup a cgroup label;
#     the selection (--capture-slower-than 100s, with and without --syscalls)
#     packets unselected, none kept;
#   - txray-floor --clock loads programs that call bpf_ktime_get_ns and the
#     plain floor's do not (the verifier drops the dead branch), as bpftool
#     shows in the translated instructions;
#   - an unknown mode is refused (exit 2), also one that looks like a floor mode.
# Needs root. Environment: TXRAY, TESTSEND, FLOOR (the built binaries).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=$here/../../bench/overhead.sh
fail() { echo "FAIL: $*"; exit 1; }
out=$(mktemp -d /tmp/txray-overhead-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

modes="untraced floor floor-clock floor-skb record-null record-zst record-nosys select-none summary summary-syscalls agent agent-select-none agent-select-syscalls agent-cgroup"
MODES="$modes" ROUNDS=1 SECONDS_PER_RUN=1 OUT="$out" bash "$script" >"$out/log" 2>&1 ||
    { cat "$out/log"; fail "overhead.sh exited $?"; }
for m in $modes; do
    line=$(awk -v m="$m" '$1 == m && $2 == "r1"' "$out/results")
    [ -n "$line" ] || { cat "$out/log"; fail "no result for mode $m"; }
    read -r _ _ pps _ rss _ _ whole <<<"$line"
    awk -v p="$pps" 'BEGIN {exit !(p > 0)}' || fail "mode $m: rate $pps"
    awk -v p="$whole" 'BEGIN {exit !(p > 0)}' || fail "mode $m: whole-run rate '$whole'"
    if [ "$m" != untraced ]; then
        awk -v r="$rss" 'BEGIN {exit !(r > 0)}' || fail "mode $m: its tracer was not running (rss $rss)"
    fi
    grep -q "^| $m | " "$out/log" || { cat "$out/log"; fail "no summary row for $m"; }
done

# Issue 21's targets, each with its fastest rounds' ratio beside the median.
section=$(sed -n '/^issue 21 targets/,$p' "$out/log")
targets=$(grep -cE '^  [0-9]\.' <<<"$section")
[ "$targets" -ge 6 ] || { cat "$out/log"; fail "issue 21's targets: $targets lines"; }
[ "$(grep -cE '^  [0-9]\..*; best rounds -?[0-9.]+$' <<<"$section")" = "$targets" ] ||
    { cat "$out/log"; fail "a target without its fastest rounds' ratio"; }

# The slices' CPUs: as many as the sender may run on (up to the slices'
# count), so the faster CPU's rate has more than one to choose from.
allowed=$(nproc)
sliced=$("$TESTSEND" send --to 127.0.0.1 --port 9 --seconds 1 --slice-ms 100 --rotate-cpus 1)
cpus=$(awk '{for (i = 1; i < NF; i++) if ($i == "cpus") print $(i + 1)}' <<<"$sliced")
[ "${cpus:-0}" = "$((allowed < 9 ? allowed : 9))" ] || fail "the sender's slices ran on ${cpus:-no} CPUs of $allowed: $sliced"
grep -qE 'best_cpu_pps [1-9]' <<<"$sliced" || fail "no rate on the faster CPU: $sliced"

# Each mode attached what it says (bpftool's names: the full function names).
progs() { cat "$out/$1.r1.progs" 2>/dev/null; }
for m in floor-clock floor-skb record-null record-zst record-nosys select-none agent-select-none agent-select-syscalls; do
    progs $m | grep -qE '^(floor|txr_tp)_net_dev_queue$' || { progs $m; fail "mode $m: no net_dev_queue program"; }
done
for m in floor-clock record-null record-zst select-none agent-select-syscalls; do
    progs $m | grep -qE '^(floor|txr)_(enter|exit)_' || { progs $m; fail "mode $m: no syscall program"; }
done
for m in floor-skb record-nosys agent-select-none; do
    if progs $m | grep -E '_(enter|exit)_|fib|sock_se|tcp_|irq'; then fail "mode $m attached the programs above"; fi
done

# The agent modes: what their last scrape says.
value() { awk -v n="$2" '$1 == n {print $2}' "$out/$1.r1.metrics"; }
for m in agent agent-select-none agent-select-syscalls agent-cgroup; do
    [ -s "$out/$m.r1.metrics" ] || fail "mode $m: no scrape"
    sent=$(awk '/^txray_packets_total\{.*outcome="sent"/ {s += $2} END {print s + 0}' "$out/$m.r1.metrics")
    [ "$sent" -gt 0 ] || fail "mode $m: no packets counted"
done
for m in agent agent-cgroup; do
    grep -q '^txray_capture' "$out/$m.r1.metrics" && fail "mode $m: capture is on"
done
grep -q '^txray_packets_total{.*cgroup="' "$out/agent-cgroup.r1.metrics" || fail "agent-cgroup: no cgroup label"
grep -q 'cgroup="' "$out/agent.r1.metrics" && fail "agent: a cgroup label without --by cgroup"
for m in agent-select-none agent-select-syscalls; do
    [ "$(value $m txray_capture_unselected_packets_total)" -gt 0 ] || fail "$m: nothing unselected"
    [ "$(value $m txray_captured_packets_total)" = 0 ] || fail "$m: packets were kept"
done

# The clock reads are really in the --clock programs.
calls_clock() {  # FLOOR-ARGS...: 0 if floor_net_dev_queue calls bpf_ktime_get_ns
    "$FLOOR" "$@" --seconds 20 >"$out/floor.log" 2>&1 &
    local pid=$! i
    for i in $(seq 100); do grep -q attached "$out/floor.log" && break; sleep 0.1; done
    grep -q attached "$out/floor.log" || { kill $pid; cat "$out/floor.log"; fail "txray-floor $* did not attach"; }
    bpftool prog dump xlated name floor_net_dev_queue >"$out/xlated" 2>&1
    kill -INT $pid; wait $pid
    grep -q "exit" "$out/xlated" || { cat "$out/xlated"; fail "bpftool shows no program"; }
    grep -q "bpf_ktime_get_ns" "$out/xlated"
}
calls_clock --clock || { cat "$out/xlated"; fail "txray-floor --clock: no clock read in floor_net_dev_queue"; }
calls_clock && { cat "$out/xlated"; fail "txray-floor: the empty floor reads the clock"; }

for bogus in bogus floor-no-bogus; do
    MODES="untraced $bogus" ROUNDS=1 SECONDS_PER_RUN=1 OUT="$out" bash "$script" >"$out/bogus" 2>&1
    rc=$?
    [ $rc = 2 ] || { cat "$out/bogus"; fail "unknown mode $bogus: exit $rc, not 2"; }
    grep -q "unknown mode $bogus" "$out/bogus" || fail "unknown mode $bogus: no message"
done
echo "overhead smoke: ok ($modes)"
