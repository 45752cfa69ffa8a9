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
	if (lean_summary) { /* skb: the tracepoint's argument (trusted) */
		lean_skb_stage(skb, TXR_ST_QDISC_ENQUEUE, bpf_ktime_get_ns(), false, true);
		return 0;
	}
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = skb_stage(&s, skb, TXR_ST_QDISC_ENQUEUE, true, false);
	if (p && !p->hop) { /* the first device's qdisc (the top-level fields) */
		/* What was ahead of it: includes itself (counted on enqueue). */
		p->qdisc_backlog = q->qstats.backlog;
		p->qdisc_qlen = q->q.qlen;
	}
	spill_if_holds(s, (__u64)skb); /* dequeued by whichever CPU runs the qdisc */
	slot_leave(s);
	return 0;
}

/* A bulk dequeue hands back a list (skb->next): stamp each. Last wins. A
 * packet dequeued again was requeued (dev_requeue_skb): by the driver's
 * NETDEV_TX_BUSY, or by sch_direct_xmit() without calling the driver because
 * the queue was stopped (no net_dev_xmit then): counted here for both. */
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
		struct txr_packet *p = counted_lookup(txr_inflight, &key);
		__u64 *t = p ? hop_stamp(p, hops_of(p), TXR_ST_QDISC_DEQUEUE) : NULL;
		if (t) {
			if (*t) {
				p->requeues++;
				p->flags |= TXR_PF_REQUEUED;
			}
			*t = now;
		}
		skb = skb->next;
	}
	return 0;
}

/* What a device's ndo_start_xmit does with the skb. */
enum txr_xmit_kind {
	TXR_XMIT_DRIVER,     /* keeps it until its TX completion */
	TXR_XMIT_LOOPS_BACK, /* lo and veth pass the skb itself to a receive path
			      * (loopback_xmit, veth_xmit -> __netif_rx); no TX
			      * completion will come */
	TXR_XMIT_WORKER,     /* WireGuard: queued for its kworker, which sends the
			      * same skb on after wg_xmit returned */
};

static __always_inline enum txr_xmit_kind xmit_kind(const struct net_device *dev)
{
	if (dev->flags & IFF_LOOPBACK)
		return TXR_XMIT_LOOPS_BACK;
	enum txr_link_kind k = link_kind_of(dev);
	return k == TXR_LINK_VETH ? TXR_XMIT_LOOPS_BACK : k == TXR_LINK_WIREGUARD ? TXR_XMIT_WORKER : TXR_XMIT_DRIVER;
}

/* dev->_tx[q], sized by the running kernel's BTF; NULL past the device's
 * queues. dev is a tp_btf argument: plain loads, but for another queue than
 * the first _tx is probe-read: 5.10's verifier refuses a variable offset on
 * a BTF pointer ("math between ptr_ pointer and register with unbounded min
 * value"). The queue's own fields are probe-read by the callers. */
static __always_inline struct netdev_queue *tx_queue(const struct net_device *dev, __u16 q)
{
	if (q >= dev->num_tx_queues)
		return NULL;
	if (!q)
		return dev->_tx;
	return (void *)((char *)BPF_CORE_READ(dev, _tx) + (__u64)q * bpf_core_type_size(struct netdev_queue));
}

/* Byte Queue Limits before the driver sees the packet (the driver's
 * netdev_tx_sent_queue() adds it later): bytes on the ring not yet completed,
 * and the limit. dql.num_queued only grows, so 0 means the driver never used
 * BQL on this queue (virtio_net before 6.9, virtual devices): nothing to say. */
static __always_inline void read_bql(struct txr_packet *p, struct netdev_queue *txq)
{
	if (!bpf_core_field_exists(struct netdev_queue, dql) || !txq)
		return; /* CONFIG_BQL=n */
	__u32 queued = BPF_CORE_READ(txq, dql.num_queued);
	if (!queued)
		return;
	p->bql_inflight = queued - BPF_CORE_READ(txq, dql.num_completed);
	p->bql_limit = BPF_CORE_READ(txq, dql.limit);
	p->flags |= TXR_PF_BQL;
}

/* Whether the queue is stopped right after ndo_start_xmit (net_dev_xmit runs
 * under the queue's xmit lock): the driver stops it when its ring is nearly
 * full (netif_tx_stop_queue, no tracepoint), BQL when the bytes in flight pass
 * the limit (netdev_tx_sent_queue). */
static __always_inline __u8 txq_stopped_bits(struct netdev_queue *txq)
{
	if (!txq)
		return 0;
	unsigned long state = BPF_CORE_READ(txq, state);
	__u8 bits = 0;
	if (state & (1UL << bpf_core_enum_value(enum netdev_queue_state_t, __QUEUE_STATE_DRV_XOFF)))
		bits |= TXR_TXQ_DRIVER;
	if (state & (1UL << bpf_core_enum_value(enum netdev_queue_state_t, __QUEUE_STATE_STACK_XOFF)))
		bits |= TXR_TXQ_BQL;
	return bits;
}

/* The GSO skb a segment came from, among those this CPU consumed lately: of
 * the same socket, within 1 s, for TCP the one whose sequence range holds
 * the segment's first byte (several of one socket may wait), else the latest.
 * A forwarded one (on a later hop) lost its socket on the way (ip_rcv_core
 * and, into another namespace, __dev_forward_skb -> skb_scrub_packet both
 * skb_orphan it): its segments have none, and match it by the ports it left
 * that hop with. *slot_out: the parent's slot. */
static __always_inline struct txr_packet *gso_parent_of(struct sk_buff *skb, __u32 *slot_out)
{
	__u64 now = bpf_ktime_get_ns(), sk = (__u64)skb->sk;
	__u32 zero = 0;
	struct txr_cpu_state *cpu = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!cpu || now - cpu->gso_last_ns > 1000000000ULL)
		return NULL; /* no software GSO on this CPU lately: nothing to scan */
	__u32 l4[2] = {}; /* the segment's ports, and its TCP sequence number (ignored unless TCP) */
	__u16 th = skb->transport_header;
	if (th != (__u16)~0U)
		bpf_probe_read_kernel(l4, sizeof(l4), skb->head + th);
	__u32 ports = bpf_ntohl(l4[0]), seq = bpf_ntohl(l4[1]);
	struct txr_packet *par = NULL;
	for (__u32 i = 0; i < TXR_GSO_PARENTS; i++) {
		__u32 slot = i;
		struct txr_gso_noted *n = bpf_map_lookup_elem(&txr_gso_parent, &slot);
		if (!n)
			continue;
		struct txr_packet *c = &n->p;
		if (!c->id || now - c->ts[TXR_ST_FREE] > 1000000000ULL)
			continue;
		if (c->hop && !sk ? n->hop_ports != ports /* forwarded: the ports it left that hop with */
				  : c->sk != sk)
			continue;
		if (c->proto == IPPROTO_TCP && seq - c->tcp_seq >= c->tcp_end_seq - c->tcp_seq)
			continue;
		if (!par || c->ts[TXR_ST_FREE] > par->ts[TXR_ST_FREE]) {
			par = c;
			*slot_out = slot;
		}
	}
	return par;
}

/* A segment of a parent on a later hop goes on from that hop: a copy of the
 * parent's hops (its own entry, by its id) with this hop's end cleared. The
 * top-level flow stays the first device's (the parent's: the segment's own
 * headers, parsed, are this hop's, after NAT); its TCP range and length are
 * its own. Returns false when it cannot be kept. */
static __always_inline bool gso_segment_hops(struct txr_packet *p, const struct txr_packet *par, __u32 slot,
					     struct sk_buff *skb)
{
	struct txr_hops *ph = bpf_map_lookup_elem(&txr_gso_parent_hops, &slot);
	if (!ph || bpf_map_update_elem(&txr_hop_ext, &p->id, ph, BPF_NOEXIST)) {
		count(TXR_C_INFLIGHT_FULL);
		return false;
	}
	struct txr_hops *h = bpf_map_lookup_elem(&txr_hop_ext, &p->id);
	if (!h)
		return false;
	h->id = p->id;
	__u64 *t = hop_stamp(p, h, TXR_ST_FREE);
	if (t)
		*t = 0;
	t = hop_stamp(p, h, TXR_ST_DROP);
	if (t)
		*t = 0;
	p->hop_state = 0;
	p->len = skb->len;
	p->gso_size = p->gso_segs = 0;
	p->family = par->family;
	p->proto = par->proto;
	p->sport = par->sport;
	p->dport = par->dport;
	__builtin_memcpy(p->saddr, par->saddr, sizeof(p->saddr));
	__builtin_memcpy(p->daddr, par->daddr, sizeof(p->daddr));
	return true;
}

/* xmit_one(): right before ndo_start_xmit. */
/* A segment of a GSO skb this CPU consumed: a packet of its own, with the
 * parent's earlier stages and send. */
static __always_inline struct txr_packet *gso_segment(struct sk_buff *skb, __u64 key)
{
	__u32 slot = 0;
	struct txr_packet *par = gso_parent_of(skb, &slot);
	if (!par)
		return NULL;
	if (counted_insert(txr_inflight, &key, par)) {
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
	p->flags = (par->flags & (TXR_PF_NO_SEND | TXR_PF_PENDING_FILTER)) | TXR_PF_GSO_SEGMENT;
	p->frag_off = 0;
	p->tcp_seq = p->tcp_end_seq = 0;
	p->tcp_flags = 0;
	parse_headers(skb, p, true);
	if (p->hop && !gso_segment_hops(p, par, slot, skb)) {
		counted_delete(txr_inflight, &key);
		return NULL;
	}
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
		lean_skb_stage(skb, TXR_ST_DRIVER_XMIT, bpf_ktime_get_ns(), false, true);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (!p)
		p = gso_segment(skb, key);
	__u64 *t = p ? hop_stamp(p, hops_of(p), TXR_ST_DRIVER_XMIT) : NULL;
	if (t) {
		*t = bpf_ktime_get_ns(); /* last attempt wins */
		bool first_device = !p->hop;
		__u16 gso_size = 0, gso_segs = 0;
		gso_fields(skb, &gso_size, &gso_segs);
		if (first_device) { /* the top-level fields are the first device's */
			p->queue = skb->queue_mapping;
			p->len = skb->len;
			p->gso_size = gso_size;
			p->gso_segs = gso_segs;
			set_device(p, dev, true);
		}
		enum txr_xmit_kind xk = xmit_kind(dev);
		if (gso_size && xk == TXR_XMIT_WORKER)
			encap_xmit_begin(p, key, gso_segs);
		if (xk == TXR_XMIT_LOOPS_BACK)
			p->end = TXR_END_HANDOFF; /* provisional: finished at net_dev_xmit */
		else if (first_device)
			read_bql(p, tx_queue(dev, p->queue));
		if (xk == TXR_XMIT_WORKER && first_device)
			p->flags |= TXR_PF_WORKER_XMIT;
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
	__u64 *t = p ? hop_stamp(p, hops_of(p), TXR_ST_NETIF_RX) : NULL;
	if (t && !*t) {
		*t = bpf_ktime_get_ns();
		p->end = TXR_END_HANDOFF;
		/* skb->dev is now the peer (veth_forward_skb -> __dev_forward_skb):
		 * will its receive path send the skb on? (hops.bpf.h) */
		if (receive_may_forward(skb->dev))
			p->flags |= TXR_PF_MAY_GO_ON;
		else
			p->flags &= ~TXR_PF_MAY_GO_ON;
	}
	slot_leave(s);
	return 0;
}

/* Whether the packet is inside an earlier hop's ndo_start_xmit that has not
 * returned yet: an upper device (macvlan_queue_xmit, vxlan_xmit, br_dev_xmit)
 * queued it on its lower device, whose net_dev_xmit comes first. */
static __always_inline bool upper_xmit_pending(struct txr_packet *p, struct txr_hops *h)
{
	for (__u32 k = 0; k < TXR_MAX_HOPS; k++) {
		if (k >= p->hop)
			break;
		__u64 *drv = hop_stamp_at(p, h, k, TXR_ST_DRIVER_XMIT);
		__u64 *done = hop_stamp_at(p, h, k, TXR_ST_XMIT_DONE);
		if (drv && *drv && done && !*done)
			return true;
	}
	return false;
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
	encap_xmit_end(key);
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	struct txr_hops *h = p ? hops_of(p) : NULL;
	if (p && other_device(p, h, p->hop, dev, true)) {
		/* An upper device returning after the hop its ndo_start_xmit led
		 * to (vxlan_xmit queued the skb on the underlay): its own hop's. */
		for (__u32 k = 0; k < TXR_MAX_HOPS; k++) {
			if (k >= p->hop)
				break;
			__u64 *t = hop_stamp_at(p, h, k, TXR_ST_XMIT_DONE);
			if (t && !*t && !other_device(p, h, k, dev, true))
				*t = bpf_ktime_get_ns();
		}
		/* The lower device's hand-off ended the packet, waiting for this
		 * return (below): it ends now. */
		__u64 *done = hop_stamp(p, h, TXR_ST_XMIT_DONE);
		if (p->end == TXR_END_HANDOFF && !p->hop_state && done && *done && !upper_xmit_pending(p, h))
			finish_packet(s, p, key, TXR_ST_XMIT_DONE, TXR_END_HANDOFF);
		p = NULL;
	}
	__u64 *t = p ? hop_stamp(p, h, TXR_ST_XMIT_DONE) : NULL;
	if (t) {
		*t = bpf_ktime_get_ns();
		if (!p->hop)
			p->xmit_rc = rc;
		if (rc == NETDEV_TX_BUSY) {
			p->flags |= TXR_PF_REQUEUED; /* counted when dequeued again */
			p->end = 0;
		} else if (rc == 0 && p->end == TXR_END_HANDOFF) {
			/* Handed to a peer. Where its receive path may send it on
			 * (netif_rx said so, or was not seen: veth's NAPI mode) the
			 * record waits in the hash for the receive; else it ends. */
			__u64 *rx = hop_stamp_at(p, h, p->hop, TXR_ST_NETIF_RX);
			if (!(p->flags & TXR_PF_MAY_GO_ON) && rx && *rx) {
				/* Inside an upper device's ndo_start_xmit (a macvlan
				 * or VXLAN over this veth), it ends at that one's
				 * return, so the upper hop has its xmit_done too. */
				if (!upper_xmit_pending(p, h))
					finish_packet(s, p, key, TXR_ST_XMIT_DONE, TXR_END_HANDOFF);
				p = NULL;
			} else {
				park(p);
			}
		}
		if (p && !p->hop)
			p->txq_stopped = txq_stopped_bits(tx_queue(dev, p->queue));
	}
	/* Still here: left with the driver (its TX completion frees it, on any
	 * CPU), or requeued (NETDEV_TX_BUSY) for a later dequeue. */
	spill_if_holds(s, key);
	slot_leave(s);
	return 0;
}

#endif /* TXRAY_HOOKS_DEVICE_BPF_H */
