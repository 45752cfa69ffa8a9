/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, device, qdisc and driver: __dev_queue_xmit, the qdisc, GSO segments,
 * ndo_start_xmit, netif_rx, the driver's return.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_DEVICE_BPF_H
#define TXRAY_HOOKS_DEVICE_BPF_H

/* ------------------------------------------------------------------ */
/* Device layer                                                        */

SKB_HOOKS(dev_queue_xmit, __dev_queue_xmit, TXR_ST_DEV_QUEUE_XMIT, struct sk_buff *skb)
/* In __dev_queue_xmit after tc egress and the tx queue pick. */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(txr_tp_net_dev_queue, struct sk_buff *skb)
{ skb_stage_prog(skb, TXR_ST_DEV_QUEUE_XMIT, true, true); return 0; }

/* Fires only when the qdisc accepted the skb (dev_qdisc_enqueue). */
SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(txr_tp_qdisc_enqueue, struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb)
{
	if (lean_summary) {
		lean_skb_stage(skb, TXR_ST_QDISC_ENQUEUE, bpf_ktime_get_ns(), false);
		return 0;
	}
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = skb_stage(&s, skb, TXR_ST_QDISC_ENQUEUE, true, false);
	if (p) {
		/* What was ahead of it: includes itself (counted on enqueue). */
		p->qdisc_backlog = q->qstats.backlog;
		p->qdisc_qlen = q->q.qlen;
	}
	spill_if_holds(s, (__u64)skb); /* dequeued by whichever CPU runs the qdisc */
	slot_leave(s);
	return 0;
}

/* A bulk dequeue hands back a list (skb->next): stamp each. Last wins: a
 * requeued skb (NETDEV_TX_BUSY) is dequeued again. */
SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(txr_tp_qdisc_dequeue, struct Qdisc *q, const struct netdev_queue *txq, int packets,
	     struct sk_buff *skb)
{
	__u64 now = bpf_ktime_get_ns();
	if (lean_summary) {
		lean_dequeued(skb, now);
		return 0;
	}
	/* Spilled at enqueue: in the hash. */
	for (int i = 0; i < 8 && skb; i++) {
		__u64 key = (__u64)skb;
		struct txr_packet *p = bpf_map_lookup_elem(&txr_inflight, &key);
		if (p)
			p->ts[TXR_ST_QDISC_DEQUEUE] = now;
		skb = skb->next;
	}
	return 0;
}

static __always_inline bool loops_back(const struct net_device *dev)
{
	/* lo and veth pass the skb itself to a receive path (loopback_xmit,
	 * veth_xmit -> __netif_rx); no TX completion will come. */
	char kind[5] = {};
	if (dev->flags & IFF_LOOPBACK)
		return true;
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	if (!ops)
		return false;
	const char *k = ops->kind;
	if (!k)
		return false;
	bpf_probe_read_kernel(kind, 5, k);
	return kind[0] == 'v' && kind[1] == 'e' && kind[2] == 't' && kind[3] == 'h' && kind[4] == 0;
}

/* xmit_one(): right before ndo_start_xmit. */
/* A segment of the GSO skb this CPU just consumed (same socket, within 1 s):
 * a packet of its own, with the parent's earlier stages and send. */
static __always_inline struct txr_packet *gso_segment(struct sk_buff *skb, __u64 key)
{
	__u32 zero = 0;
	struct txr_packet *par = bpf_map_lookup_elem(&txr_gso_parent, &zero);
	if (!par || !par->id || par->sk != (__u64)skb->sk)
		return NULL;
	__u64 now = bpf_ktime_get_ns();
	if (now - par->ts[TXR_ST_DEV_QUEUE_XMIT] > 1000000000ULL)
		return NULL;
	if (bpf_map_update_elem(&txr_inflight, &key, par, BPF_NOEXIST)) {
		count(TXR_C_INFLIGHT_FULL);
		return NULL;
	}
	struct txr_packet *p = bpf_map_lookup_elem(&txr_inflight, &key);
	if (!p)
		return NULL;
	p->parent_id = par->id;
	p->id = next_id();
	p->skb = key;
	p->end = 0;
	p->ts[TXR_ST_FREE] = 0;
	p->flags = (par->flags & TXR_PF_NO_SEND) | TXR_PF_GSO_SEGMENT;
	p->frag_off = 0;
	p->tcp_seq = p->tcp_end_seq = 0;
	p->tcp_flags = 0;
	parse_headers(skb, p, true);
	return p;
}

/* skb_shinfo(skb)->gso_size and gso_segs, adjacent u16s: one read. */
static __always_inline void gso_fields(struct sk_buff *skb, __u16 *size, __u16 *segs)
{
	struct skb_shared_info *sh = (void *)(skb->head + skb->end);
	__u32 both = 0;
	if (bpf_core_field_offset(struct skb_shared_info, gso_segs) ==
	    bpf_core_field_offset(struct skb_shared_info, gso_size) + 2) {
		bpf_probe_read_kernel(&both, sizeof(both), &sh->gso_size);
		*size = both & 0xffff;
		*segs = both >> 16;
	} else {
		*size = BPF_CORE_READ(sh, gso_size);
		*segs = BPF_CORE_READ(sh, gso_segs);
	}
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(txr_tp_net_dev_start_xmit, struct sk_buff *skb, const struct net_device *dev)
{
	if (lean_summary) {
		lean_skb_stage(skb, TXR_ST_DRIVER_XMIT, bpf_ktime_get_ns(), false);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (!p)
		p = gso_segment(skb, key);
	if (p) {
		p->ts[TXR_ST_DRIVER_XMIT] = bpf_ktime_get_ns(); /* last attempt wins */
		p->queue = skb->queue_mapping;
		p->len = skb->len;
		gso_fields(skb, &p->gso_size, &p->gso_segs);
		set_device(p, dev, true);
		if (loops_back(dev))
			p->end = TXR_END_HANDOFF; /* provisional: finished at net_dev_xmit */
	}
	slot_leave(s);
	return 0;
}

SEC("tp_btf/netif_rx")
int BPF_PROG(txr_tp_netif_rx, struct sk_buff *skb)
{
	if (lean_summary) {
		lean_netif_rx(skb);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p && !p->ts[TXR_ST_NETIF_RX]) {
		p->ts[TXR_ST_NETIF_RX] = bpf_ktime_get_ns();
		p->end = TXR_END_HANDOFF;
	}
	slot_leave(s);
	return 0;
}

/* After ndo_start_xmit returned. The skb may already be freed by a TX
 * completion on another CPU: only its address is used here. */
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(txr_tp_net_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	if (lean_summary) {
		lean_xmit_done(skb, rc);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p) {
		p->ts[TXR_ST_XMIT_DONE] = bpf_ktime_get_ns();
		p->xmit_rc = rc;
		if (rc == NETDEV_TX_BUSY) {
			p->requeues++;
			p->flags |= TXR_PF_REQUEUED;
			p->end = 0;
		} else if (rc == 0 && p->end == TXR_END_HANDOFF) {
			finish_packet(s, p, key, TXR_ST_XMIT_DONE, TXR_END_HANDOFF);
		}
	}
	/* Still here: left with the driver (its TX completion frees it, on any
	 * CPU), or requeued (NETDEV_TX_BUSY) for a later dequeue. */
	spill_if_holds(s, key);
	slot_leave(s);
	return 0;
}

#endif /* TXRAY_HOOKS_DEVICE_BPF_H */
