/* Lean summary mode (txray live --summary): per-stage and end-to-end
 * histograms from the skb stages alone. A packet is 40 bytes (struct
 * txr_lean up to ts_off): no syscall context, no headers, no names, no
 * records (the agent's capture keeps more: lean_select.bpf.h).
 * Each stage adds (now - previous stage) to its histogram row; the end adds
 * first stage -> out (driver, handoff or drop) to the end-to-end row.
 *
 * Where a packet's state lives: in the slot of the thread that carries it
 * (txr_lean_slots, task storage) while it runs the thread's synchronous path,
 * cgroup egress to the driver's return; a veth or lo packet ends there and
 * never touches the hash. It moves to txr_lean_inflight (keyed by skb
 * address) when it may go on in another context: accepted by a qdisc, queued
 * for a neighbour, left with a driver (TX completion), or displaced by the
 * thread's next packet. See lib/thread_slot.bpf.h.
 *
 * Included by txray.bpf.c after the filter helpers; every skb stage program
 * branches here first when lean_summary is set (a const volatile: the
 * verifier drops the other branch). */
#pragma once

const volatile __u8 lean_summary = 0;

#include "lean_select.bpf.h"

_Static_assert(TXR_ST_COUNT <= 32, "txr_lean.seen has a bit per stage");

/* Its value is struct txr_lean, whose tail (from ts_off) only the agent's
 * capture uses: without it user space makes the value that much shorter
 * (Session::size_maps), and the verifier holds every read and write of the
 * tail to the capture's code (select_on) there. Sizes, not BTF types: BTF
 * would pin the value to the whole struct. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* sized by user space in lean summary mode */
	__uint(key_size, sizeof(__u64)); /* skb address */
	__uint(value_size, sizeof(struct txr_lean));
} txr_lean_inflight SEC(".maps");
__u64 txr_lean_inflight_entries = 0; /* lib/counted_hash.bpf.h */

struct txr_lean_slot {
	__u64 key;  /* skb address; 0: empty */
	__u8 busy;  /* a program of this thread holds it (see slot_enter) */
	__u8 pad[7];
	struct txr_lean l;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct txr_lean_slot);
} txr_lean_slots SEC(".maps");

/* The device the skb leaves through from here: skb->dev, or before
 * ip_output() sets it the route's (skb_route_dev), as create_packet. */
static __always_inline struct net_device *lean_out_dev(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	return dev ? dev : skb_route_dev(skb, false);
}

/* The device and header filters (--iface, the flow filters, the expression)
 * on the device and headers the skb has here. p: a zeroed scratch record. */
static __always_inline bool lean_device_passes(struct sk_buff *skb, struct txr_packet *p, enum txr_stage stage)
{
	__u32 dev_netns = 0;
	if (f_proto || f_port || f_host_family)
		parse_headers(skb, p, false); /* filters set: off the hot path */
	if (f_ifindex) {
		struct net_device *dev = lean_out_dev(skb);
		p->ifindex = BPF_CORE_READ(dev, ifindex);
		dev_netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	return flow_matches(p, dev_netns) && expression_matches(skb, false, p, stage, false);
}

enum lean_verdict {
	LEAN_OUT,     /* left out (counted as filtered) */
	LEAN_IN,      /* counted from here */
	LEAN_PENDING, /* followed uncounted: a lower device may pass (lean_next_device) */
};

/* The filters, only when some are set: most summaries run unfiltered. A
 * packet from the right origin (--netns, --cgroup) that fails the device and
 * header filters on a device that may pass it down is pending, as in
 * capture mode (create_packet): a stacked device's lower one (vxlan,
 * macvlan, a bridge's port) is tried again when the skb is queued on it. */
static __always_inline enum lean_verdict lean_admit(struct sk_buff *skb, enum txr_stage stage)
{
	if (sample_every > 1 && bpf_get_prandom_u32() % sample_every)
		return LEAN_OUT;
	if (!f_ifindex && !f_proto && !f_port && !f_host_family && !f_netns && !f_cgroup_id && !f_pcap)
		return LEAN_IN;
	struct txr_packet *p = scratch_packet();
	if (!p)
		return LEAN_OUT;
	__builtin_memset(p, 0, sizeof(*p));
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (f_netns)
		p->netns = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum)
			      : BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	if (origin_matches(sk, false, p)) {
		if (lean_device_passes(skb, p, stage))
			return LEAN_IN;
		/* The lean summary follows no hand-off's receive side. */
		if (may_leave_elsewhere(lean_out_dev(skb), false))
			return LEAN_PENDING;
	}
	count(TXR_C_FILTERED);
	return LEAN_OUT;
}

static __always_inline struct txr_lean_slot *lean_slot_enter(bool create)
{
	if (!slots_on)
		return NULL;
	struct txr_lean_slot *s = bpf_task_storage_get(&txr_lean_slots, bpf_get_current_task_btf(), 0,
						       create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return slot_take(s);
}

static __always_inline struct txr_lean *lean_find(struct txr_lean_slot *s, __u64 key)
{
	return slot_find(s, key, l, txr_lean_inflight);
}

/* A new packet's state, made where it will live (the thread's slot) or
 * here, one per context level (as scratch_packet), before it goes into the
 * hash: with lean_select's facts it is too big for the stage programs'
 * stacks. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_SCRATCH_NEST);
	__type(key, __u32);
	__type(value, struct txr_lean);
} txr_lean_new SEC(".maps");

/* A packet first seen at `stage`. A pending one claims no device slot
 * until a device passes the filters. */
static __always_inline void lean_init(struct txr_lean *n, struct sk_buff *skb, enum txr_stage stage, __u64 now,
				      bool pending, bool trusted)
{
	/* The summary's part; the rest only when lean_select fills it. */
	__builtin_memset(n, 0, __builtin_offsetof(struct txr_lean, ts_off));
	n->first = now;
	n->prev = now;
	n->seen = 1u << stage;
	n->last = stage;
	n->pending = pending;
	n->ifslot = pending ? TXR_IF_UNSET : lean_if_slot(skb);
	n->cgroup_id = by_cgroup || select_on ? sk_cgroup_id(KREAD(trusted, skb, sk), trusted) : 0;
	if (select_on) {
		__builtin_memset(n->ts_off, 0, sizeof(*n) - __builtin_offsetof(struct txr_lean, ts_off));
		lean_take_facts(n, skb, trusted);
	}
}

/* The slot's packet goes on elsewhere: into the hash. */
static __always_inline void lean_spill(struct txr_lean_slot *s)
{
	slot_spill(s, l, txr_lean_inflight);
}

static __always_inline void lean_finish(struct txr_lean_slot *s, struct txr_lean *l, __u64 key, __u64 now,
					__u8 end, __u32 before_drop, __u32 reason)
{
	bool drop = end == TXR_END_DROP;
	if (l->pending) {
		count(TXR_C_FILTERED); /* no device passed the filters */
		goto remove;
	}
	if (select_on)
		lean_emit_if_selected(l, key, now, end, reason);
	__u64 out = l->out ? l->out : now;
	__u32 slot = l->ifslot == TXR_IF_UNSET ? 0 : l->ifslot;
	if (out > l->first)
		hist_add(slot, TXR_HIST_E2E, out - l->first);
	if (by_cgroup)
		txr_cgroup_add(l->cgroup_id, slot, drop, out > l->first ? out - l->first : 0);
	if (drop)
		count(TXR_C_DROPS);
	outcome_add(slot, drop, before_drop, reason);
	count(TXR_C_PACKETS);
remove:
	if (s && s->key == key)
		s->key = 0;
	else
		counted_delete(txr_lean_inflight, &key);
}

/* The stages a device adds, from its queue to the driver's return. */
#define TXR_LEAN_DEVICE_STAGES                                                                             \
	((1u << TXR_ST_DEV_QUEUE_XMIT) | (1u << TXR_ST_QDISC_ENQUEUE) | (1u << TXR_ST_QDISC_DEQUEUE) |      \
	 (1u << TXR_ST_DRIVER_XMIT) | (1u << TXR_ST_NETIF_RX) | (1u << TXR_ST_XMIT_DONE))

/* The skb queued again (__dev_queue_xmit) on another device: an upper
 * device's ndo_start_xmit passed it down (vxlan_xmit -> udp_tunnel_xmit_skb
 * on the underlay, macvlan/vlan on their lower device, a bridge on a port).
 * The stages from here on count in that device's rows (its hop), its end too;
 * the earlier ones stay in the first device's. Reached only by a second
 * __dev_queue_xmit of the same skb: a packet on one device never gets here.
 * (A hand-off's receive side is not followed in the lean summary: a packet
 * forwarded from there is a new one, created on its next device.) */
static __always_inline void lean_next_device(struct txr_lean *l, struct sk_buff *skb, __u64 now, bool trusted)
{
	if (l->pending) {
		/* The filters again, on this device and the headers it gets
		 * (a VXLAN device's outer ones). Passed: counted from here on,
		 * in this device's rows, its end to end from the first stage. */
		struct txr_packet *p = scratch_packet();
		if (!p)
			return;
		__builtin_memset(p, 0, sizeof(*p));
		if (!lean_device_passes(skb, p, TXR_ST_DEV_QUEUE_XMIT)) {
			l->prev = now;
			return;
		}
		l->pending = 0;
	}
	__u8 slot = lean_if_slot(skb);
	if (slot == TXR_IF_UNSET || slot == l->ifslot)
		return; /* the same device's second hook (fentry and tracepoint) */
	l->ifslot = slot;
	l->seen = (l->seen & ~TXR_LEAN_DEVICE_STAGES) | (1u << TXR_ST_DEV_QUEUE_XMIT);
	if (select_on) { /* its record: this device's stages, this device */
		l->ts_off[TXR_ST_DEV_QUEUE_XMIT] = lean_offset(l, now);
		l->dev = (__u64)KREAD(trusted, skb, dev);
	}
	l->out = 0; /* end to end: to this device's driver */
	if (now >= l->prev)
		hist_add(slot, TXR_ST_DEV_QUEUE_XMIT, now - l->prev);
	l->prev = now;
	l->last = TXR_ST_DEV_QUEUE_XMIT;
}

/* Stamp `stage` on the skb (creating its entry at a creating stage: in the
 * thread's slot if `may_slot`, past netfilter, see create_packet; `trusted`:
 * plain loads from skb, as create_packet_in's).
 * Returns the entry, or NULL when not followed or just created. */
static __always_inline struct txr_lean *lean_stage(struct txr_lean_slot *s, struct sk_buff *skb,
						   enum txr_stage stage, __u64 now, bool may_slot, bool trusted)
{
	__u64 key = (__u64)skb;
	struct txr_lean *l = lean_find(s, key);
	if (!l) {
		if (!creates(stage))
			return NULL;
		enum lean_verdict v = lean_admit(skb, stage);
		if (v == LEAN_OUT)
			return NULL;
		struct txr_lean *n;
		if (s && may_slot) {
			lean_spill(s); /* the thread's previous packet, if still here */
			n = &s->l;
		} else {
			__u32 level = ctx_level();
			n = bpf_map_lookup_elem(&txr_lean_new, &level);
			if (!n)
				return NULL;
		}
		lean_init(n, skb, stage, now, v == LEAN_PENDING, trusted);
		if (s && may_slot)
			s->key = key;
		else if (counted_insert(txr_lean_inflight, &key, n))
			count(TXR_C_INFLIGHT_FULL);
		return NULL;
	}
	if (l->seen & (1u << stage)) {
		if (stage == TXR_ST_DEV_QUEUE_XMIT)
			lean_next_device(l, skb, now, trusted);
		return l;
	}
	l->seen |= 1u << stage;
	if (select_on)
		lean_stamp(l, skb, stage, now, trusted);
	if (!l->pending) {
		/* No device when it was created (an IP stage before ip_output set it). */
		if (l->ifslot == TXR_IF_UNSET) {
			l->ifslot = lean_if_slot(skb);
			if (select_on)
				l->dev = (__u64)KREAD(trusted, skb, dev);
		}
		if (now >= l->prev)
			hist_add(l->ifslot == TXR_IF_UNSET ? 0 : l->ifslot, stage, now - l->prev);
	}
	l->prev = now;
	l->last = stage;
	if (stage == TXR_ST_DRIVER_XMIT && !l->out)
		l->out = now;
	return l;
}

/* A stage program's lean path: one stage on one skb. */
static __always_inline void lean_skb_stage(struct sk_buff *skb, enum txr_stage stage, __u64 now, bool may_slot,
					   bool trusted)
{
	struct txr_lean_slot *s = lean_slot_enter(creates(stage) && may_slot);
	lean_stage(s, skb, stage, now, may_slot, trusted);
	/* Accepted by a qdisc (dequeued by whichever CPU runs it next), or
	 * resolving its neighbour (may wait in its queue): out of the slot. */
	if (stage == TXR_ST_QDISC_ENQUEUE || stage == TXR_ST_NEIGH_RESOLVE)
		slot_spill_if_holds(s, (__u64)skb, l, txr_lean_inflight);
	slot_leave(s);
}

/* qdisc_dequeue's list (skb->next), up to 8. */
static __always_inline void lean_dequeued(struct sk_buff *skb, __u64 now)
{
	struct txr_lean_slot *s = lean_slot_enter(false);
	for (int i = 0; i < 8 && skb; i++) {
		lean_stage(s, skb, TXR_ST_QDISC_DEQUEUE, now, false, false);
		skb = skb->next;
	}
	slot_leave(s);
}

/* neigh_event_send_done with rc 1: the packet the thread just made waits in
 * the neighbour's arp_queue; whoever resolves it sends it. */
static __always_inline void lean_neigh_queued(void)
{
	struct txr_lean_slot *s = lean_slot_enter(false);
	/* The tracepoint has no skb: the slot's key is its address, and a
	 * non-creating stage uses nothing else of it. */
	if (s && s->key && !(s->l.seen & (1u << TXR_ST_DEV_QUEUE_XMIT)))
		lean_stage(s, (struct sk_buff *)s->key, TXR_ST_NEIGH_RESOLVE, bpf_ktime_get_ns(), false, false);
	lean_spill(s);
	slot_leave(s);
}

/* veth and lo hand the skb to a receive path (netif_rx): the packet is out
 * of the send path when ndo_start_xmit returns (net_dev_xmit). The skb is
 * tp_btf/netif_rx's argument: plain loads. */
static __always_inline void lean_netif_rx(struct sk_buff *skb)
{
	struct txr_lean_slot *s = lean_slot_enter(false);
	struct txr_lean *l = lean_stage(s, skb, TXR_ST_NETIF_RX, bpf_ktime_get_ns(), false, true);
	if (l)
		l->handoff = 1;
	slot_leave(s);
}

static __always_inline void lean_xmit_done(struct sk_buff *skb, int rc)
{
	struct txr_lean_slot *s = lean_slot_enter(false);
	__u64 key = (__u64)skb, now = bpf_ktime_get_ns();
	/* Only the address is used: a TX completion may have freed it. */
	struct txr_lean *l = rc == 0 ? lean_stage(s, skb, TXR_ST_XMIT_DONE, now, false, false) : NULL;
	if (l) {
		l->out = now; /* end to end: up to the driver's return */
		if (l->handoff)
			lean_finish(s, l, key, now, TXR_END_HANDOFF, 0, 0);
	}
	/* Left with the driver (its TX completion frees it, on any CPU), or
	 * NETDEV_TX_BUSY (requeued, sent again later). */
	slot_spill_if_holds(s, key, l, txr_lean_inflight);
	slot_leave(s);
}

/* consume_skb / kfree_skb. A handed-off skb freed by the receiver (possibly
 * before net_dev_xmit fired on this side) left the send path: not a drop. */
static __always_inline void lean_end(struct sk_buff *skb, bool drop, __u32 reason)
{
	__u64 key = (__u64)skb;
	struct txr_lean_slot *s = lean_slot_enter(false);
	struct txr_lean *l = lean_find(s, key);
	if (l) {
		__u64 now = bpf_ktime_get_ns();
		__u32 before_drop = l->last;
		__u8 end = TXR_END_HANDOFF; /* freed by the receiver: not a drop */
		if (!l->handoff) {
			lean_stage(s, skb, drop ? TXR_ST_DROP : TXR_ST_FREE, now, false, false);
			if (drop)
				l->out = now;
			end = drop ? TXR_END_DROP
			    : (l->seen & (1u << TXR_ST_DRIVER_XMIT)) ? TXR_END_FREE : TXR_END_CONSUMED_EARLY;
		}
		lean_finish(s, l, key, now, end, before_drop, reason);
	}
	slot_leave(s);
}
