#!/usr/bin/env bash
# Issue 18: txray on real NIC drivers. For each KERNEL:MODEL[:HOOKS[:CPUS]], runs
# tests/vm/nic-trace.sh with tests/vm/nic/traffic.sh (pings, an HTTP download,
# ethtool -C, a shrunk TX ring under load) and judges the trace on the host
# with txray-niccheck against the guest's own counts.
#   tests/vm/run-nic-matrix.sh [--no-build] [KERNEL:MODEL[:HOOKS[:CPUS]]...]
# Default: 6.1:virtio 6.12:virtio 6.1:e1000e 6.12:e1000e::2 6.12:e1000e:tracepoint
# (virtio on Debian's cloud kernels, e1000e on the full amd64 flavour; the
# 6.12 e1000e boot has two CPUs: TX completions on the other CPU, the smp
# phase of traffic.sh).
# On Debian's cloud kernels (the virtio combinations) the same boot then runs
# tests/vm/nic/stack.sh (nic-trace.sh --then: VLAN on a bond, GRE, WireGuard
# over nic0, recorded on every device), judged by txray-stackcheck.
# Results in cache/nic-results/<combo>/. Last line "vm-nics: N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${TXRAY_VM_BUILD:-$REPO/build-vm}
build=1
combos=()
for a in "$@"; do
	case "$a" in
	--no-build) build=0 ;;
	*) combos+=("$a") ;;
	esac
done
[ ${#combos[@]} -gt 0 ] || combos=(6.1:virtio 6.12:virtio 6.1:e1000e 6.12:e1000e::2 6.12:e1000e:tracepoint)
if [ $build = 1 ]; then
	start=$(date +%s)
	if ! "$HERE/txray/build.sh" "$HERE/cache/build/txray-payload"; then
		echo "vm-nics: 0 passed, 1 failed"
		exit 2
	fi
	echo "vm: static build $(($(date +%s) - start))s"
fi
# guest_tx_stall CONSOLE: "nic0 TX queue stalled (NETDEV WATCHDOG at Ns,
# traffic phase P)" when the guest's console has the kernel's TX watchdog
# (traffic.sh writes each phase to the console as TXRAY-NIC-PHASE), else
# nothing.
guest_tx_stall() {
	awk '/TXRAY-NIC-PHASE/ { phase = $NF }
		/NETDEV WATCHDOG/ {
			match($0, /[0-9]+\.[0-9]+\]/); t = substr($0, RSTART, RLENGTH - 1)
			dev = $0; sub(/: NETDEV WATCHDOG.*/, "", dev); sub(/.* /, "", dev)
			printf "%s TX queue stalled (NETDEV WATCHDOG at %ss, traffic phase %s)", dev, t, phase ? phase : "none"
			exit
		}' "$1" 2>/dev/null
}
pass=0 fail=0 summary=()
for combo in "${combos[@]}"; do
	IFS=: read -r kernel model hooks cpus <<<"$combo"
	name=$kernel-$model${hooks:+-$hooks}${cpus:+-smp$cpus}
	dir=$HERE/cache/nic-results/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	start=$(date +%s)
	args=()
	[ -z "$hooks" ] || args=(--txray-args "--hooks $hooks")
	[ -z "$cpus" ] || args+=(--smp "$cpus")
	stack=0
	if [ "$model" = virtio ]; then
		stack=1
		args+=(--then "$HERE/nic/stack.sh" --modules bonding,8021q,ip_gre,wireguard,ipvlan,geneve,ipip)
	fi
	echo "==== nic $name"
	ok=1
	retried=
	for boot in 1 2; do
		rc=0
		"$HERE/nic-trace.sh" --no-build --kernel "$kernel" --nic "$model" "${args[@]}" \
			--run "$HERE/nic/traffic.sh" -o "$dir/trace.json" || rc=$?
		# The guest kernel's TX watchdog (dev_watchdog: a stopped queue with
		# nothing completed for 5 s) means the emulated NIC stopped taking
		# transmits: a 6.1 virtio guest under TCG hung so in a CI run
		# (2026-12-03). txray's programs only observe; they cannot stop a
		# queue. Such a boot is done once more, and said so.
		stalled=$(guest_tx_stall "$dir/trace.console.log")
		if [ $boot = 1 ] && [ -n "$stalled" ]; then
			echo "TXRAY-VM-NOTE: nic.$name: $stalled; booting it once more"
			retried=", on a second boot: the first ended in $stalled"
			# The first boot's console is kept; whatever else it left goes.
			find "$dir" -mindepth 1 -maxdepth 1 ! -name trace.console.log -exec rm -rf {} +
			mv "$dir/trace.console.log" "$dir/stalled.console.log"
			continue
		fi
		[ $rc = 0 ] || ok=0
		break
	done
	if [ -f "$dir/trace.json" ]; then
		"$BUILD_DIR/txray-niccheck" "nic.$name" "$dir/trace.json" "$dir" | tee "$dir/check.txt"
		[ "${PIPESTATUS[0]}" = 0 ] || ok=0
	else
		echo "TXRAY-VM-TEST: FAIL nic.$name.trace no trace (console: $dir/trace.console.log)"
	fi
	if [ $stack = 1 ] && [ -f "$dir/stack.trace.json" ]; then
		"$BUILD_DIR/txray-stackcheck" "nic.$name.stack" "$dir/stack.trace.json" "$dir" | tee "$dir/stack-check.txt"
		[ "${PIPESTATUS[0]}" = 0 ] || ok=0
	elif [ $stack = 1 ]; then
		echo "TXRAY-VM-TEST: FAIL nic.$name.stack no stack.trace.json (console: $dir/trace.console.log)"
		ok=0
	fi
	secs=$(($(date +%s) - start))
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		summary+=("PASS $name (${secs}s)$retried")
	else
		fail=$((fail + 1)); summary+=("FAIL $name (${secs}s)$retried${stalled:+; $stalled}")
		while IFS= read -r l; do summary+=("  ${l:0:300}"); done < <(
			cat "$dir"/check.txt "$dir"/stack-check.txt 2>/dev/null | grep -a '^TXRAY-VM-TEST: FAIL' | head -n 8)
	fi
done
echo "==== tests/vm NIC summary"
printf '  %s\n' "${summary[@]}"
echo "vm-nics: $pass passed, $fail failed"
[ $fail = 0 ]
