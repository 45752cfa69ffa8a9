/* SPDX-License-Identifier: GPL-2.0 */
/* A stage on a packet: stamping, emitting at its end, the route stage.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_PACKET_STAGE_BPF_H
#define TXRAY_PACKET_STAGE_BPF_H

/* A record that ends in its sending thread's slot while its send runs (a UDP
 * datagram over veth or lo: handed off inside the syscall) waits there for
 * the send's end, which emits it with the send's facts folded in (send_end).
 * Only the send's own packets are in its slot with a send id (a TCP segment
 * may carry an earlier call's: not held), and an interrupt never ends one
 * here (level: finish_packet's ctx_level()). Not with a selection: it records no sends. */
static __always_inline bool hold_for_send(struct txr_pkt_slot *s, struct txr_packet *p, __u64 key,
					  enum txr_stage stage, __u32 level)
{
	if (!s || s->key != key || !p->send_id || p->proto == IPPROTO_TCP || p->hop || select_on ||
	    level != TXR_IN_TASK)
		return false;
	s->held = 1;
	s->held_stage = stage;
	s->key = 0;
	return true;
}

_Static_assert(TXR_END_CTX_TASK + TXR_IN_SOFTIRQ == TXR_END_CTX_SOFTIRQ &&
		       TXR_END_CTX_TASK + TXR_IN_HARDIRQ == TXR_END_CTX_HARDIRQ,
	       "end_ctx is the context level, shifted");

static __always_inline void forget_packet(struct txr_pkt_slot *s, __u64 key)
{
	if (s && s->key == key)
		s->key = 0;
	else
		counted_delete(txr_inflight, &key);
}

/* Emit the whole record and forget the skb (p: found in s or the hash). */
static __always_inline void finish_packet(struct txr_pkt_slot *s, struct txr_packet *p, __u64 key,
					  enum txr_stage stage, __u8 end)
{
	if (p->flags & TXR_PF_PENDING_FILTER) {
		/* No hop passed the device and header filters: left out. */
		count(TXR_C_FILTERED);
		if (p->hop)
			emit_hops(p, false);
		forget_packet(s, key);
		return;
	}
	__u32 level = ctx_level(); /* TXR_IN_TASK where it cannot be told */
	p->end = end;
	p->end_cpu = bpf_get_smp_processor_id();
	p->end_ctx = irq_ctx_known ? TXR_END_CTX_TASK + level : TXR_END_CTX_UNKNOWN;
	if (end == TXR_END_DROP)
		count(TXR_C_DROPS);
	/* The summary's maps and the selection read a copy of the record
	 * (agent_metrics.bpf.h); nested too deep (never seen), it is kept. */
	bool selected = true;
	__u32 depth;
	if ((summary_mode || summary_maps || select_on) && summary_row_push(p, &depth)) {
		if (summary_mode || summary_maps)
			txr_summarise(depth);
		if (select_on)
			selected = txr_selected(depth);
		summary_row_pop(depth);
	}
	if (p->hop)
		emit_hops(p, !summary_mode && selected);
	if (summary_mode) {
		count(TXR_C_PACKETS);
	} else if (!selected) {
		count(TXR_C_UNSELECTED); /* no ring traffic for what was not asked for */
	} else if (hold_for_send(s, p, key, stage, level)) {
		return; /* emitted at its send's end (send_end), the send folded in */
	} else {
		emit_packet(p, stage);
	}
	forget_packet(s, key);
}

/* A record whose end was never seen, its skb's address back as another
 * packet or skb (superseded, hooks/end.bpf.h left_its_qdisc_unseen): emitted
 * unfinished, as a sweep would, and counted. */
static __always_inline void finish_superseded(struct txr_pkt_slot *s, struct txr_packet *p, __u64 key,
					      enum txr_stage stage)
{
	finish_packet(s, p, key, stage, TXR_END_EXPIRED);
	count(TXR_C_SUPERSEDED);
}

/* Stages that may see a packet first (and so create its record): the stage
 * table's `creates` column (stage_table.h). */
static __always_inline bool creates(enum txr_stage stage)
{
	return (TXR_CREATING_STAGES >> stage) & 1;
}

#include "lean_summary.bpf.h"

/* The length shrank since first sight: ip_fragment() cut the datagram and
 * this skb is now its first fragment. Read the fragment bits again. */
static __always_inline void refresh_fragment(struct sk_buff *skb, struct txr_packet *p, bool trusted)
{
	__u32 len = KREAD(trusted, skb, len);
	if (len >= p->len)
		return;
	p->len = len;
	__u16 sport = p->sport, dport = p->dport;
	parse_headers(skb, p, trusted);
	if (!p->sport && !p->dport)
		p->sport = sport, p->dport = dport;
}

/* A creating stage on a record still on its first device: the same packet
 * (its next IP stage; a tunnel's outer ip_local_out, inside the tunnel
 * device's ndo_start_xmit), or a record whose end was never seen found by a
 * new skb at the same address (skbuff_head_cache and TCP's
 * skbuff_fclone_cache reuse addresses within microseconds). A record queued
 * on its device (__dev_queue_xmit) that its driver has not taken yet is in
 * a qdisc or gone: never back at an IP stage, so this is a new skb (seen in
 * the 6.1 VM guest: a peer's neighbour advertisement pending the filters on
 * its veth, its end never seen, took the next UDP datagram in as a second
 * hop). After the driver it may be (WireGuard sends the same skb again from
 * its kworker, after wg0's xmit_done: ip_local_out of its outer headers). A
 * creating stage seen again on a TCP record past its device is told apart by
 * the sequence number in the skb's header: a new segment's is not the
 * record's (a retransmitted clone's is, and stays merged), unless the
 * headers are a tunnel's outer ones. Read only on this rare path. */
static __always_inline bool superseded(const struct txr_packet *p, struct sk_buff *skb, enum txr_stage stage,
				       bool trusted)
{
	if (p->hop || p->hop_state)
		return false;
	if (p->ts[TXR_ST_DRIVER_XMIT] && !p->ts[TXR_ST_XMIT_DONE])
		return false; /* inside its device's xmit: a tunnel's outer headers */
	if (p->ts[TXR_ST_DEV_QUEUE_XMIT] && !p->ts[TXR_ST_DRIVER_XMIT])
		return true;
	/* Not at its device yet but past this stage: a packet never goes back
	 * from ip_output to __ip_local_out, nor from ip_finish_output2 to
	 * ip_output (an IPsec transform re-enters ip_output before
	 * ip_finish_output2). Its end was never seen and its skb's address came
	 * back: the 5.10 guest's ICMPv6 router solicitation that swallowed the
	 * next datagram. Why its end was missed is not established; likely a
	 * run the kernel skipped (a kprobe program does not run while another
	 * BPF program runs on its CPU: bpf_prog_active). */
	if (!p->ts[TXR_ST_DEV_QUEUE_XMIT] &&
	    ((stage == TXR_ST_IP_LOCAL_OUT && (p->ts[TXR_ST_IP_OUTPUT] || p->ts[TXR_ST_NEIGH_OUTPUT])) ||
	     (stage == TXR_ST_IP_OUTPUT && p->ts[TXR_ST_NEIGH_OUTPUT])))
		return true;
	if (!p->ts[stage])
		return false;
	/* This stage again, for another socket's skb: an skb keeps its socket
	 * from ip_local_out to its driver (a tunnel's outer headers, made inside
	 * its device's xmit, returned above; the skb WireGuard's worker sends
	 * again is not judged by its socket). The 6.18 test host: an ICMP port
	 * unreachable made in a softirq that ran no tracepoint program (only
	 * cgroup egress, README "Known limitations") waited pending the
	 * filters; its skb's address came back as the next UDP datagram, which
	 * it swallowed, and the datagram was left out with it. */
	if (!(p->flags & TXR_PF_WORKER_XMIT) && p->sk != (__u64)KREAD(trusted, skb, sk))
		return true;
	if (p->proto != IPPROTO_TCP)
		return false;
	/* A TCP record never seen at its device, its stage seen again: a new
	 * transmission, whatever its sequence number. Its device stages were
	 * missed (README, "Counts against the device": under two CPU hogs the
	 * 6.18 test host hit net_dev_queue 23 times in 64,093 without running
	 * the program, by perf's count of the same tracepoint) and the skb was
	 * freed. A retransmission of that very segment, cloned at the same
	 * address (skbuff_fclone_cache), would otherwise merge into the record:
	 * one record for two transmissions, seen in CI. A WireGuard record whose
	 * net_dev_queue run was the one skipped still has its driver's flag:
	 * its worker's send of the same skb is judged below, as after a queue. */
	if (!p->ts[TXR_ST_DEV_QUEUE_XMIT] && !(p->flags & TXR_PF_WORKER_XMIT))
		return true;
	unsigned char *head = KREAD(trusted, skb, head);
	__u16 th = KREAD(trusted, skb, transport_header);
	__be32 seq;
	if (!head || th == (__u16)~0U || bpf_probe_read_kernel(&seq, sizeof(seq), head + th + 4))
		return false;
	/* Sent on by its device's worker with outer headers that are not
	 * TCP's: the same skb (WireGuard's kworker: iptunnel_xmit pushed an
	 * IPv4/IPv6 header and udp_tunnel_xmit_skb a UDP one, where the
	 * sequence read above finds no sequence number). The IP header is read
	 * only for such a record. */
	if (p->flags & TXR_PF_WORKER_XMIT) {
		__u16 nh = KREAD(trusted, skb, network_header);
		__u8 ip[10];
		if (bpf_probe_read_kernel(ip, sizeof(ip), head + nh))
			return false;
		__u8 l4 = ip[0] >> 4 == 4 ? ip[9] : ip[0] >> 4 == 6 ? ip[6] : 0;
		if (l4 != IPPROTO_TCP)
			return false;
	}
	return bpf_ntohl(seq) != p->tcp_seq;
}

/* Stamp `stage` on the skb's record (first time wins), creating the record at
 * a creating stage (in the thread's slot if `may_slot`, see create_packet).
 * Returns the record, or NULL when not followed. *sp: the taken slot. */
static __always_inline struct txr_packet *skb_stage(struct txr_pkt_slot **sp, struct sk_buff *skb,
						    enum txr_stage stage, bool trusted, bool may_slot)
{
	__u64 key = (__u64)skb;
	struct txr_packet *p = find_packet(*sp, key);
	/* Before the device only: the case seen (a record made at cgroup egress),
	 * and __dev_queue_xmit's program is at the verifier's limit with an
	 * expression (a second path into create_packet doubles it). */
	if (p && creates(stage) && stage < TXR_ST_DEV_QUEUE_XMIT && superseded(p, skb, stage, trusted)) {
		finish_superseded(*sp, p, key, stage);
		p = NULL;
	}

	/* The clock (~35 ns in a KVM guest: lfence; rdtsc) only for a stamp:
	 * not for the packets a filter left out, nor for a stage seen again. */
	if (!p) {
		/* Created, or not followed: either way no stage to stamp now (no
		 * caller needs the record of a packet it just created). */
		if (creates(stage))
			create_packet(sp, skb, key, stage, bpf_ktime_get_ns(), trusted, may_slot);
		return NULL;
	}
	/* A packet past its first device stamps the hop it is on (hops.bpf.h);
	 * at __dev_queue_xmit it may start a new one. */
	struct txr_hops *h = NULL;
	if (stage == TXR_ST_DEV_QUEUE_XMIT && (p->hop || p->hop_state || p->ts[stage]))
		h = hop_at_queue(p, skb, trusted);
	else {
		h = hops_of(p); /* NULL on the first device: no lookup */
		if (is_ip_stage(stage) && (p->hop_state || past_device_xmit(p, h)))
			h = hop_before_queue(p, skb, trusted);
	}
	__u64 *t = hop_stamp(p, h, stage);
	if (!t || *t)
		return p;
	__u64 now = bpf_ktime_get_ns();
	*t = now;
	if (p->hop)
		return p;
	if (stage == TXR_ST_DEV_QUEUE_XMIT)
		refresh_fragment(skb, p, trusted);
	/* A later IP stage of a message's first packet (fentry/kprobe kernels):
	 * keep it for the fragments that may follow. */
	if (is_ip_stage(stage) && p->send_id && !p->parent_id) {
		struct txr_send_ctx *ctx = current_send();
		if (ctx && ctx->first_frag_id == p->id)
			ctx->ip_ts[stage - TXR_ST_IP_LOCAL_OUT] = now;
	}
	return p;
}

/* A stage program's whole work on one skb. A packet accepted by a qdisc or
 * resolving its neighbour goes on in another context: out of the slot. */
static __always_inline void skb_stage_prog(struct sk_buff *skb, enum txr_stage stage, bool trusted,
					   bool may_slot)
{
	if (lean_summary) {
		lean_skb_stage(skb, stage, bpf_ktime_get_ns(), may_slot, trusted);
		return;
	}
	struct txr_pkt_slot *s = pkt_slot_enter();
	skb_stage(&s, skb, stage, trusted, may_slot);
	if (stage == TXR_ST_NEIGH_RESOLVE)
		spill_if_holds(s, (__u64)skb);
	slot_leave(s);
}

/* Route stage: fib_table_lookup also fires for input routes; only a thread
 * inside a traced send stamps it. It fires several times per packet (one
 * lookup per table, then the input lookups of veth/lo delivery, which run in
 * the sending thread): TXR_NOTE_ROUTE_SEEN lets the later lookups of a message
 * skip txr_sends; the message boundaries (syscall entry, next_message) clear it. */
static __always_inline void route_stage(void)
{
	if (note_holds(TXR_NOTE_ROUTE_SEEN))
		return;
	struct txr_send_ctx *ctx = current_send();
	if (!ctx)
		return;
	if (!ctx->route_ts)
		ctx->route_ts = bpf_ktime_get_ns();
	note_set(TXR_NOTE_ROUTE_SEEN, true);
}

#endif /* TXRAY_PACKET_STAGE_BPF_H */
