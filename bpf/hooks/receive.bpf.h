/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, the receive side of a hand-off: net:netif_receive_skb, and the
 * local socket's cgroup ingress, where a handed-off packet that was not sent
 * on ends (delivered locally). Forwarding itself is seen at the next device's
 * __dev_queue_xmit (skb_stage -> hop_at_queue), a drop at kfree_skb.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_RECEIVE_BPF_H
#define TXRAY_HOOKS_RECEIVE_BPF_H

/* A handed-off record waits in the hash (never in a slot: the receive runs
 * in softirq, maybe on another CPU or in ksoftirqd). */
static __always_inline struct txr_packet *handed_off(struct sk_buff *skb)
{
	if (!txr_parked)
		return NULL;
	__u64 key = (__u64)skb;
	struct txr_packet *p = bpf_map_lookup_elem(&txr_inflight, &key);
	return p && p->hop_state ? p : NULL;
}

/* __netif_receive_skb_core, for every received skb: a hash lookup. The first
 * receive after a hand-off is the peer's (the backlog's delay before it);
 * another one on a different device is an upper device the stack passed it
 * up to (br_pass_frame_up, vlan/macvlan receive). */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(txr_tp_netif_receive_skb, struct sk_buff *skb)
{
	if (lean_summary)
		return 0;
	struct txr_packet *p = handed_off(skb);
	if (!p)
		return 0;
	__u64 dev = (__u64)skb->dev;
	if (p->hop_state == TXR_HOP_PARKED) {
		p->hop_state = TXR_HOP_RECEIVING;
		p->rx_ts = bpf_ktime_get_ns();
		p->rx_dev = dev;
	} else if (dev != p->rx_dev) {
		p->hop_state |= TXR_HOP_UPPER;
		p->rx_dev = dev;
	}
	return 0;
}

/* sk_filter_trim_cap: a local socket takes the skb (udp_queue_rcv_one_skb,
 * tcp_v4_rcv -> tcp_filter, and their IPv6 twins), in softirq, long before
 * its reader's recv(), which frees it with no tracepoint (__kfree_skb,
 * skb_consume_udp). A handed-off packet ends here as it would have at its
 * hand-off: sent, its hops so far. */
static __always_inline void delivered_locally(struct sk_buff *skb)
{
	struct txr_packet *p = handed_off(skb);
	if (p) {
		unpark(p);
		finish_packet(NULL, p, (__u64)skb, TXR_ST_NETIF_RECEIVE, TXR_END_HANDOFF);
	}
}

/* The cgroup ingress hook runs at the top of sk_filter_trim_cap
 * (BPF_CGROUP_RUN_PROG_INET_INGRESS). Always allows. */
SEC("cgroup_skb/ingress")
int txr_cgroup_ingress(struct __sk_buff *ctx)
{
	if (!lean_summary)
		delivered_locally(bpf_cast_to_kern_ctx(ctx));
	return 1;
}

/* Before 6.2 (no bpf_cast_to_kern_ctx to find the skb of a cgroup program's
 * context): the function itself. Its skb is the second argument on every
 * kernel (6.17 added a fourth, the drop reason). */
SEC("fentry/sk_filter_trim_cap")
int BPF_PROG(txr_fentry_sk_filter, struct sock *sk, struct sk_buff *skb)
{
	if (!lean_summary)
		delivered_locally(skb);
	return 0;
}

SEC("kprobe/sk_filter_trim_cap")
int BPF_KPROBE(txr_kprobe_sk_filter, struct sock *sk, struct sk_buff *skb)
{
	if (!lean_summary)
		delivered_locally(skb);
	return 0;
}

/* consume_skb/kfree_skb of a handed-off record. Consumed (ICMP echo, a
 * control packet), or dropped because no socket wanted it
 * (SKB_DROP_REASON_NO_SOCKET: the destination host said "port unreachable"),
 * or with no reason (NOT_SPECIFIED: the receive path's plain kfree_skb, e.g.
 * ndisc ignoring a router solicitation on a host), or on a kernel without
 * drop reasons: it was delivered, as at its hand-off. Another drop (netfilter FORWARD or INPUT, the backlog full, a
 * bridge's filter) ends it on a hop of the device it was received on. Returns
 * false when the record is not a handed-off one. */
static __always_inline bool end_after_handoff(struct txr_pkt_slot *s, struct txr_packet *p, struct sk_buff *skb,
					      bool dropped, __u32 reason, __u64 site)
{
	if (!p->hop_state)
		return false;
	__u64 key = (__u64)skb;
	unpark(p);
	if (!dropped || !drop_reasons || reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET) ||
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED)) {
		finish_packet(s, p, key, TXR_ST_NETIF_RECEIVE, TXR_END_HANDOFF);
		return true;
	}
	const struct net_device *dev = p->rx_dev ? (const struct net_device *)p->rx_dev : skb->dev;
	__u64 rx_ts = p->rx_ts;
	struct txr_hops *h = open_hop(p, dev, skb, true, false);
	__u64 *t = hop_stamp(p, h, TXR_ST_NETIF_RECEIVE);
	if (t && rx_ts)
		*t = rx_ts;
	t = hop_stamp(p, h, TXR_ST_DROP);
	if (t)
		*t = bpf_ktime_get_ns();
	p->drop_reason = reason;
	p->drop_site = site;
	finish_packet(s, p, key, TXR_ST_DROP, TXR_END_DROP);
	return true;
}

#endif /* TXRAY_HOOKS_RECEIVE_BPF_H */
