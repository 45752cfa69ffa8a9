# A forwarded packet's IP stages on the hop it leaves through (issue 19),
# sourced by run-tests.sh: a pod namespace --veth--> this namespace, which
# forwards IPv4 --veth--> a remote namespace. On fentry/kprobe kernels the
# forward's ip_output and ip_finish_output2 run before the uplink's
# __dev_queue_xmit: each datagram is one record through [vfp1, vfu0] with
# the receive, ip_output, neigh_output and the uplink's device stages on
# hop 1, in that order. With tracepoint hooks there is no IP stage to see
# (cgroup egress runs for local sockets only): the hops alone are checked.
# Then TCP from the pod to this namespace's own socket: each segment ends
# where the socket takes it (forward.tcp; before 6.2 by the fentry/kprobe
# stand-in for cgroup ingress, so --hooks tracepoint there is a note: its
# segments are expected to be left unfinished, the check's negative control).

# veth_pair A B: a veth pair named A and B (an old `ip` may ignore the peer's
# name and call it veth0).
veth_pair() {
	ip link add $1 type veth peer name $2 &&
	{ ip link show $2 >/dev/null 2>&1 || ip link set veth0 name $2; }
}

# The traffic of one recording $n (record_during): 10 datagrams from the pod
# to the remote namespace's receiver; 200 kB of TCP from the pod to a sink in
# this namespace.
forward_udp() {
	$R txray-testsend recv --port 9201 --count 10 --seconds 30 >$T/$n.recv 2>&1 &
	fw_rcv=$!
	wait_for $T/$n.recv ready 20
	$P txray-testsend send --to 10.78.2.2 --port 9201 --count 10 --size 100 >$T/$n.send 2>&1
	wait $fw_rcv
}
forward_tcp() {
	txray-tcptest sink --port 9202 --seconds 30 --once >$T/$n.sink 2>&1 &
	fw_snk=$!
	wait_for $T/$n.sink ready 20
	$P txray-tcptest send --to 10.78.1.1 --port 9202 --bytes 204800 --write 4096 >$T/$n.send 2>&1
	wait $fw_snk
}

forward_test() {
	unshare -n sleep 1000 &
	fpod=$!
	unshare -n sleep 1000 &
	frem=$!
	usleep 200000
	P="nsenter -t $fpod -n" R="nsenter -t $frem -n"
	# the namespaces exist before forwarding is on: theirs stays off
	if ! {
		veth_pair vfp0 vfp1 && ip link set vfp1 netns $fpod &&
		veth_pair vfu0 vfu1 && ip link set vfu1 netns $frem &&
		ip addr add 10.78.1.1/24 dev vfp0 && ip link set vfp0 up &&
		ip addr add 10.78.2.1/24 dev vfu0 && ip link set vfu0 up &&
		$P ip link set lo up && $P ip addr add 10.78.1.2/24 dev vfp1 && $P ip link set vfp1 up &&
		$P ip route add default via 10.78.1.1 &&
		$R ip link set lo up && $R ip addr add 10.78.2.2/24 dev vfu1 && $R ip link set vfu1 up &&
		$R ip route add default via 10.78.2.1 &&
		echo 1 >/proc/sys/net/ipv4/ip_forward
	} >$T/fwd.log 2>&1; then
		vm_fail forward.setup "$(tr '\n' ' ' <$T/fwd.log)"
	elif ! $P ping -c 2 -W 2 10.78.2.2 >/dev/null 2>&1; then
		vm_fail forward.ping "no reply from 10.78.2.2 through the forwarding namespace"
	else
		for h in auto kprobe tracepoint; do
			n=forward.$h
			record_during $n 1 forward_udp --proto udp --port 9201 --hooks $h
			[ $rec_rc = 0 ] || vm_fail $n.record "txray record exit $rec_rc: $(tail -c 300 $T/$n.log)"
			grep -q "^9201 10 " $T/$n.recv || vm_fail $n.received "$(tr '\n' ' ' <$T/$n.recv)"
			on_uplink=netif_receive,dev_queue_xmit,driver_xmit,netif_rx,xmit_done
			[ $h != tracepoint ] && on_uplink=netif_receive,ip_output,neigh_output,dev_queue_xmit,driver_xmit,netif_rx,xmit_done
			txray-vmcheck hops $n $T/$n.json --port 9201 --count 10 --devices vfp1,vfu0 \
				--stages-on 1:$on_uplink >$T/$n.check
			cat $T/$n.check
			grep -q '^TXRAY-VM-TEST: FAIL' $T/$n.check && VM_FAILED=$((VM_FAILED + 1))
		done
		for h in auto tracepoint; do
			n=forward.tcp.$h
			record_during $n 1 forward_tcp --proto tcp --port 9202 --hooks $h
			[ $rec_rc = 0 ] || vm_fail $n.record "txray record exit $rec_rc: $(tail -c 300 $T/$n.log)"
			got=$(sed -n 's/^received //p' $T/$n.sink)
			txray-vmcheck delivered $n $T/$n.json --port 9202 --bytes ${got:-0} --device vfp1 >$T/$n.check
			if [ $h = auto ]; then
				[ "$got" = 204800 ] || vm_fail $n.received "$(tr '\n' ' ' <$T/$n.sink)"
				cat $T/$n.check
				grep -q '^TXRAY-VM-TEST: FAIL' $T/$n.check && VM_FAILED=$((VM_FAILED + 1))
			else
				sed 's/^TXRAY-VM-TEST: /TXRAY-VM-NOTE: (tracepoint hooks only) /' $T/$n.check
			fi
		done
	fi
	echo 0 >/proc/sys/net/ipv4/ip_forward
	ip link del vfp0 2>/dev/null
	ip link del vfu0 2>/dev/null
	kill $fpod $frem 2>/dev/null
}
