# Sourced by tests/vm/nic-trace.sh in the guest while txray records nic0
# (the VM test of tests/vm/run-nic-matrix.sh; judged on the host by
# txray-niccheck). Phases, each marked in $OUT/phases with /proc/uptime:
#   ping      20 ICMP echoes of 1000 bytes from busybox ping
#   smp       with two CPUs (a boot with --smp 2): 10 echoes from a ping
#             pinned to CPU 0 while nic0's interrupts go to CPU 1, where the
#             driver's TX completion then runs
#   http      a 1 MiB download by wget in `peer` from busybox httpd on nic0's side
#   coalesce  the pings again with interrupt moderation changed (ethtool -C),
#             where the model has a setting for it
#   shrunk    the TX ring shrunk to its minimum (ethtool -G) under load: eight
#             parallel downloads of 2 MiB (more flows, more skbs in the ring)
# nic0's tx_packets goes to $OUT/counters before and after (after a pause,
# so every completion has run).
# (each phase also on the console: run-nic-matrix.sh names the phase a NIC
# stalled in)
mark() {
	echo "$1 $(cut -d' ' -f1 /proc/uptime)" >>$OUT/phases
	echo "TXRAY-NIC-PHASE $1" >/dev/kmsg
}
txp() { cat /sys/class/net/nic0/statistics/tx_packets; }
# ethtool -G (e1000e) and down/up reset the link: wait for it to come back.
wait_carrier() {
	i=0
	while [ "$(cat /sys/class/net/nic0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
	sleep 1
}
driver=$(basename "$(readlink /sys/class/net/nic0/device/driver)")
echo "driver $driver" >$OUT/info
echo "tx_packets_before $(txp)" >$OUT/counters

mark ping
ping -c 20 -i 0.2 -s 1000 10.250.0.2 >$OUT/ping.txt 2>&1 &
echo $! >$OUT/ping.pid
wait

# Two CPUs: nic0's interrupts (its MSI/MSI-X vectors, else its INTx line) to
# CPU 1, ping to CPU 0. On x86 an MSI moves at its next interrupt: a first
# ping moves them before the measured one.
if [ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ]; then
	mark smp
	pci=$(readlink -f /sys/class/net/nic0/device)
	[ -d "$pci/msi_irqs" ] || pci=$(dirname "$pci") # virtio: the PCI device is the parent
	irqs=$(ls "$pci/msi_irqs" 2>/dev/null)
	[ -n "$irqs" ] || irqs=$(cat "$pci/irq")
	for i in $irqs; do echo 2 >/proc/irq/$i/smp_affinity; done
	echo "smp_irq_cpu 1 $(echo $irqs)" >>$OUT/info
	ping -c 3 -i 0.2 10.250.0.2 >/dev/null 2>&1
	grep -E '^ *CPU|nic0|virtio' /proc/interrupts >$OUT/interrupts.before
	taskset 1 ping -c 10 -i 0.2 -s 1000 10.250.0.2 >$OUT/ping-smp.txt 2>&1 &
	echo $! >$OUT/ping-smp.pid
	wait $!
	grep -E '^ *CPU|nic0|virtio' /proc/interrupts >$OUT/interrupts.after
fi

mark http
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/blob bs=1024 count=1024 2>/dev/null
dd if=/dev/urandom of=/tmp/www/big bs=1024 count=2048 2>/dev/null
httpd -f -p 10.250.0.1:8080 -h /tmp/www &
httpd=$!
echo $httpd >$OUT/httpd.pid
sleep 1
$PEER wget -q -O /tmp/blob.got http://10.250.0.1:8080/blob
echo "blob $(wc -c </tmp/www/blob) $(md5sum </tmp/www/blob | cut -d' ' -f1) got $(wc -c </tmp/blob.got) $(md5sum </tmp/blob.got | cut -d' ' -f1)" >>$OUT/info
rm -f /tmp/blob.got

mark coalesce
ethtool -c nic0 >$OUT/ethtool-c.before 2>&1
# e1000e: its interrupt throttle (ITR) as rx-usecs, for every interrupt.
# virtio_net: tx-frames 0 turns off NAPI TX (the device must be down): the
# driver then frees sent skbs in its next ndo_start_xmit.
crc=none
case $driver in
e1000e) ethtool -C nic0 rx-usecs 1000 >$OUT/ethtool-C.out 2>&1; crc=$? ;;
virtio_net)
	ip link set nic0 down
	ethtool -C nic0 tx-frames 0 >$OUT/ethtool-C.out 2>&1
	crc=$?
	ip link set nic0 up
	wait_carrier
	;;
esac
echo "coalesce_rc $crc" >>$OUT/info
ethtool -c nic0 >$OUT/ethtool-c.after 2>&1
ping -c 10 -i 0.2 -s 1000 10.250.0.2 >$OUT/ping-coalesce.txt 2>&1 &
echo $! >$OUT/ping-coalesce.pid
wait $!
case $driver in
e1000e) ethtool -C nic0 rx-usecs 3 >/dev/null 2>&1 ;;
virtio_net)
	ip link set nic0 down
	ethtool -C nic0 tx-frames 1 >/dev/null 2>&1
	ip link set nic0 up
	wait_carrier
	# The skbs sent without NAPI TX wait in the ring for a later xmit to
	# free them; let a ping do that: ethtool -G below would free them as
	# drops (virtnet_sq_free_unused_buf: kfree_skb).
	ping -c 2 -i 0.2 10.250.0.2 >/dev/null 2>&1
	sleep 1
	;;
esac

mark shrunk
ethtool -g nic0 >$OUT/ethtool-g.before 2>&1
min=$(awk '/^Pre-set/ { pre = 1 } /^Current/ { pre = 0 } pre && /^TX:/ { print $2 }' $OUT/ethtool-g.before)
# The smallest ring the driver takes: e1000e's minimum is 80 descriptors.
grc=1
for n in 64 80 128; do
	ethtool -G nic0 tx $n >>$OUT/ethtool-G.out 2>&1 && { grc=0; break; }
done
echo "shrink_rc $grc tx_ring_max $min" >>$OUT/info
ethtool -g nic0 >$OUT/ethtool-g.after 2>&1
wait_carrier
# The driver's own count of queue stops (e1000e: tx_restart_queue, counted in
# __e1000_maybe_stop_tx), the independent side of the shrunk check.
restarts() { ethtool -S nic0 2>/dev/null | awk '$1 == "tx_restart_queue:" { print $2 }'; }
echo "restarts_before $(restarts)" >>$OUT/info
wgets=
for i in 1 2 3 4 5 6 7 8; do
	$PEER wget -q -O /dev/null http://10.250.0.1:8080/big &
	wgets="$wgets $!"
done
wait $wgets
echo "restarts_after $(restarts)" >>$OUT/info
mark end
kill $httpd
sleep 2
echo "tx_packets_after $(txp)" >>$OUT/counters
cat /sys/class/net/nic0/queues/tx-0/byte_queue_limits/limit >$OUT/bql-limit 2>&1
true
