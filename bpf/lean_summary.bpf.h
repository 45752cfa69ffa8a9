/* Lean summary mode (txray live --summary): per-stage and end-to-end
 * histograms from the skb stages alone. A packet is 32 bytes in
 * txr_lean_inflight: no syscall context, no headers, no names, no records.
 * Each stage adds (now - previous stage) to its histogram row; the end adds
 * first stage -> out (driver, handoff or drop) to the end-to-end row.
 *
 * Included by txray.bpf.c after the filter helpers; every skb stage program
 * branches here first when lean_summary is set (a const volatile: the
 * verifier drops the other branch). */
#pragma once

const volatile __u8 lean_summary = 0;

_Static_assert(TXR_ST_COUNT <= 32, "txr_lean.seen has a bit per stage");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* sized by user space in lean summary mode */
	__type(key, __u64);     /* skb address */
	__type(value, struct txr_lean);
} txr_lean_inflight SEC(".maps");

/* The filters, only when some are set: most summaries run unfiltered. */
static __always_inline bool lean_admit(struct sk_buff *skb, enum txr_stage stage)
{
	if (sample_every > 1 && bpf_get_prandom_u32() % sample_every)
		return false;
	if (!f_ifindex && !f_proto && !f_port && !f_host_family && !f_netns && !f_cgroup_id && !f_pcap)
		return true;
	__u32 zero = 0;
	struct txr_packet *p = bpf_map_lookup_elem(&txr_scratch, &zero);
	if (!p)
		return false;
	__builtin_memset(p, 0, sizeof(*p));
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (f_proto || f_port || f_host_family)
		parse_headers(skb, p, false); /* filters set: off the hot path */
	if (f_ifindex)
		p->ifindex = BPF_CORE_READ(skb, dev, ifindex);
	if (f_netns)
		p->netns = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum)
			      : BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	if (!flow_matches(p) || !scope_and_expression_match(skb, sk, false, p, stage)) {
		count(TXR_C_FILTERED);
		return false;
	}
	return true;
}

static __always_inline void lean_finish(struct txr_lean *l, __u64 key, __u64 now, bool drop)
{
	__u64 out = l->out ? l->out : now;
	if (out > l->first)
		hist_add(TXR_HIST_E2E, out - l->first);
	if (drop)
		count(TXR_C_DROPS);
	count(TXR_C_PACKETS);
	bpf_map_delete_elem(&txr_lean_inflight, &key);
}

/* Stamp `stage` on the skb (creating its entry at a creating stage).
 * Returns the entry, or NULL when not followed. */
static __always_inline struct txr_lean *lean_stage(struct sk_buff *skb, enum txr_stage stage, __u64 now)
{
	__u64 key = (__u64)skb;
	struct txr_lean *l = bpf_map_lookup_elem(&txr_lean_inflight, &key);
	if (!l) {
		if (!creates(stage) || !lean_admit(skb, stage))
			return NULL;
		struct txr_lean n = {.first = now, .prev = now, .seen = 1u << stage};
		if (bpf_map_update_elem(&txr_lean_inflight, &key, &n, BPF_NOEXIST))
			count(TXR_C_INFLIGHT_FULL);
		return NULL;
	}
	if (l->seen & (1u << stage))
		return l;
	l->seen |= 1u << stage;
	if (now >= l->prev)
		hist_add(stage, now - l->prev);
	l->prev = now;
	if (stage == TXR_ST_DRIVER_XMIT && !l->out)
		l->out = now;
	return l;
}

/* veth and lo hand the skb to a receive path (netif_rx): the packet is out
 * of the send path when ndo_start_xmit returns (net_dev_xmit). */
static __always_inline void lean_netif_rx(struct sk_buff *skb)
{
	struct txr_lean *l = lean_stage(skb, TXR_ST_NETIF_RX, bpf_ktime_get_ns());
	if (l)
		l->handoff = 1;
}

static __always_inline void lean_xmit_done(struct sk_buff *skb, int rc)
{
	if (rc != 0)
		return; /* NETDEV_TX_BUSY: requeued and sent again; else freed */
	__u64 key = (__u64)skb, now = bpf_ktime_get_ns();
	/* Only the address is used: a TX completion may have freed it. */
	struct txr_lean *l = lean_stage(skb, TXR_ST_XMIT_DONE, now);
	if (!l)
		return;
	l->out = now; /* end to end: up to the driver's return */
	if (l->handoff)
		lean_finish(l, key, now, false);
}

/* consume_skb / kfree_skb. A handed-off skb freed by the receiver (possibly
 * before net_dev_xmit fired on this side) left the send path: not a drop. */
static __always_inline void lean_end(struct sk_buff *skb, bool drop)
{
	__u64 key = (__u64)skb;
	struct txr_lean *l = bpf_map_lookup_elem(&txr_lean_inflight, &key);
	if (!l)
		return;
	__u64 now = bpf_ktime_get_ns();
	if (l->handoff) {
		lean_finish(l, key, now, false);
		return;
	}
	lean_stage(skb, drop ? TXR_ST_DROP : TXR_ST_FREE, now);
	if (drop)
		l->out = now;
	lean_finish(l, key, now, drop);
}
