/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, the end: consume_skb (TX completion) and kfree_skb (drop).
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_END_BPF_H
#define TXRAY_HOOKS_END_BPF_H

/* ------------------------------------------------------------------ */
/* The end: free or drop                                               */

/* A followed skb consumed between its queue and its driver on its current
 * hop: validate_xmit_skb() replaced a GSO skb by its segments
 * (skb_gso_segment, then consume_skb), which reach net_dev_start_xmit next,
 * unknown. Noted as a parent for them, with its hops when it is on a later
 * one (a forwarded GSO skb leaving through a device without TSO). */
static __always_inline void note_gso_parent(struct txr_packet *p, struct txr_hops *h, struct sk_buff *skb,
					    __u64 now)
{
	/* At its device: queued, or seen by its qdisc (tracepoints) when the
	 * kernel skipped __dev_queue_xmit's fentry program (already running on
	 * this CPU: a softirq's TCP transmit that interrupted it), as the 6.12
	 * guest's trace showed for 2 of 501 parents; or past its neighbour
	 * when that skip met an empty pfifo_fast (sch_direct_xmit: no qdisc
	 * tracepoint), as a CI run of the 6.12 virtio guest showed (a parent of
	 * 2 segments, both lost). A GSO skb consumed past neigh_output is
	 * segmented at its device: ip_finish_output_gso segments before
	 * ip_finish_output2. */
	__u64 *neigh = hop_stamp(p, h, TXR_ST_NEIGH_OUTPUT);
	__u64 *queued = hop_stamp(p, h, TXR_ST_DEV_QUEUE_XMIT);
	__u64 *enqueued = hop_stamp(p, h, TXR_ST_QDISC_ENQUEUE);
	__u64 *dequeued = hop_stamp(p, h, TXR_ST_QDISC_DEQUEUE);
	__u64 *driver = hop_stamp(p, h, TXR_ST_DRIVER_XMIT);
	bool at_device = (neigh && *neigh) || (queued && *queued) || (enqueued && *enqueued) ||
			 (dequeued && *dequeued);
	if (!at_device || !driver || *driver)
		return;
	struct skb_shared_info *sh = (void *)(skb->head + skb->end);
	if (!BPF_CORE_READ(sh, gso_size))
		return;
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return;
	__u32 slot = c->gso_next++ % TXR_GSO_PARENTS;
	c->gso_last_ns = now;
	struct txr_gso_noted *noted = bpf_map_lookup_elem(&txr_gso_parent, &slot);
	if (!noted)
		return;
	if (h) {
		__u32 ports = (__u32)p->sport << 16 | p->dport, i = p->hop - 1;
		if (HOP_INDEX_OK(i) && h->hop[i].has_flow)
			ports = (__u32)h->hop[i].sport << 16 | h->hop[i].dport;
		if (bpf_map_update_elem(&txr_gso_parent_hops, &slot, h, BPF_ANY)) {
			noted->p.id = 0; /* the slot's older parent would get these hops */
			return;
		}
		noted->hop_ports = ports;
	}
	__builtin_memcpy(&noted->p, p, sizeof(*p));
	noted->p.ts[TXR_ST_FREE] = now; /* when, for gso_parent_of's latest: a later hop's free is in h */
}

/* A record still in its first device's qdisc (enqueued, never dequeued) whose
 * skb address is freed for another socket: not its skb. A queued skb keeps
 * its socket until its driver (veth_xmit orphans it after the dequeue), also
 * when its qdisc drops it (__qdisc_drop, qdisc_reset: kfree_skb) and when
 * validate_xmit_skb() consumes a GSO skb. Its dequeue ran without txray's
 * programs (the 6.18 test host: a tbf watchdog's whole softirq, from
 * qdisc_dequeue to the receiver's kfree_skb, without one run of them), and
 * its freed skb came back as another one (a vsock skb the VM agent's kworker
 * consumed, virtio_transport_tx_work): unfinished, as superseded() decides
 * at a creating stage, not "consumed before its device". */
static __always_inline bool left_its_qdisc_unseen(const struct txr_packet *p, const struct sk_buff *skb)
{
	return !p->hop && p->ts[TXR_ST_QDISC_ENQUEUE] && !p->ts[TXR_ST_QDISC_DEQUEUE] &&
	       p->sk != (__u64)skb->sk;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(txr_tp_consume_skb, struct sk_buff *skb)
{
	if (lean_summary) {
		lean_end(skb, false, 0);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p && left_its_qdisc_unseen(p, skb)) {
		finish_superseded(s, p, key, TXR_ST_FREE);
		p = NULL;
	}
	if (p && end_after_handoff(s, p, skb, false, 0, 0))
		p = NULL;
	if (p) /* segmented by its device's ndo_start_xmit (wg_xmit)? */
		encap_consumed(p, skb, key);
	if (p && p->hop) { /* on a later hop (hops.bpf.h): its completion */
		struct txr_hops *h = hops_of(p);
		__u64 now = bpf_ktime_get_ns();
		__u64 *t = hop_stamp(p, h, TXR_ST_FREE);
		if (t)
			*t = now;
		if (h)
			note_gso_parent(p, h, skb, now);
		t = hop_stamp(p, h, TXR_ST_DRIVER_XMIT);
		finish_packet(s, p, key, TXR_ST_FREE, t && *t ? TXR_END_FREE : TXR_END_CONSUMED_EARLY);
		p = NULL;
	}
	if (p) {
		p->ts[TXR_ST_FREE] = bpf_ktime_get_ns();
		note_gso_parent(p, NULL, skb, p->ts[TXR_ST_FREE]);
		finish_packet(s, p, key, TXR_ST_FREE,
			      p->ts[TXR_ST_DRIVER_XMIT] ? TXR_END_FREE : TXR_END_CONSUMED_EARLY);
	}
	slot_leave(s);
	return 0;
}

/* kfree_skb's reason argument is Linux 5.17+: the verifier refuses a read
 * past the tracepoint's arguments, even one never taken, so the read must be
 * dead code where drop_reasons is 0 (ctx, not BPF_PROG, which reads all). */
static __always_inline __u32 kfree_skb_reason_arg(__u64 *ctx)
{
	return drop_reasons ? (__u32)ctx[2] : 0;
}

SEC("tp_btf/kfree_skb")
int txr_tp_kfree_skb(__u64 *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	if (lean_summary) {
		lean_end(skb, true, kfree_skb_reason_arg(ctx));
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);

	if (!p) {
		/* Dropped before any creating stage saw it (netfilter LOCAL_OUT,
		 * POST_ROUTING): still ours if the sending thread's socket owns it.
		 * Made in the hash (rare, and ended right here). */
		struct txr_send_ctx *ctx = current_send();
		if (ctx && ctx->sk == (__u64)skb->sk &&
		    create_packet(&s, skb, key, TXR_ST_DROP, bpf_ktime_get_ns(), true, false))
			p = bpf_map_lookup_elem(&txr_inflight, &key);
	}
	if (p && left_its_qdisc_unseen(p, skb)) {
		finish_superseded(s, p, key, TXR_ST_DROP);
		p = NULL;
	}
	if (p && end_after_handoff(s, p, skb, true, kfree_skb_reason_arg(ctx), ctx[1]))
		p = NULL;
	if (p) {
		__u64 *t = hop_stamp(p, hops_of(p), TXR_ST_DROP);
		if (!t)
			t = &p->ts[TXR_ST_DROP];
		*t = bpf_ktime_get_ns();
		p->drop_reason = kfree_skb_reason_arg(ctx);
		p->drop_site = ctx[1]; /* where: on every kernel, reason or not */
		finish_packet(s, p, key, TXR_ST_DROP, TXR_END_DROP);
	}
	slot_leave(s);
	return 0;
}

#endif /* TXRAY_HOOKS_END_BPF_H */
