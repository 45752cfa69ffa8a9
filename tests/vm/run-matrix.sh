#!/usr/bin/env bash
# Runs tests/vm/run.sh for several kernels, one after the other, and prints a
# summary ending in a plain "N passed, N failed" line. Exit 0 iff all passed.
#   tests/vm/run-matrix.sh [run.sh options] [KERNEL...] [-- PAYLOAD_DIR]
# Kernels default to "5.10 6.1 6.12". Options before the kernels go to run.sh.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
opts=() kernels=() tail=()
while [ $# -gt 0 ]; do
	case "$1" in
	--) tail=("$@"); break ;;
	--no-build) opts+=("$1"); shift ;;
	-*) opts+=("$1" "$2"); shift 2 ;;
	*) kernels+=("$1"); shift ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(5.10 6.1 6.12)
pass=0 fail=0 summary=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for k in "${kernels[@]}"; do
	start=$(date +%s)
	# a group: the parent shell makes the process substitution, so $! is the tee's
	{ "$HERE/run.sh" "${opts[@]}" "$k" "${tail[@]}"; } 2> >(tee "$out" >&2)
	rc=$?
	wait $! 2>/dev/null
	secs=$(($(date +%s) - start))
	if [ $rc = 0 ]; then pass=$((pass + 1)); summary+=("PASS $k (${secs}s)")
	else
		fail=$((fail + 1)); summary+=("FAIL $k (exit $rc, ${secs}s)")
		# what failed, in the summary too: a CI log's tail is often all one sees
		while IFS= read -r l; do summary+=("  ${l:0:300}"); done < <(
			grep -a -E '^vm: (FAIL on|  +TXRAY-VM-TEST: FAIL|export of)' "$out" | head -n 8)
	fi
done
echo "==== tests/vm summary"
printf '  %s\n' "${summary[@]}"
echo "vm-kernels: $pass passed, $fail failed"
[ $fail = 0 ]
