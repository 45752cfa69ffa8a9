/* SPDX-License-Identifier: GPL-2.0 */
/* A tunnel that makes new skbs for a packet: WireGuard's segments of a GSO
 * skb (issue 19, `encap_of`).
 *
 * wg_xmit (drivers/net/wireguard/device.c) segments a GSO skb with
 * skb_gso_segment into new skbs and consumes it (dev_kfree_skb) inside its
 * own ndo_start_xmit; a kworker encrypts the segments (encrypt_packet) and
 * sends them through udp_tunnel_xmit_skb, where txray first sees them, with
 * neither the socket (wg_reset_packet scrubs it) nor a readable inner header
 * (encrypted).
 *
 * Which skb is a parent: only the GSO skb that a device which segments in
 * its own ndo_start_xmit (WireGuard, by its link kind) is transmitting on
 * this CPU right now, noted at net_dev_start_xmit by address and record id
 * (txr_cpu_state.seg_xmit_*) and forgotten at its net_dev_xmit: consumed
 * in between, it was segmented. Not any skb consumed inside an
 * ndo_start_xmit: a NIC driver frees older completed skbs there
 * (virtio_net's start_xmit -> free_old_xmit_skbs), sometimes even the one
 * it is sending (the device completed it before start_xmit returned); those
 * end at their TX completion.
 *
 * Finding the parent from a segment: what survives is skb->hash: skb_segment copies it to every
 * segment, wg_reset_packet and iptunnel_xmit keep it. For TCP it is the
 * socket's sk_txhash (tcp_transmit_skb: skb_set_hash_from_sk), the same for
 * all of the flow's skbs, so the flow's consumed GSO skbs wait in a FIFO
 * (the kworker sends a peer's packets in order) with the segments each still
 * owes; a new record without a process, with that hash and another 5-tuple
 * (the outer one: the flow's own ACKs share the hash) takes the oldest.
 * Without locks (tracing programs may not take bpf_spin_lock): on SMP a
 * segment may be linked to a neighbouring GSO skb of the same flow, never to
 * another flow.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_ENCAP_BPF_H
#define TXRAY_ENCAP_BPF_H

#define TXR_ENCAP_FIFO 16 /* a power of two */

struct txr_encap_parents {
	__u32 head, tail; /* FIFO [head, tail): head owes segments */
	__u64 id[TXR_ENCAP_FIFO];
	__u16 left[TXR_ENCAP_FIFO]; /* segments not seen yet */
	/* the flow (its ACKs are not segments) and the latest parent's process */
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
	__u32 pid, tid;
	__u64 cgroup_id;
	char comm[TXR_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* skb->hash */
	__type(value, struct txr_encap_parents);
} txr_encap_parent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_encap_parents);
} txr_encap_zero SEC(".maps");

/* When a parent was last noted: new records look up only within 2 s of it,
 * so a host without such tunnels pays one load per record without a process. */
__u64 txr_encap_last_ns = 0;
/* Set once a segmenting device's GSO skb was first noted: until then (no
 * WireGuard traffic) every net_dev_xmit and consume_skb skips the per-CPU
 * lookup below. */
__u32 txr_seg_xmit_used = 0;

/* The parent's segments will come back as new skbs: into its hash's FIFO. */
static __always_inline void encap_note_parent(const struct txr_packet *p, struct sk_buff *skb, __u16 segs)
{
	__u32 hash = BPF_CORE_READ(skb, hash);
	if (!hash || segs < 2)
		return;
	struct txr_encap_parents *e = bpf_map_lookup_elem(&txr_encap_parent, &hash);
	if (!e) {
		__u32 zero = 0;
		struct txr_encap_parents *z = bpf_map_lookup_elem(&txr_encap_zero, &zero);
		if (!z || bpf_map_update_elem(&txr_encap_parent, &hash, z, BPF_NOEXIST))
			return;
		e = bpf_map_lookup_elem(&txr_encap_parent, &hash);
		if (!e)
			return;
	}
	__u32 t = e->tail;
	if (t - e->head >= TXR_ENCAP_FIFO)
		e->head = t - TXR_ENCAP_FIFO + 1; /* the oldest owes no more */
	e->id[t & (TXR_ENCAP_FIFO - 1)] = p->id;
	e->left[t & (TXR_ENCAP_FIFO - 1)] = segs;
	e->tail = t + 1;
	e->proto = p->proto;
	e->sport = p->sport;
	e->dport = p->dport;
	TXR_COPY_PROCESS(e, p);
	txr_encap_last_ns = bpf_ktime_get_ns();
}

/* net_dev_start_xmit of followed packet p (skb at key), a GSO skb of segs
 * segments, on a device that segments it in its ndo_start_xmit (wg_xmit:
 * the caller's xmit_kind is TXR_XMIT_WORKER): this CPU transmits it now. */
static __always_inline void encap_xmit_begin(const struct txr_packet *p, __u64 key, __u16 segs)
{
	if (segs < 2)
		return;
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return;
	c->seg_xmit_skb = key;
	c->seg_xmit_id = p->id;
	c->seg_xmit_segs = segs;
	if (!txr_seg_xmit_used)
		txr_seg_xmit_used = 1;
}

/* net_dev_xmit of the skb at key: its ndo_start_xmit returned. */
static __always_inline void encap_xmit_end(__u64 key)
{
	if (!txr_seg_xmit_used)
		return;
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (c && c->seg_xmit_skb == key)
		c->seg_xmit_skb = 0;
}

/* consume_skb of followed packet p (skb at key): the skb being transmitted
 * on this CPU by a segmenting device, the same record? Then it was
 * segmented (wg_xmit: dev_kfree_skb after skb_gso_segment): a parent. */
static __always_inline void encap_consumed(const struct txr_packet *p, struct sk_buff *skb, __u64 key)
{
	if (!txr_seg_xmit_used)
		return;
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c || !c->seg_xmit_skb || c->seg_xmit_skb != key || c->seg_xmit_id != p->id)
		return;
	c->seg_xmit_skb = 0;
	encap_note_parent(p, skb, c->seg_xmit_segs);
}

/* A new record without a process (its headers parsed): a segment of a noted
 * parent? Then it carries the parent's process and encap_of. */
static __always_inline void encap_take_parent(struct txr_packet *p, struct sk_buff *skb, __u64 now)
{
	__u64 last = txr_encap_last_ns;
	if (!last || now - last > 2000000000ULL)
		return;
	__u32 hash = BPF_CORE_READ(skb, hash);
	if (!hash)
		return;
	struct txr_encap_parents *e = bpf_map_lookup_elem(&txr_encap_parent, &hash);
	if (!e || e->head == e->tail)
		return;
	if (p->proto == e->proto && p->sport == e->sport && p->dport == e->dport)
		return; /* the flow's own packet (an ACK sent from softirq) */
	__u32 k = e->head & (TXR_ENCAP_FIFO - 1);
	p->encap_of = e->id[k];
	if (e->left[k] <= 1)
		e->head++;
	else
		e->left[k]--;
	TXR_COPY_PROCESS(p, e);
}

#endif /* TXRAY_ENCAP_BPF_H */
