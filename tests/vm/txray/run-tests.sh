#!/bin/sh
# txray on a real kernel (tests/vm/run-txray-matrix.sh): doctor per hook kind,
# then `txray record` of known UDP traffic (txray-testsend) with fentry
# (auto), kprobe and tracepoint hooks, on loopback and on a veth pair into a
# network namespace (unshare -n); txray-vmcheck judges each trace and
# compares the three. Prints TXRAY-VM-TEST lines, and TXRAY-VM-HOOK lines for
# the supported-kernels table. Needs in the payload: txray, txray-testsend,
# txray-vmcheck (static).
. "$TXRAY_VM_LIB"
export PATH="$TXRAY_VM_PAYLOAD:$PATH"
T=/tmp/txray-vm
mkdir -p $T
# Stages the issue requires from fentry (and kprobe) on every kernel.
IP_STAGES="udp_sendmsg route ip_local_out ip_output neigh_output dev_queue_xmit"
# Stages a UDP datagram to lo/veth passes; a check requires those doctor has.
PATH_STAGES="sendmsg udp_sendmsg route ip_local_out ip_output neigh_output dev_queue_xmit driver_xmit netif_rx xmit_done sendmsg_return"

# --- doctor ----------------------------------------------------------------
for h in auto kprobe tracepoint; do
	if txray doctor --hooks $h >$T/doctor-$h.txt 2>&1; then
		vm_pass doctor.$h "$(grep 'stages available' $T/doctor-$h.txt)"
		# Where send contexts live: task storage, or the tid hash and why.
		storage=$(grep '^send contexts in ' $T/doctor-$h.txt)
		[ -n "$storage" ] && vm_pass doctor.$h.storage "$storage" || vm_fail doctor.$h.storage "no 'send contexts in' line"
	else
		vm_fail doctor.$h "exit $?: $(tail -3 $T/doctor-$h.txt | tr '\n' ' ')"
	fi
	awk -v h=$h '$2 == "ok" || $2 == "--" { print "TXRAY-VM-HOOK: " h " " $1 " " ($2 == "ok" ? $3 : "-") }' $T/doctor-$h.txt
done
cat $T/doctor-auto.txt

# kind_of HOOKS STAGE: the hook kind doctor chose ("fentry", "kprobe", ...) or "-"
kind_of() {
	awk -v s=$2 '$1 == s { print ($2 == "ok" ? $3 : "-"); exit }' $T/doctor-$1.txt | cut -d: -f1 | cut -d/ -f1
}
for want in fentry:auto kprobe:kprobe; do
	kind=${want%%:*} h=${want#*:}
	bad=
	for s in $IP_STAGES; do
		k=$(kind_of $h $s)
		[ "$k" = "$kind" ] || bad="$bad $s=$k"
	done
	if [ -z "$bad" ]; then vm_pass doctor.$h.$kind-stages "$IP_STAGES"; else vm_fail doctor.$h.$kind-stages "not $kind:$bad"; fi
done

# required HOOKS: the path stages doctor says are available with HOOKS, comma-separated, minus route
required() {
	out=
	for s in $PATH_STAGES; do
		[ $s = route ] && continue
		[ "$(kind_of $1 $s)" != "-" ] && out="$out,$s"
	done
	echo "${out#,}"
}

# --- traffic ----------------------------------------------------------------
# port way family count size ; write uses a connected socket: cached route, no route stage
WAYS="9001:sendto:4:10:100 9002:sendmsg:4:10:200 9003:sendmmsg:4:16:120 9004:write:4:10:300"
HAVE6=0
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	HAVE6=1
	WAYS="$WAYS 9006:sendto:6:10:100"
fi

# parse_way PORT:WAY:FAMILY:COUNT:SIZE
parse_way() {
	IFS=:
	set -- $1
	unset IFS
	port=$1 way=$2 fam=$3 count=$4 size=$5
}

# record_during NAME SETTLE SENDER TXRAY_ARGS...: `txray record -o $T/NAME.json
# TXRAY_ARGS` while the function SENDER runs and SETTLE seconds after; the
# recorder's exit status in $rec_rc.
record_during() {
	rd_name=$1 rd_settle=$2 rd_sender=$3
	shift 3
	txray record -o $T/$rd_name.json "$@" >$T/$rd_name.log 2>&1 &
	rd_pid=$!
	wait_for $T/$rd_name.json '"header"' 60
	$rd_sender
	sleep $rd_settle
	kill -INT $rd_pid
	wait $rd_pid
	rec_rc=$?
}

# phase NAME HOOKS V4DST V6DST IFACE NSENTER...
# Records with --proto udp only; PHASE_FILTER adds more (e.g. --iface lo).
phase() {
	name=$1 h=$2 dst4=$3 dst6=$4 dev=$5
	shift 5
	ports= portcounts= routeports= total=0
	for w in $WAYS; do
		parse_way $w
		[ $fam = 6 ] && [ -z "$dst6" ] && continue
		total=$((total + count))
		ports="$ports,$port"
		portcounts="$portcounts,$port:$count"
		[ $way != write ] && routeports="$routeports,$port:route"
	done
	ports=${ports#,} portcounts=${portcounts#,} routeports=${routeports#,}
	rm -f $T/$name.json
	txray record -o $T/$name.json --proto udp --hooks $h $PHASE_FILTER >$T/$name.log 2>&1 &
	rec=$!
	if ! wait_for $T/$name.json '"format":"txray-trace"' 60; then
		vm_fail $name.record "recorder did not start: $(tail -c 400 $T/$name.log)"
		kill $rec 2>/dev/null
		return
	fi
	# until every datagram came (30 s at most: a guest on a busy host is slow)
	"$@" txray-testsend recv --port $ports --count $total --seconds 30 >$T/$name.recv 2>&1 &
	rcv=$!
	wait_for $T/$name.recv ready 20
	sendfail=
	for w in $WAYS; do
		parse_way $w
		dst=$dst4
		[ $fam = 6 ] && dst=$dst6
		[ -z "$dst" ] && continue
		out=$(txray-testsend send --to $dst --port $port --way $way --count $count --size $size 2>&1)
		case "$out" in *"failed 0"*) ;; *) sendfail="$sendfail $port:$out" ;; esac
	done
	wait $rcv
	sleep 1 # the last records' way through the ring
	kill -INT $rec
	wait $rec
	rc=$?
	[ -z "$sendfail" ] || vm_fail $name.send "$sendfail"
	[ $rc = 0 ] || vm_fail $name.record "txray record exit $rc: $(tail -c 400 $T/$name.log)"
	# the receiver got every datagram
	missing=
	for w in $WAYS; do
		parse_way $w
		[ $fam = 6 ] && [ -z "$dst6" ] && continue
		grep -q "^$port $count " $T/$name.recv || missing="$missing $port"
	done
	[ -z "$missing" ] && vm_pass $name.received "ports $ports" || vm_fail $name.received "ports$missing: $(tr '\n' ' ' <$T/$name.recv)"
	# Message boundaries within a sendmmsg come from sock_send_length, or
	# (6.1, which lacks it) from udp_sendmsg: not with --hooks tracepoint there.
	msgcheck=
	[ "$h" != tracepoint ] && msgcheck="--messages-for 9003"
	txray-vmcheck trace $name $T/$name.json --ports $portcounts --stages "$(required $h)" \
		--stages-for "$routeports" --iface $dev $msgcheck >$T/$name.check
	cat $T/$name.check
	grep -q '^TXRAY-VM-TEST: FAIL' $T/$name.check && VM_FAILED=$((VM_FAILED + 1))
	[ "$(kind_of $h route)" = "-" ] && echo "TXRAY-VM-NOTE: $name: no route stage with --hooks $h"
}

# --- record --headers: the capture code loads and captures ----------------
send_headers() { txray-testsend send --to 127.0.0.1 --port 9099 --count 5 --size 200 >/dev/null 2>&1; }
record_during headers 1 send_headers --headers --snaplen 64 --proto udp --port 9099
hrc=$rec_rc
hn=$(grep -c '"headers":"4500' $T/headers.json)
if [ $hrc = 0 ] && [ "$hn" = 5 ]; then
	vm_pass headers "5/5 packets with 64 captured bytes from the IPv4 header"
else
	vm_fail headers "exit $hrc, $hn/5 packets with headers: $(tail -c 300 $T/headers.log)"
fi

# --- a tcpdump expression, judged by the in-kernel interpreter ---------------
# Every creating program carries the interpreter (a bounded loop over a global
# step function), so this proves it loads and judges on this kernel, for each
# hook kind: 7 datagrams to the matching port kept, the 10 others not.
send_filter() {
	txray-testsend send --to 127.0.0.1 --port 9101 --count 10 --size 100 >/dev/null 2>&1
	txray-testsend send --to 127.0.0.1 --port 9102 --count 7 --size 100 >/dev/null 2>&1
}
for h in auto kprobe tracepoint; do
	n=filter.$h
	record_during $n 1 send_filter --hooks $h 'udp and dst port 9102'
	frc=$rec_rc
	kept=$(grep -c '"dport":9102}' $T/$n.json)
	other=$(grep -c '"dport":9101}' $T/$n.json)
	if [ $frc = 0 ] && [ "$kept" = 7 ] && [ "$other" = 0 ]; then
		vm_pass $n "7/7 datagrams to port 9102 kept, 0/10 to 9101"
	else
		vm_fail $n "exit $frc, kept $kept/7 to 9102 and $other/10 to 9101: $(tail -c 300 $T/$n.log)"
	fi
done

# --- live --summary: the in-kernel histograms count every datagram ----------
# iface: the lean summary with --iface lo. Its IP stages (fentry/kprobe) run
# before ip_output() sets skb->dev: the filter takes the route's device there,
# so every datagram counts from __ip_local_out, and ip_output has a row (the
# time since the first stage, which has none); before, the filter judged a
# missing device and the datagram counted from neigh_output.
for mode in lean syscalls iface; do
	n=summary.$mode
	flag=
	[ $mode = syscalls ] && flag=--syscalls
	[ $mode = iface ] && flag="--iface lo"
	txray live --summary $flag --port 9103 --duration 8 >$T/$n.txt 2>&1 & # room for a slow guest
	srec=$!
	wait_for $T/$n.txt 'in-kernel summary' 60
	usleep 500000
	txray-testsend send --to 127.0.0.1 --port 9103 --count 20 --size 100 >/dev/null 2>&1
	wait $srec
	src=$?
	got=$(awk '/^-- [0-9]+s: [0-9]+ packets/ { n += $3 } END { print n + 0 }' $T/$n.txt)
	# The totals' row (5 fields); per-device rows (a DEVICE column) follow
	# it when more than one device slot counted in that second.
	e2e=$(awk '$1 == "end-to-end" && NF == 5 { n += $2 } END { print n + 0 }' $T/$n.txt)
	second=20
	[ $mode = iface ] && second=$(awk '$1 == "ip_output" && NF == 5 { n += $2 } END { print n + 0 }' $T/$n.txt)
	if [ $src = 0 ] && [ "$got" = 20 ] && [ "$e2e" = 20 ] && [ "$second" = 20 ]; then
		vm_pass $n "20/20 datagrams counted, 20 in the end-to-end row, $second in the ip_output row"
	else
		vm_fail $n "exit $src, $got/20 counted, $e2e end-to-end, $second in the ip_output row: $(grep -v ' 0 packets' $T/$n.txt | tail -c 700 | tr '\n' ' ')"
	fi
done

# --- loopback ---------------------------------------------------------------
dst6=
[ $HAVE6 = 1 ] && dst6=::1
for h in auto kprobe tracepoint; do
	phase lo.$h $h 127.0.0.1 "$dst6" lo
done
txray-vmcheck compare lo.agree --ports 9001,9002,9003,9004,9006 $T/lo.auto.json $T/lo.kprobe.json $T/lo.tracepoint.json ||
	VM_FAILED=$((VM_FAILED + 1))
# --iface at __ip_local_out/ip_output (fentry/kprobe), before ip_output()
# sets skb->dev: judged on the route's device (create_packet), so every
# stage is kept.
PHASE_FILTER="--iface lo" phase lo.auto.iface auto 127.0.0.1 "" lo

# --- veth into a network namespace ------------------------------------------
if [ ! -d /sys/module/veth ] && ! grep -q '^veth ' /proc/modules 2>/dev/null; then
	vm_skip veth "veth module not loaded (run.sh --modules veth)"
else
	echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad 2>/dev/null
	unshare -n sleep 1000 &
	nspid=$!
	usleep 200000
	NS="nsenter -t $nspid -n"
	ok=1
	{
		ip link add vtx0 type veth peer name vrx0 &&
		{ ip link show vrx0 >/dev/null 2>&1 || ip link set veth0 name vrx0; } &&
		ip link set vrx0 netns $nspid &&
		ip addr add 10.77.1.1/24 dev vtx0 && ip link set vtx0 up &&
		{ $NS sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad' 2>/dev/null; true; } &&
		$NS ip link set lo up && $NS ip addr add 10.77.1.2/24 dev vrx0 && $NS ip link set vrx0 up
	} >$T/veth.log 2>&1 || ok=0
	v6=
	if [ $ok = 1 ] && [ $HAVE6 = 1 ]; then
		ip -6 addr add fd77:1::1/64 dev vtx0 2>>$T/veth.log &&
		$NS ip -6 addr add fd77:1::2/64 dev vrx0 2>>$T/veth.log && v6=fd77:1::2
		[ -n "$v6" ] || echo "TXRAY-VM-NOTE: no IPv6 on veth: $(tail -2 $T/veth.log | tr '\n' ' ')"
	fi
	if [ $ok = 0 ]; then
		vm_fail veth.setup "$(tr '\n' ' ' <$T/veth.log)"
	else
		# resolve neighbours first: the traced packets then take the same path
		ping -c 2 -W 2 10.77.1.2 >/dev/null 2>&1 || vm_fail veth.ping "no reply from 10.77.1.2"
		[ -n "$v6" ] && { ping6 -c 2 -W 2 $v6 >/dev/null 2>&1 || { echo "TXRAY-VM-NOTE: no IPv6 reply over veth"; v6=; }; }
		for h in auto kprobe tracepoint; do
			phase veth.$h $h 10.77.1.2 "$v6" vtx0 $NS
		done
		txray-vmcheck compare veth.agree --ports 9001,9002,9003,9004,9006 $T/veth.auto.json $T/veth.kprobe.json \
			$T/veth.tracepoint.json || VM_FAILED=$((VM_FAILED + 1))
		# TCP: txray-tcptest writes 200 kB in 4 kB writes to its sink in the
		# namespace (which counts what arrived). Every data segment (payload
		# > 0, not a retransmission) must carry the sender's send id, whether
		# it left in the writer's thread or later from softirq on an ACK (tied
		# by socket + sequence range), and their payloads must add up to what
		# the sink received.
		send_tcp() {
			$NS txray-tcptest sink --port 9105 --seconds 30 --once >$T/tcp.sink 2>&1 &
			sink=$!
			wait_for $T/tcp.sink ready 10
			txray-tcptest send --to 10.77.1.2 --port 9105 --bytes 204800 --write 4096 >$T/tcp.send 2>&1
			wait $sink
		}
		record_during tcp 1 send_tcp --hooks auto --proto tcp --port 9105
		tres=$(awk '/"dport":9105}/ && /"tcp":/ {
			match($0, /"send":[0-9]+/); send = substr($0, RSTART + 7, RLENGTH - 7) + 0
			match($0, /"seq":[0-9]+/); seq = substr($0, RSTART + 6, RLENGTH - 6) + 0
			match($0, /"end_seq":[0-9]+/); es = substr($0, RSTART + 10, RLENGTH - 10) + 0
			match($0, /"flags":[0-9]+/); fl = substr($0, RSTART + 8, RLENGTH - 8) + 0
			n = es - seq; if (n < 0) n += 4294967296
			if (int(fl / 2) % 2) n--   # SYN
			if (fl % 2) n--            # FIN
			if (n <= 0 || $0 ~ /"retransmit":true/) next
			segs++; data += n
			if (send > 0 && $0 ~ /"comm":"txray-tcptest"/) tied += n
		} END { print segs + 0, data + 0, tied + 0 }' $T/tcp.json)
		tsegs=$(echo $tres | cut -d' ' -f1) tdata=$(echo $tres | cut -d' ' -f2) ttied=$(echo $tres | cut -d' ' -f3)
		if [ $rec_rc = 0 ] && grep -q '^received 204800$' $T/tcp.sink && [ "$tdata" = 204800 ] && [ "$ttied" = 204800 ]; then
			vm_pass veth.tcp "$tsegs data segments, 204800/204800 bytes (the sink's count) tied to the sender's writes"
		else
			vm_fail veth.tcp "exit $rec_rc, sink: $(cat $T/tcp.sink), $tsegs data segments, $tdata bytes seen, $ttied tied to the sender: $(tail -c 200 $T/tcp.log)"
		fi

		# io_uring (bpf/hooks/uring.bpf.h): txray-uringsend sends 2x16
		# datagrams per mode (IORING_OP_SEND, then SENDMSG; one per
		# request) inline, IOSQE_ASYNC (an io-wq worker issues them), on a
		# registered file, as IORING_OP_WRITE/WRITEV, and on a registered
		# file with IOSQE_ASYNC, each to its own port of a sink in the
		# namespace that counts what arrived. Where doctor says io_uring
		# sends are tied (6.3+: io_uring_submit_req; 5.18-6.2:
		# io_uring_submit_sqe; io-wq workers' where it says so) every
		# datagram the sink got is in the trace once, on its own request of
		# io_uring_enter, on the sender; where not (5.10), an INFO line says
		# what the trace holds.
		URING_MODES="udp:9106 udp-async:9107 udp-fixed:9108 udp-write:9109 udp-fixed-async:9110"
		if [ -x "$TXRAY_VM_PAYLOAD/txray-uringsend" ]; then
			send_uring() {
				for m in $URING_MODES; do
					$NS txray-uringsend sink-udp 10.77.1.2 ${m#*:} 32 8 >$T/uring.${m%:*}.sink 2>&1 &
					us=$!
					wait_for $T/uring.${m%:*}.sink ready 10
					txray-uringsend ${m%:*} 10.77.1.2 ${m#*:} 16 >$T/uring.${m%:*}.send 2>&1 ||
						echo "sender exit $?" >>$T/uring.${m%:*}.send
					wait $us
				done
			}
			record_during uring 1 send_uring --hooks auto --proto udp
			for m in $URING_MODES; do
				mode=${m%:*} port=${m#*:}
				# io-wq workers issue udp-async's requests, and on 6.1 at
				# times the socket writes: tied where doctor says workers are
				tied_kernel=0 tie='^io_uring sends tied'
				case $mode in udp-async | udp-write | udp-fixed-async) tie='^io_uring sends tied.*and by io-wq workers' ;; esac
				grep -q "$tie" $T/doctor-auto.txt && tied_kernel=1
				got=$(tail -1 $T/uring.$mode.sink)
				ures=$(awk -v p="\"dport\":$port}" 'index($0, p) {
					n++
					if (!match($0, /"send":[0-9]+/)) next
					id = substr($0, RSTART + 7, RLENGTH - 7)
					if (id + 0 > 0 && /"comm":"txray-uringsend"/ && /"syscall":"io_uring_enter"/) { tied++; ids[id] = 1 }
				} END { for (i in ids) sends++; print n + 0, tied + 0, sends + 0 }' $T/uring.json)
				un=$(echo $ures | cut -d' ' -f1) ut=$(echo $ures | cut -d' ' -f2) usends=$(echo $ures | cut -d' ' -f3)
				what="$mode: sink got $got, trace $un datagrams, $ut on a request of io_uring_enter ($usends requests)"
				# an untied datagram's thread, as the trace has it
				[ "$ut" != "$un" ] && what="$what; e.g. $(grep "\"dport\":$port}" $T/uring.json | grep -v '"syscall":"io_uring_enter"' |
					head -1 | grep -o '"\(pid\|tid\|comm\|send\|syscall\)":[^,]*' | tr '\n' ' ')"
				if [ $rec_rc != 0 ] || [ "$got" != 32 ] || grep -q 'sender exit' $T/uring.$mode.send; then
					vm_fail veth.uring.$mode "exit $rec_rc, $what: $(cat $T/uring.$mode.send | tr '\n' ' ')"
				elif [ "$un" = 32 ] && [ "$ut" = 32 ] && [ "$usends" = 32 ]; then
					# all tied, also where doctor does not promise it (6.12's
					# socket writes ran inline: no io-wq worker took them)
					[ $tied_kernel = 0 ] && what="$what, though doctor does not promise this mode here"
					vm_pass veth.uring.$mode "$what"
				elif [ $tied_kernel = 0 ]; then
					echo "TXRAY-VM-INFO: veth.uring.$mode not tied on this kernel ($(grep '^io_uring sends' $T/doctor-auto.txt)): $what"
				else
					vm_fail veth.uring.$mode "$what"
				fi
			done
		else
			vm_skip veth.uring "no txray-uringsend in the payload (liburing-dev)"
		fi

		# A drop: ARP for an address nobody has gives up after 3 probes and
		# frees the datagrams queued for it (kfree_skb). Each is a record
		# ending dropped; before Linux 5.17 the kernel gives no reason
		# (doctor says so) and txray says NOT_SPECIFIED.
		send_drop() { txray-testsend send --to 10.77.1.99 --port 9104 --count 5 --size 100 >/dev/null 2>&1; }
		record_during drop 6 send_drop --hooks auto --port 9104
		drc=$rec_rc
		grep '"dport":9104}' $T/drop.json >$T/drop.pkts
		nd=$(grep -c '"outcome":"dropped:' $T/drop.pkts)
		if grep -q 'kfree_skb gives no drop reason' $T/doctor-auto.txt; then
			want=NOT_SPECIFIED
			nr=$(grep -c '"outcome":"dropped:NOT_SPECIFIED"' $T/drop.pkts)
		else
			want=NEIGH_*
			nr=$(grep -c '"outcome":"dropped:NEIGH_' $T/drop.pkts)
		fi
		# where each was freed (kfree_skb's caller, named from kallsyms), on every kernel
		ns=$(grep -c '"name":"drop"[^}]*"at":"[A-Za-z_][A-Za-z0-9_.]*+0x[0-9a-f]*"' $T/drop.pkts)
		if [ $drc = 0 ] && [ "$nd" = 5 ] && [ "$nr" = 5 ] && [ "$ns" = 5 ] && [ "$(wc -l <$T/drop.pkts)" = 5 ]; then
			vm_pass veth.drop "5/5 datagrams to an unresolvable neighbour dropped, reason $want, at $(grep -o '"at":"[^"+]*' $T/drop.pkts | sort -u | cut -d'"' -f4 | tr '\n' ' ')"
		else
			vm_fail veth.drop "exit $drc, $(wc -l <$T/drop.pkts) records, $nd dropped, $nr with reason $want, $ns with a site: $(grep -o '"outcome":"[^"]*"' $T/drop.pkts | tr '\n' ' ') $(tail -c 200 $T/drop.log)"
		fi
	fi
	kill $nspid 2>/dev/null
fi

# --- forwarded: the IP stages of the hop a packet leaves through -------------
if [ -d /sys/module/veth ] || grep -q '^veth ' /proc/modules 2>/dev/null; then
	. "$TXRAY_VM_PAYLOAD/forward.sh"
	forward_test
fi

# keep the fentry traces for the host (.files/ next to the console log)
for f in $T/lo.auto.json $T/veth.auto.json; do [ -f $f ] && vm_export $f $(basename $f); done
# after a failure, the other phases' traces and logs too (what the host needs to see why)
if [ $VM_FAILED -gt 0 ]; then
	for f in $T/lo.kprobe.* $T/lo.tracepoint.* $T/veth.kprobe.* $T/veth.tracepoint.* $T/forward.*.json $T/forward.*.log; do
		[ -f $f ] && vm_export $f $(basename $f)
	done
fi
vm_done
