/* SPDX-License-Identifier: GPL-2.0 */
/* A packet across devices (issue 19): its hops after the first device, the
 * stamps on its current hop, and the moves from one hop to the next.
 *
 * A packet's first device (hop 0) lives in its txr_packet as before: a packet
 * that ends there pays nothing here (p->hop == 0: every helper is one branch).
 * Only a packet that goes on gets a txr_hops entry (keyed by its id), made
 * when it leaves through a second device, or is dropped after a hand-off; it
 * is emitted right before the packet's own record.
 *
 * The skb goes on because the devices pass it, not a copy: veth_xmit ->
 * veth_forward_skb -> __dev_forward_skb (skb_scrub_packet keeps the skb),
 * then the peer's receive (__netif_receive_skb_core, where the
 * net:netif_receive_skb tracepoint fires), the bridge (br_handle_frame ->
 * br_forward -> dev_queue_xmit on a port, or br_pass_frame_up ->
 * netif_receive_skb on the bridge device), ip_forward -> ip_output ->
 * dev_queue_xmit on the next device; a VXLAN device pushes the outer headers
 * on the same skb (vxlan_xmit -> udp_tunnel_xmit_skb -> iptunnel_xmit ->
 * ip_local_out) and queues it on the underlay device inside its own
 * ndo_start_xmit; macvlan/vlan call dev_queue_xmit on the lower device.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOPS_BPF_H
#define TXRAY_HOPS_BPF_H

#define IFF_EBRIDGE 0x2 /* netdev_priv_flags: a bridge device */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* txr_packet.id */
	__type(value, struct txr_hops);
} txr_hop_ext SEC(".maps");

/* A zeroed txr_hops: the first value of a new entry (never written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_hops);
} txr_hops_zero SEC(".maps");

/* The hop array's index, bounded where the verifier sees it: without the
 * barrier clang computes the address before the check. */
#define HOP_INDEX_OK(i) ({ asm volatile("" : "+r"(i)); (i) < TXR_MAX_HOPS - 1; })

/* Handed-off records waiting for their receive, host-wide: while there are
 * none (no forwarding path in use), the receive hooks skip their hash lookup.
 * The user-space sweep lowers it for a record it expires while parked
 * (Session::sweep). */
__u64 txr_parked = 0;

/* The receive hooks (stage netif_receive) on demand: they run for every skb
 * any device receives, so user space attaches them only while hand-offs are
 * being followed (Session::tend_receive_hooks, src/bpfload/receive_hooks.cpp).
 * A park sets txr_parks_seen (user space clears it); after a few seconds
 * without one (counted from the first packet followed) user space clears
 * txr_receive_live, then detaches them, and a later park brings them back
 * at its next poll (within ~10 ms). A packet
 * parked while they are away is followed without its receive: no
 * netif_receive stamp, no bridge it was passed up to, and delivered locally
 * no end (it expires unfinished); counted (TXR_C_RECEIVE_UNSEEN). */
__u32 txr_receive_live = 0;
__u32 txr_parks_seen = 0;

static __always_inline void park(struct txr_packet *p)
{
	if (!p->hop_state)
		__sync_fetch_and_add(&txr_parked, 1);
	p->hop_state = TXR_HOP_PARKED;
	if (!txr_parks_seen) /* read first: no store to a shared line per park */
		txr_parks_seen = 1;
	if (!txr_receive_live)
		count(TXR_C_RECEIVE_UNSEEN);
}

static __always_inline void unpark(struct txr_packet *p)
{
	if (p->hop_state)
		__sync_fetch_and_sub(&txr_parked, 1);
	p->hop_state = 0;
}

static __always_inline struct txr_hops *hops_of(const struct txr_packet *p)
{
	return p->hop ? bpf_map_lookup_elem(&txr_hop_ext, &p->id) : NULL;
}

/* The stamp of `stage` on hop k of the packet (NULL: not kept). */
static __always_inline __u64 *hop_stamp_at(struct txr_packet *p, struct txr_hops *h, __u32 k, enum txr_stage stage)
{
	if ((__u32)stage >= TXR_ST_COUNT)
		return NULL;
	if (!k)
		return &p->ts[stage];
	__u32 i = k - 1;
	if (!h || !HOP_INDEX_OK(i))
		return NULL;
	return &h->hop[i].ts[stage];
}

/* The stamp of `stage` on the packet's current hop. */
static __always_inline __u64 *hop_stamp(struct txr_packet *p, struct txr_hops *h, enum txr_stage stage)
{
	return hop_stamp_at(p, h, p->hop, stage);
}

static __always_inline __u32 hop_ifindex(const struct txr_packet *p, const struct txr_hops *h, __u32 k)
{
	if (!k)
		return p->ifindex;
	__u32 i = k - 1;
	if (!h || !HOP_INDEX_OK(i))
		return 0;
	return h->hop[i].ifindex;
}

/* Whether `dev` is another device than hop k's. An ifindex is unique only in
 * its namespace (a macvlan moved into a pod may have its lower device's): the
 * namespace is read only when the indexes match. Hop 0's is the packet's (its
 * socket's, the namespace of the device it leaves first); 0: unknown. */
static __always_inline bool other_device(const struct txr_packet *p, const struct txr_hops *h, __u32 k,
					 const struct net_device *dev, bool trusted)
{
	if (KREAD(trusted, dev, ifindex) != hop_ifindex(p, h, k))
		return true;
	__u32 ns = p->netns, i = k - 1;
	if (k && h && HOP_INDEX_OK(i))
		ns = h->hop[i].netns;
	__u32 dev_ns = dev_netns(dev, trusted);
	return ns && dev_ns && ns != dev_ns;
}

/* This CPU's scratch record of its nesting level (see create_packet), taken
 * (c->scratch_depth raised: the caller lowers it when done), or NULL. */
static __always_inline struct txr_packet *scratch_take(struct txr_cpu_state **cp)
{
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return NULL;
	__u32 depth = c->scratch_depth;
	if (depth >= TXR_SCRATCH_NEST)
		return NULL;
	struct txr_packet *f = bpf_map_lookup_elem(&txr_scratch, &depth);
	if (!f)
		return NULL;
	c->scratch_depth = depth + 1;
	*cp = c;
	f->family = f->proto = 0;
	f->sport = f->dport = 0;
	f->frag_off = 0;
	f->flags = 0;
	return f;
}

/* Whether a hop passes the device and flow filters (--iface, the flow
 * filters), with its device (ifindex in namespace netns) and the headers the
 * skb (its address) leaves with: after NAT, a tunnel's outer ones. A global
 * function, verified once on its own, so the skb is read with probe reads.
 * Asked only for a packet pending them (TXR_PF_PENDING_FILTER). */
__noinline int txr_hop_flow_passes(__u64 skb_addr, __u32 ifindex, __u32 netns)
{
	struct sk_buff *skb = (struct sk_buff *)skb_addr;
	struct txr_cpu_state *c = NULL;
	struct txr_packet *f = scratch_take(&c);
	if (!f || !c)
		return 0;
	parse_headers(skb, f, false);
	f->ifindex = ifindex;
	int pass = flow_matches(f, netns);
	c->scratch_depth--;
	return pass;
}

/* The headers as they are now, where they differ from the packet's first flow
 * (NAT rewrote them in POST_ROUTING, or a tunnel pushed outer ones). */
static __always_inline void hop_flow(struct txr_hop *n, const struct txr_packet *p, struct sk_buff *skb,
				     bool trusted)
{
	struct txr_cpu_state *c = NULL;
	struct txr_packet *f = scratch_take(&c);
	if (!f || !c)
		return;
	parse_headers(skb, f, trusted);
	bool same = f->family == p->family && f->proto == p->proto && f->sport == p->sport && f->dport == p->dport;
	for (int i = 0; i < 16 && same; i++)
		same = f->saddr[i] == p->saddr[i] && f->daddr[i] == p->daddr[i];
	if (f->family && !same) {
		n->has_flow = 1;
		n->family = f->family;
		n->proto = f->proto;
		n->sport = f->sport;
		n->dport = f->dport;
		__builtin_memcpy(n->saddr, f->saddr, 16);
		__builtin_memcpy(n->daddr, f->daddr, 16);
	}
	c->scratch_depth--;
}

/* A hop with no headers of its own to read (a bridge the receive passed the
 * packet up to): passes on its device alone when no header filter is set. */
static __always_inline bool hop_device_passes(const struct txr_hop *n)
{
	if (f_proto || f_port || f_host_family || f_pcap)
		return false;
	return !f_ifindex || (n->ifindex == f_ifindex && n->netns == f_ifnetns);
}

/* The packet goes on to device `dev` (a transmit, a bridge it was passed up
 * to, or the device it was dropped on): a new hop, its flow read from `skb`
 * when given. Beyond TXR_MAX_HOPS the last hop takes the later stages.
 * `again`: not a new hop but the current one, opened early (TXR_PF_HOP_EARLY),
 * settled now with the device it is queued on and the headers it leaves with. */
static __always_inline struct txr_hops *open_hop(struct txr_packet *p, const struct net_device *dev,
						 struct sk_buff *skb, bool trusted, bool again)
{
	if (!p->hop && !again) {
		__u32 zero = 0;
		struct txr_hops *z = bpf_map_lookup_elem(&txr_hops_zero, &zero);
		if (!z || bpf_map_update_elem(&txr_hop_ext, &p->id, z, BPF_ANY)) {
			count(TXR_C_INFLIGHT_FULL); /* not followed beyond its first device */
			return NULL;
		}
	}
	struct txr_hops *h = bpf_map_lookup_elem(&txr_hop_ext, &p->id);
	if (!h)
		return NULL;
	__u32 i = again && p->hop ? p->hop - 1 : p->hop; /* the new hop i + 1 is hop[i] */
	if (!HOP_INDEX_OK(i))
		return h;
	struct txr_hop *n = &h->hop[i];
	h->kind = TXR_REC_HOPS;
	h->id = p->id;
	n->ifindex = BPF_CORE_READ(dev, ifindex);
	bpf_probe_read_kernel_str(n->ifname, sizeof(n->ifname), dev->name);
	n->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	if (skb)
		hop_flow(n, p, skb, trusted);
	if ((p->flags & TXR_PF_PENDING_FILTER) &&
	    /* p->skb read back from the record: the skb's address as a scalar,
	     * as a global function's argument must be. */
	    /* The expression: at __dev_queue_xmit (or a receive) the MAC
	     * header is set (the Ethernet program where the device has one);
	     * no memo (that is for the first device's IP-then-device stages). */
	    (skb ? txr_hop_flow_passes(*(volatile __u64 *)&p->skb, n->ifindex, n->netns) &&
			   (!f_pcap || txr_pcap_match_skb(skb, true, trusted, false))
		 : hop_device_passes(n)))
		p->flags &= ~TXR_PF_PENDING_FILTER; /* kept: emitted at its end */
	p->hop = i + 1;
	h->count = i + 2;
	return h;
}

/* Leaving the receive path after a hand-off: the hop(s) the receive led to,
 * the bridge it was passed up to first (a device the packet passed), then
 * `dev`. The receive's time is the first stage of the first new hop: the
 * time since the hand-off is the backlog and softirq delay. */
static __always_inline struct txr_hops *hop_after_receive(struct txr_packet *p, const struct net_device *dev,
							  struct sk_buff *skb, bool trusted)
{
	__u64 rx_ts = p->rx_ts;
	const struct net_device *upper = (const struct net_device *)p->rx_dev;
	bool passed_up = p->hop_state & TXR_HOP_UPPER;
	struct txr_hops *h = NULL;
	unpark(p);
	p->end = 0;
	if (passed_up && upper && upper != dev) {
		h = open_hop(p, upper, NULL, trusted, false);
		__u64 *t = hop_stamp(p, h, TXR_ST_NETIF_RECEIVE);
		if (t && rx_ts)
			*t = rx_ts, rx_ts = 0;
	}
	h = open_hop(p, dev, skb, trusted, false);
	__u64 *t = hop_stamp(p, h, TXR_ST_NETIF_RECEIVE);
	if (t && rx_ts)
		*t = rx_ts;
	return h;
}

/* At __dev_queue_xmit of a followed skb: does it leave through a new device?
 * After a hand-off's receive (forwarded, bridged), or queued again on another
 * device within one hop (VXLAN's underlay, macvlan/vlan's lower device). */
static __always_inline struct txr_hops *hop_at_queue(struct txr_packet *p, struct sk_buff *skb, bool trusted)
{
	struct txr_hops *h = hops_of(p);
	const struct net_device *dev = KREAD(trusted, skb, dev);
	if (!dev)
		return h;
	if (p->hop_state)
		return hop_after_receive(p, dev, skb, trusted);
	bool again = p->flags & TXR_PF_HOP_EARLY;
	__u64 *t = hop_stamp(p, h, TXR_ST_DEV_QUEUE_XMIT);
	if (again || (t && *t && other_device(p, h, p->hop, dev, trusted))) {
		p->flags &= ~TXR_PF_HOP_EARLY;
		return open_hop(p, dev, skb, trusted, again);
	}
	return h;
}

/* Whether its current hop's device has taken the skb (its driver stage is
 * stamped). An IP stage now is that device sending the same skb on with
 * outer headers: from inside its ndo_start_xmit, ip_tunnel_xmit (GRE, IPIP)
 * and udp_tunnel_xmit_skb (VXLAN, Geneve) -> iptunnel_xmit -> ip_local_out;
 * after it returned, WireGuard's kworker (wg_packet_tx_worker ->
 * wg_socket_send_skb_to_peer -> udp_tunnel_xmit_skb) with the skb wg_xmit
 * queued. A skb that leaves no other way re-enters IP after its driver. */
static __always_inline bool past_device_xmit(struct txr_packet *p, struct txr_hops *h)
{
	__u64 *driver = hop_stamp(p, h, TXR_ST_DRIVER_XMIT);
	return driver && *driver;
}

/* At an IP stage (__ip_local_out, ip_output, ip_finish_output2 on
 * fentry/kprobe kernels) of a followed skb that is leaving its hop before
 * its next __dev_queue_xmit: forwarded from a hand-off's receive path
 * (ip_forward -> dst_output -> ip_output), or sent on by a tunnel device
 * after its driver stage (past_device_xmit). The stage belongs to the hop it will
 * leave through, opened now on the route's device (skb_dst(skb)->dev, as
 * ip_output reads it; the tunnel's outer route, iptunnel_xmit set it) and
 * settled at its __dev_queue_xmit (hop_at_queue): the headers are read
 * there, after POST_ROUTING's NAT. */
static __always_inline struct txr_hops *hop_before_queue(struct txr_packet *p, struct sk_buff *skb, bool trusted)
{
	const struct net_device *dev = skb_route_dev(skb, trusted);
	if (!dev)
		return hops_of(p);
	struct txr_hops *h = p->hop_state ? hop_after_receive(p, dev, NULL, trusted)
					  : open_hop(p, dev, NULL, trusted, false);
	if (h)
		p->flags |= TXR_PF_HOP_EARLY;
	return h;
}

/* Whether the receive side of a veth hand-off may send the skb on (so the
 * record waits for it): the peer (skb->dev once veth_forward_skb set it) is
 * some device's lower half (a bridge port, a macvlan/ipvlan lower device, a
 * bond slave: rx_handler set), or its namespace forwards IP (per-device IPv4
 * forwarding, as ip_route_input_slow reads it; IPv6 all). Else the packet
 * ends at the hand-off as on one device, with no extra cost. */
static __always_inline bool receive_may_forward(const struct net_device *peer)
{
	/* Plain loads: peer is skb->dev of a tp_btf argument (a faulting load
	 * reads 0, as a probe read would), not seven probe reads. */
	if (!peer)
		return true;
	if (peer->flags & IFF_LOOPBACK)
		return false;
	if (peer->rx_handler)
		return true;
	const struct in_device *in = peer->ip_ptr;
	if (in && in->cnf.data[0]) /* IPV4_DEVCONF_FORWARDING - 1 */
		return true;
	if (!bpf_core_field_exists(struct ipv6_devconf, forwarding))
		return false;
	const struct ipv6_devconf *all = peer->nd_net.net->ipv6.devconf_all;
	return all && all->forwarding != 0;
}

/* The hops record, right before the packet's own (finish_packet), when that
 * is emitted. A lost one leaves the packet with its first device only
 * (counted with the lost packet records). */
static __always_inline void emit_hops(struct txr_packet *p, bool emit)
{
	struct txr_hops *h = hops_of(p);
	if (!h)
		return;
	if (emit && bpf_ringbuf_output(&txr_events, h, sizeof(*h), rb_flags(sizeof(*h))))
		count(TXR_C_LOST_PACKET);
	bpf_map_delete_elem(&txr_hop_ext, &p->id);
}

#endif /* TXRAY_HOPS_BPF_H */
