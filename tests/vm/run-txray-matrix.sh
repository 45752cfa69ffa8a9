#!/usr/bin/env bash
# Issue 8: txray's fentry and kprobe stages on real Debian kernels.
# Builds static txray/txray-testsend/txray-vmcheck (tests/vm/txray/build.sh),
# boots each kernel under qemu with the veth module and the payload
# tests/vm/txray/run-tests.sh, and prints the hooks chosen per stage.
#   tests/vm/run-txray-matrix.sh [run.sh options] [KERNEL...]   (default 6.1 6.12)
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
# Hook per stage and kernel, from the guests' TXRAY-VM-HOOK lines.
echo "==== hooks chosen (txray doctor --hooks auto | kprobe | tracepoint)"
awk '/^vm: kernel /{k=$3} /^TXRAY-VM-HOOK: /{sub(/\r$/,""); print k, $2, $3, $4}' "$out" |
	awk '{ key=$1" "$3; h[key]=h[key] sprintf(" %-10s %s", $2":", $4) } END { for (k in h) print k h[k] }' | sort
echo "==== summary"
grep -E '^  (PASS|FAIL) ' "$out"
tail -1 "$out"
rm -f "$out"
exit "$rc"
