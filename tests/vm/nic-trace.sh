#!/usr/bin/env bash
# Traces a real NIC driver under qemu: boots a Debian kernel with two NICs of
# one model joined only to each other (a qemu hub: nothing leaves the qemu
# process), nic0 10.250.0.1/24 in the guest's root namespace and nic1
# 10.250.0.2/24 in the namespace `peer`; runs `txray record --iface nic0`
# while SCRIPT is sourced as root in the guest's shell, with
#   $PEER  a command prefix that runs a command in `peer`
#   $OUT   a directory whose files are copied back beside TRACE.json
# then stops the recorder and writes the trace to TRACE.json on the host.
#
#   tests/vm/nic-trace.sh --kernel 6.1|6.12 --nic virtio|e1000e --run SCRIPT -o TRACE.json
#       [--then SCRIPT2 ...]
# Each --then script runs after SCRIPT in the same boot with its own recorder
# on every device (no --iface): its trace is NAME.trace.json beside TRACE.json
# (NAME: the script's file name without .sh).
#
# Exit 0 only when the VM booted, the NICs came up, the recorder started,
# SCRIPT returned 0, the recorder stopped cleanly and the trace (and every
# file of $OUT) arrived intact. Beside TRACE.json also: TRACE.console.log
# (the guest's console) and TRACE.record.log (txray record's output).
# See tests/vm/README.md ("Real NICs").
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${TXRAY_VM_CACHE:-$HERE/cache}
KERNEL="" NIC="" SCRIPT="" TRACE="" TXRAY_ARGS="" BUILD=1 TIMEOUT=600 SMP=1 MORE_MODULES=""
THEN=()
usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	cat <<USAGE
options:
  --txray-args "ARGS"  more arguments for txray record (e.g. "--hooks tracepoint")
  --then SCRIPT2       after SCRIPT, another script with its own recorder (repeatable)
  --modules LIST       more kernel modules for the guest (comma-separated)
  --smp N              guest CPUs (default 1)
  -t, --timeout SEC    kill the VM after SEC seconds (default $TIMEOUT)
  --no-build           use the static payload as last built (cache/build/txray-payload)
USAGE
	exit "${1:-0}"
}
die() { echo "nic-trace: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage 0 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--nic) NIC=$2; shift 2 ;;
	--run) SCRIPT=$2; shift 2 ;;
	-o) TRACE=$2; shift 2 ;;
	--txray-args) TXRAY_ARGS=$2; shift 2 ;;
	--then) THEN+=("$2"); shift 2 ;;
	--modules) MORE_MODULES=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	-t | --timeout) TIMEOUT=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	*) echo "nic-trace: unknown argument $1" >&2; usage 2 ;;
	esac
done
[ -n "$KERNEL" ] && [ -n "$NIC" ] && [ -n "$SCRIPT" ] && [ -n "$TRACE" ] || usage 2
for f in "$SCRIPT" "${THEN[@]}"; do [ -f "$f" ] || die "$f: no such file"; done
# Debian's cloud kernels ship virtio_net but no e1000e; the full amd64
# flavour ships both.
case "$NIC" in
virtio) DEVICE=virtio-net-pci FLAVOUR=cloud-amd64 MODULES=virtio_pci,virtio_net ;;
e1000e) DEVICE=e1000e FLAVOUR=amd64 MODULES=e1000e ;;
*) die "--nic $NIC: virtio or e1000e" ;;
esac
[ -z "$MORE_MODULES" ] || MODULES=$MODULES,$MORE_MODULES

# the static payload of run-txray-matrix.sh, in this tree (not TXRAY_VM_CACHE,
# which holds only kernels and may be shared between trees)
PAYLOAD=$HERE/cache/build/txray-payload
if [ "$BUILD" = 1 ]; then
	"$HERE/txray/build.sh" "$PAYLOAD" >&2 || die "static build failed"
fi
[ -x "$PAYLOAD/txray" ] || die "$PAYLOAD/txray missing (run without --no-build)"

mkdir -p "$CACHE/work"
WORK=$(mktemp -d "$CACHE/work/nic.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/payload
mkdir -p "$STAGE"
cp "$PAYLOAD/txray" "$PAYLOAD/txray-testsend" "$STAGE/" # testsend: UDP for the scripts
# uringsend (io_uring sends, when built with liburing-dev) for the scripts too
[ ! -x "$PAYLOAD/txray-uringsend" ] || cp "$PAYLOAD/txray-uringsend" "$STAGE/"
cp "$HERE/nic/guest.sh" "$STAGE/run-tests.sh"
cp "$SCRIPT" "$STAGE/nic-script.sh"
printf 'TXRAY_ARGS=%q\n' "$TXRAY_ARGS" >"$STAGE/nic.conf"
n=0
for f in "${THEN[@]}"; do
	n=$((n + 1))
	cp "$f" "$STAGE/nic-then-$n-$(basename "$f")"
done
# Host tools for the guest: Debian's (dynamic) with their libraries, started
# through the copied dynamic loader (the guest has no /lib): ethtool, wg
# (wireguard-tools: WireGuard's keys and peers are set only over its netlink),
# and iproute2's ip as ip2 (busybox ip has no ipvlan or geneve options).
guest_tool() { # NAME PACKAGE [NAME IN THE GUEST]
	local bin lib loader name=${3:-$1}
	local dir=$STAGE/$name-lib
	if ! bin=$(command -v "$1"); then
		echo "nic-trace: no $1 on the host: the guest has none (apt-get install $2)" >&2
		return
	fi
	mkdir -p "$dir"
	cp "$bin" "$dir/$name"
	ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do cp -L "$lib" "$dir/"; done
	loader=$(basename "$(ldd "$bin" | grep -o '/[^ ]*ld-linux[^ ]*')")
	chmod -x "$dir"/*
	chmod +x "$dir/$loader" # run as a program: it loads the tool
	cat >"$STAGE/$name" <<-EOF
		#!/bin/sh
		exec /payload/$name-lib/$loader --library-path /payload/$name-lib /payload/$name-lib/$name "\$@"
	EOF
	chmod +x "$STAGE/$name"
}
guest_tool ethtool ethtool
guest_tool wg wireguard-tools
guest_tool ip iproute2 ip2

QEMU=()
for i in 0 1; do
	QEMU+=(--qemu -netdev --qemu "hubport,id=hub$i,hubid=0"
		--qemu -device --qemu "$DEVICE,netdev=hub$i,mac=52:54:00:25:00:0$((i + 1))")
done
TRACE_DIR=$(cd "$(dirname "$TRACE")" && pwd) || die "-o $TRACE: no such directory"
BASE=${TRACE%.json}
LOG=$WORK/console.log
set +e
"$HERE/run.sh" --flavour "$FLAVOUR" --modules "$MODULES" --smp "$SMP" -t "$TIMEOUT" --log "$LOG" \
	"${QEMU[@]}" "$KERNEL" -- "$STAGE"
rc=$?
set -e
cp "$LOG" "$BASE.console.log"
FILES=$WORK/console.files
if [ -f "$FILES/txray-trace.json" ]; then
	mv "$FILES/txray-trace.json" "$TRACE"
	[ -f "$FILES/txray-record.log" ] && mv "$FILES/txray-record.log" "$BASE.record.log"
	for f in "$FILES"/*; do [ -f "$f" ] && mv "$f" "$TRACE_DIR/"; done
fi
if [ $rc != 0 ]; then
	echo "nic-trace: FAIL (run.sh exit $rc), console: $BASE.console.log" >&2
	exit $rc
fi
[ -f "$TRACE" ] || { echo "nic-trace: FAIL: no trace arrived" >&2; exit 1; }
echo "nic-trace: $TRACE ($(grep -c '"type":"packet"' "$TRACE") packets), console $BASE.console.log" >&2
