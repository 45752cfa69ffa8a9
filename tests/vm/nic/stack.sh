# Sourced by tests/vm/nic-trace.sh (--then, after nic/traffic.sh in the same
# boot) while txray records every device: devices stacked on nic0, each a
# scenario that sends pings and UDP datagrams (txray-testsend) through it,
# each ending at nic0's TX completion
# (issue 19; judged on the host by txray-stackcheck):
#   vlan  VLAN 100 on bond0 (active-backup) over nic0: 10.251.0.1 -> 10.251.0.2
#         (a VLAN on nic1 in `peer`)
#   gre   a GRE tunnel over nic0: 10.252.0.1 -> 10.252.0.2
#   wg    WireGuard over nic0 (UDP 51820): 10.253.0.1 -> 10.253.0.2
#   ipvlan  an L2 ipvlan on nic0: 10.254.0.1 -> 10.254.0.2 (on nic1 in `peer`)
#   geneve  a Geneve tunnel over nic0 (UDP 6081): 10.248.0.1 -> 10.248.0.2
#   ipip    an IPIP tunnel over nic0 (IP proto 4): 10.247.0.1 -> 10.247.0.2
# For each: "NAME START END TX_BEFORE TX_AFTER" in $OUT/stack-windows (uptime
# seconds and nic0's tx_packets around the scenario's traffic, quiet for a
# second on both sides), the senders' pids and outputs, or "NAME skip WHY".
txp() { cat /sys/class/net/nic0/statistics/tx_packets; }
up() { cut -d' ' -f1 /proc/uptime; }
wait_carrier() {
	i=0
	while [ "$(cat /sys/class/net/$1/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
}
# scenario NAME ADDR: pings ADDR, then 10 UDP datagrams to ADDR:9300 (the
# receiver in `peer` counts them), inside a window of nic0's counter.
scenario() {
	ping -c 3 -i 0.2 "$2" >$OUT/$1-warm.txt 2>&1 # ARP, a handshake: before the window
	$PEER txray-testsend recv --port 9300 --count 10 --seconds 8 >$OUT/$1-recv.txt 2>&1 &
	rcv=$!
	wait_for $OUT/$1-recv.txt ready 20
	sleep 1
	start=$(up) before=$(txp)
	ping -c 10 -i 0.2 -s 500 "$2" >$OUT/$1-ping.txt 2>&1 &
	echo $! >$OUT/$1-ping.pid
	wait $!
	txray-testsend send --to "$2" --port 9300 --way sendto --count 10 --size 300 >$OUT/$1-udp.txt 2>&1 &
	echo $! >$OUT/$1-udp.pid
	wait $!
	wait $rcv
	sleep 1
	echo "$1 $start $(up) $before $(txp)" >>$OUT/stack-windows
}
skip() { echo "$1 skip $2" >>$OUT/stack-windows; }
# New devices without IPv6 (no router solicitations, DAD or MLD in the windows).
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
$PEER sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'

# --- vlan: VLAN 100 on bond0 on nic0 ---------------------------------------------------
if [ -d /sys/class/net/bond0 ] || echo +bond0 >/sys/class/net/bonding_masters; then
	{
		ip addr flush dev nic0 && ip link set nic0 down && ip link set bond0 down &&
		echo active-backup >/sys/class/net/bond0/bonding/mode &&
		echo 100 >/sys/class/net/bond0/bonding/miimon &&
		echo +nic0 >/sys/class/net/bond0/bonding/slaves && ip link set bond0 up &&
		{ ip link add link bond0 name vlan100 type vlan id 100 || { vconfig add bond0 100 && ip link set bond0.100 name vlan100; }; } &&
		ip addr add 10.251.0.1/24 dev vlan100 && ip link set vlan100 up &&
		$PEER ip link add link nic1 name vlan100 type vlan id 100 &&
		$PEER ip addr add 10.251.0.2/24 dev vlan100 && $PEER ip link set vlan100 up
	} >$OUT/vlan-setup.txt 2>&1 && wait_carrier bond0 && wait_carrier vlan100 && sleep 2 &&
		scenario vlan 10.251.0.2 || skip vlan "setup failed: $(tr '\n' ' ' <$OUT/vlan-setup.txt)"
	# nic0 back on its own, as the other scenarios expect it
	ip link del vlan100
	$PEER ip link del vlan100
	ip link set bond0 down
	echo -nic0 >/sys/class/net/bond0/bonding/slaves
	ip addr add 10.250.0.1/24 dev nic0
	ip link set nic0 up
	wait_carrier nic0
	sleep 1
else
	skip vlan "no bonding module"
fi

# ip_tunnel NAME MODE NET: an `ip tunnel` of MODE over nic0 between the two
# ends (NET.1 here, NET.2 in the peer), its scenario, then its removal.
ip_tunnel() {
	if { ip tunnel add $1 mode $2 local 10.250.0.1 remote 10.250.0.2 ttl 64 &&
		ip addr add $3.1/24 dev $1 && ip link set $1 up &&
		$PEER ip tunnel add $1 mode $2 local 10.250.0.2 remote 10.250.0.1 ttl 64 &&
		$PEER ip addr add $3.2/24 dev $1 && $PEER ip link set $1 up; } >$OUT/$2-setup.txt 2>&1; then
		scenario $2 $3.2
	else
		skip $2 "setup failed: $(tr '\n' ' ' <$OUT/$2-setup.txt)"
	fi
	ip link del $1 2>/dev/null
	$PEER ip link del $1 2>/dev/null
}

# --- gre: a GRE tunnel over nic0 -------------------------------------------------------
ip_tunnel gre1 gre 10.252.0

# --- wg: WireGuard over nic0 -------------------------------------------------------------
if ! command -v wg >/dev/null; then
	skip wg "no wg in the guest (the host needs wireguard-tools)"
elif { (umask 077 && wg genkey >/tmp/wg0.key && wg genkey >/tmp/wg1.key) &&
	ip link add wg0 type wireguard && $PEER ip link add wg1 type wireguard &&
	wg set wg0 private-key /tmp/wg0.key listen-port 51820 \
		peer "$(wg pubkey </tmp/wg1.key)" allowed-ips 10.253.0.2/32 endpoint 10.250.0.2:51820 &&
	$PEER wg set wg1 private-key /tmp/wg1.key listen-port 51820 \
		peer "$(wg pubkey </tmp/wg0.key)" allowed-ips 10.253.0.1/32 endpoint 10.250.0.1:51820 &&
	ip addr add 10.253.0.1/24 dev wg0 && ip link set wg0 up &&
	$PEER ip addr add 10.253.0.2/24 dev wg1 && $PEER ip link set wg1 up; } >$OUT/wg-setup.txt 2>&1; then
	scenario wg 10.253.0.2
	# TCP over wg0, whose GSO skbs wg_xmit segments into new skbs (each
	# linked to its GSO skb: txray-stackcheck's wgtcp).
	mkdir -p /tmp/www-wg
	dd if=/dev/urandom of=/tmp/www-wg/blob bs=1024 count=256 2>/dev/null
	httpd -f -p 10.253.0.1:8080 -h /tmp/www-wg &
	web=$!
	sleep 1
	start=$(up) before=$(txp)
	$PEER wget -q -O /dev/null http://10.253.0.1:8080/blob
	sleep 1
	echo "wgtcp $start $(up) $before $(txp)" >>$OUT/stack-windows
	kill $web
else
	skip wg "setup failed: $(tr '\n' ' ' <$OUT/wg-setup.txt)"
fi
ip link del wg0 2>/dev/null
$PEER ip link del wg1 2>/dev/null

# The next devices need iproute2's ip (ip2: the host's, see nic-trace.sh):
# busybox ip creates ipvlan and geneve devices without their options.
# --- ipvlan: an L2 ipvlan on nic0 -------------------------------------------------------
if ! command -v ip2 >/dev/null; then
	skip ipvlan "no ip2 in the guest (the host needs iproute2)"
elif { ip2 link add link nic0 name ipvl0 type ipvlan mode l2 &&
	ip addr add 10.254.0.1/24 dev ipvl0 && ip link set ipvl0 up &&
	$PEER ip addr add 10.254.0.2/24 dev nic1; } >$OUT/ipvlan-setup.txt 2>&1; then
	scenario ipvlan 10.254.0.2
else
	skip ipvlan "setup failed: $(tr '\n' ' ' <$OUT/ipvlan-setup.txt)"
fi
ip link del ipvl0 2>/dev/null
$PEER ip addr del 10.254.0.2/24 dev nic1 2>/dev/null

# --- geneve: a Geneve tunnel over nic0 ---------------------------------------------------
if ! command -v ip2 >/dev/null; then
	skip geneve "no ip2 in the guest (the host needs iproute2)"
elif { ip2 link add gnv0 type geneve id 77 remote 10.250.0.2 &&
	ip addr add 10.248.0.1/24 dev gnv0 && ip link set gnv0 up &&
	$PEER ip2 link add gnv0 type geneve id 77 remote 10.250.0.1 &&
	$PEER ip addr add 10.248.0.2/24 dev gnv0 && $PEER ip link set gnv0 up; } >$OUT/geneve-setup.txt 2>&1; then
	scenario geneve 10.248.0.2
else
	skip geneve "setup failed: $(tr '\n' ' ' <$OUT/geneve-setup.txt)"
fi
ip link del gnv0 2>/dev/null
$PEER ip link del gnv0 2>/dev/null

# --- ipip: an IPIP tunnel over nic0 ------------------------------------------------------
ip_tunnel ipip1 ipip 10.247.0
true
