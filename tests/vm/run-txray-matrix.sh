#!/usr/bin/env bash
# Issue 8: txray's fentry and kprobe stages on real Debian kernels.
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
tail -1 "$out"   # "vm-kernels: N passed, N failed" again, as the last line
rm -f "$out"
exit "$rc"
