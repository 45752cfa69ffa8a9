#!/usr/bin/env bash
# Issue 8: txray's fentry and kprobe stages on real Debian kernels; then the
# real NIC drivers of issue 18 (run-nic-matrix.sh).
# Builds static txray/txray-testsend/txray-vmcheck (tests/vm/txray/build.sh),
# boots each kernel under qemu with the veth module and the payload
# tests/vm/txray/run-tests.sh, and prints the hooks chosen per stage.
#   tests/vm/run-txray-matrix.sh [run.sh options] [KERNEL...]   (default 5.10 6.1 6.12)
# Exit 0 iff every kernel passed; the last line is "vm-kernels: N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PAYLOAD=$HERE/cache/build/txray-payload
start=$(date +%s)
if ! "$HERE/txray/build.sh" "$PAYLOAD"; then
	echo "vm: static build failed"
	echo "vm-kernels: 0 passed, 1 failed"
	exit 2
fi
echo "vm: static build $(($(date +%s) - start))s"
out=$(mktemp)
"$HERE/run-matrix.sh" --modules veth "$@" -- "$PAYLOAD" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# Hook kind per stage and kernel, from the guests' TXRAY-VM-HOOK lines
# (full hook names are in the console logs' doctor tables).
echo "==== hook kind per stage: --hooks auto / kprobe / tracepoint"
awk '/^vm: kernel /{k=$3} /^TXRAY-VM-HOOK: /{sub(/\r$/,""); split($4, a, ":"); print k, $3, $2, a[1]}' "$out" |
	awk '{ key=sprintf("%-28s %-16s", $1, $2); h[key]=h[key] (h[key] == "" ? "" : " / ") $4 } END { for (k in h) print k, h[k] }' | sort
# Real NIC drivers (issue 18): virtio and e1000e on 6.1 and 6.12, and
# e1000e with --hooks tracepoint; skipped with TXRAY_SKIP_VM_NIC=1.
nic_rc=0 nic_line="vm-nics: 0 passed, 0 failed"
if [ "${TXRAY_SKIP_VM_NIC:-0}" != 1 ]; then
	start=$(date +%s)
	"$HERE/run-nic-matrix.sh" --no-build 2>&1 | tee "$out.nic"
	nic_rc=${PIPESTATUS[0]}
	nic_line=$(grep -E '^vm-nics: ' "$out.nic" | tail -1)
	echo "vm: NIC matrix $(($(date +%s) - start))s"
fi
# One last line for scripts/test.sh: both matrices' counts.
k_line=$(grep -E '^vm-kernels: ' "$out" | tail -1)
kp=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$k_line"); kf=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$k_line")
np=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$nic_line"); nf=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$nic_line")
rm -f "$out" "$out.nic"
echo "vm-kernels: $((${kp:-0} + ${np:-0})) passed, $((${kf:-1} + ${nf:-1})) failed"
[ "$rc" = 0 ] && [ "$nic_rc" = 0 ]
