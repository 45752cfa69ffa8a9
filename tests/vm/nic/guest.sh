#!/bin/sh
# The guest's side of tests/vm/nic-trace.sh (its run-tests.sh): names the two
# NICs by their MACs, puts nic1 into the namespace `peer`, starts
# `txray record --iface nic0`, sources the user's script with $PEER and $OUT,
# stops the recorder and sends the trace and $OUT's files to the host.
# Settings from nic-trace.sh in /payload/nic.conf: TXRAY_ARGS.
. "$TXRAY_VM_LIB"
export PATH="$TXRAY_VM_PAYLOAD:$PATH"
TXRAY_ARGS=
[ -f "$TXRAY_VM_PAYLOAD/nic.conf" ] && . "$TXRAY_VM_PAYLOAD/nic.conf"
T=/tmp/nic
OUT=/tmp/nic-out
mkdir -p $T $OUT

# --- the NIC pair ------------------------------------------------------------
# qemu gives nic0 52:54:00:25:00:01 and nic1 52:54:00:25:00:02 (nic-trace.sh).
n0= n1=
for d in /sys/class/net/*; do
	case "$(cat $d/address 2>/dev/null)" in
	52:54:00:25:00:01) n0=${d##*/} ;;
	52:54:00:25:00:02) n1=${d##*/} ;;
	esac
done
if [ -z "$n0" ] || [ -z "$n1" ]; then
	vm_fail nic.setup "NICs not found by MAC: $(ls /sys/class/net | tr '\n' ' ')"
	vm_done
fi
unshare -n sleep 100000 &
nspid=$!
usleep 200000
PEER="nsenter -t $nspid -n"
export PEER OUT
# IPv6 off on both NICs: nic0 then sends what the script makes, and ARP.
{
	ip link set "$n0" name nic0 && ip link set "$n1" name nic1 &&
	echo 1 >/proc/sys/net/ipv6/conf/nic0/disable_ipv6 &&
	ip link set nic1 netns $nspid &&
	$PEER sh -c 'echo 1 >/proc/sys/net/ipv6/conf/nic1/disable_ipv6' &&
	ip addr add 10.250.0.1/24 dev nic0 && ip link set nic0 up &&
	$PEER ip link set lo up && $PEER ip addr add 10.250.0.2/24 dev nic1 && $PEER ip link set nic1 up
} >$T/setup.log 2>&1
i=0
while [ "$(cat /sys/class/net/nic0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
driver=$(basename "$(readlink /sys/class/net/nic0/device/driver 2>/dev/null)")
queues=$(ls -d /sys/class/net/nic0/queues/tx-* 2>/dev/null | wc -l)
if [ "$(cat /sys/class/net/nic0/carrier 2>/dev/null)" = 1 ] && $PEER ip addr show dev nic1 | grep -q 10.250.0.2; then
	vm_pass nic.setup "nic0 10.250.0.1 ($driver, $queues TX queues), nic1 10.250.0.2 in peer"
else
	vm_fail nic.setup "$(tr '\n' ' ' <$T/setup.log) carrier=$(cat /sys/class/net/nic0/carrier 2>/dev/null)"
	kill $nspid
	vm_done
fi
echo "TXRAY-VM-NIC: driver $driver queues $queues"

# --- a NIC that stops taking transmits ------------------------------------------
# The kernel's TX watchdog (dev_watchdog: a stopped queue that completed
# nothing for 5 s) means the emulated NIC stopped taking transmits; every
# phase after it would wait for the host's timeout (600 s). End the boot at
# once instead: everything but init is killed (init's tee of this script's
# output too: the FAIL line goes to its file), init reports the FAIL, and
# run-nic-matrix.sh boots the combination once more.
(
	while sleep 2; do
		line=$(dmesg | grep -m1 'NETDEV WATCHDOG') || continue
		# vm_fail's count stays in this subshell: init counts the line.
		vm_fail nic.stall "$line" | tee -a /tmp/txray-vm-out >/dev/console
		sync
		kill -9 -1
	done
) </dev/null >/dev/null 2>&1 &
watchdog=$!
trap 'kill $watchdog 2>/dev/null' EXIT

# --- record around the scripts -------------------------------------------------
# record NAME SCRIPT [ARGS...]: `txray record ARGS $TXRAY_ARGS` while SCRIPT is
# sourced; the trace and txray's output go to $T/NAME.json and $T/NAME.log.
record() {
	name=$1 script=$2
	shift 2
	txray record "$@" $TXRAY_ARGS -o $T/$name.json >$T/$name.log 2>&1 &
	rec=$!
	if ! wait_for $T/$name.json '"format":"txray-trace"' 90; then
		vm_fail nic.record "$name: recorder did not start: $(tail -c 400 $T/$name.log)"
		kill $rec 2>/dev/null
		return 1
	fi
	vm_pass nic.record "$name: txray record $* $TXRAY_ARGS"
	echo "TXRAY-VM-NIC: script $name starting"
	(cd /tmp && . "$script") >$T/$name.script.log 2>&1
	src=$?
	sed "s/^/$name: /" $T/$name.script.log
	[ $src = 0 ] && vm_pass nic.script "$name exit 0" || vm_fail nic.script "$name exit $src"
	kill -INT $rec
	wait $rec
	rrc=$?
	cat $T/$name.log
	[ $rrc = 0 ] && vm_pass nic.stop "$name: recorder exit 0" || vm_fail nic.stop "$name: recorder exit $rrc"
}
# The main script on nic0 alone; then each --then script (nic-then-N-NAME.sh)
# with a recorder on every device: its packets start on the devices it
# stacks on nic0 (a VLAN, a tunnel) and leave through nic0 as a later hop.
if record txray-trace "$TXRAY_VM_PAYLOAD/nic-script.sh" --iface nic0; then
	for s in "$TXRAY_VM_PAYLOAD"/nic-then-*.sh; do
		[ -f "$s" ] || continue
		n=${s##*/nic-then-}
		n=${n#*-}
		record "${n%.sh}.trace" "$s" || break
	done
fi
kill $nspid 2>/dev/null

# --- back to the host ---------------------------------------------------------------
vm_export $T/txray-trace.json txray-trace.json || vm_fail nic.export "no trace"
vm_export $T/txray-trace.log txray-record.log
for f in $T/*.trace.json; do
	[ -f "$f" ] || continue
	vm_export "$f" "${f##*/}" || vm_fail nic.export "no ${f##*/}"
	vm_export "${f%.json}.log" "$(basename "${f%.trace.json}").record.log"
done
for f in $OUT/*; do
	[ -f "$f" ] || continue
	case "${f##*/}" in
	txray-trace.json | txray-record.log | *.trace.json | *.record.log) vm_fail nic.export "\$OUT/${f##*/}: the name is the harness's" ;;
	*) vm_export "$f" "${f##*/}" ;;
	esac
done
vm_done
