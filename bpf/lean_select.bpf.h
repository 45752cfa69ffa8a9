/* The agent's capture on the lean summary's state (txray agent
 * --capture-slower-than / --capture-drops without --syscalls: lean summary
 * with select_on). Every packet is followed as the lean summary follows it,
 * with a few more facts (struct txr_lean, from ts_off on); the selection
 * is judged at its end, and only a selected packet goes out, as its state
 * (TXR_REC_LEAN), from which user space makes its record. The full record
 * the capture made before for every packet (create_packet) was most of its
 * cost over the lean summary (docs/performance.md, the fourteenth pass).
 *
 * What such a record lacks beside the full one: the hops of a packet that
 * crossed devices (its stages are those of its last device, and the IP
 * stages before it: lean_next_device), a hand-off's receive side, the
 * qdisc's backlog, BQL and the driver's return code, the drop's location,
 * and the process of a tunnel's own skbs (encap_take_parent).
 *
 * Included by lean_summary.bpf.h. */
#pragma once

/* What only a packet's creation sees: the task that made it (as
 * create_packet_in with --no-syscalls: only a task's own send, never a
 * softirq's on its CPU), its socket, its headers as made. (Its cgroup is
 * the socket's, taken as --by cgroup takes it: lean_init.) */
static __always_inline void lean_take_facts(struct txr_lean *l, struct sk_buff *skb, bool trusted)
{
	struct txr_packet *p = scratch_packet(); /* free again: lean_admit is done */
	if (!p)
		return;
	/* What is read back below; parse_headers and take_current_process
	 * may leave it unwritten. */
	p->family = p->proto = p->icmp_type = p->icmp_code = 0;
	p->sport = p->dport = 0;
	p->pid = p->tid = 0;
	__builtin_memset(p->saddr, 0, sizeof(p->saddr));
	__builtin_memset(p->daddr, 0, sizeof(p->daddr));
	__builtin_memset(p->comm, 0, sizeof(p->comm));
	parse_headers(skb, p, trusted);
	struct sock *sk = KREAD(trusted, skb, sk);
	if (!in_interrupt_ctx() && made_by_current_task(sk, trusted))
		take_current_process(p);
	l->pid = p->pid;
	l->tid = p->tid;
	__builtin_memcpy(l->comm, p->comm, sizeof(l->comm));
	l->family = p->family;
	l->proto = p->proto;
	l->sport = p->sport;
	l->dport = p->dport;
	l->icmp_type = p->icmp_type;
	l->icmp_code = p->icmp_code;
	l->ethertype = p->ethertype;
	__builtin_memcpy(l->saddr, p->saddr, sizeof(l->saddr));
	__builtin_memcpy(l->daddr, p->daddr, sizeof(l->daddr));
	struct net_device *dev = KREAD(trusted, skb, dev);
	if (!dev)
		dev = skb_route_dev(skb, trusted); /* before ip_output() sets skb->dev */
	l->dev = (__u64)dev;
	l->sk = (__u64)sk;
	l->len = KREAD(trusted, skb, len);
	if (sk && trusted)
		l->netns = sk->__sk_common.skc_net.net->ns.inum;
	else if (sk)
		l->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else if (dev)
		l->netns = dev_netns(dev, false); /* from the route: a probe read */
}

/* A time as an offset from the packet's first stage, saturated. */
static __always_inline __u32 lean_offset(const struct txr_lean *l, __u64 now)
{
	__u64 off = now > l->first ? now - l->first : 0;
	return off < 0xffffffffULL ? off : 0xffffffffU;
}

/* The stage's time; at the first device, the packet's length there, as a
 * record's (the MAC header pushed). `trusted`: skb is a tp_btf argument. */
static __always_inline void lean_stamp(struct txr_lean *l, struct sk_buff *skb, enum txr_stage stage, __u64 now,
				       bool trusted)
{
	if ((__u32)stage < TXR_ST_COUNT)
		l->ts_off[stage] = lean_offset(l, now);
	if (stage == TXR_ST_DEV_QUEUE_XMIT)
		l->len = KREAD(trusted, skb, len);
}

/* The packet ended (`end`, enum txr_end): out if selected, as txr_selected
 * judges a record: dropped (select_drops), or slower than select_slower_ns
 * from its first stage to its end (the driver's return for a hand-off,
 * else its free or drop). Else counted, with no ring traffic. */
static __always_inline void lean_emit_if_selected(const struct txr_lean *l, __u64 key, __u64 now, __u8 end,
						  __u32 reason)
{
	bool selected = (select_drops && end == TXR_END_DROP) ||
			(select_slower_ns && now > l->first && now - l->first > select_slower_ns);
	if (!selected) {
		count(TXR_C_UNSELECTED);
		return;
	}
	struct txr_lean_record *r = bpf_ringbuf_reserve(&txr_events, sizeof(*r), 0);
	if (!r) {
		count(TXR_C_LOST_PACKET);
		return;
	}
	r->kind = TXR_REC_LEAN;
	r->end = end;
	r->end_ctx = irq_ctx_known ? TXR_END_CTX_TASK + ctx_level() : TXR_END_CTX_UNKNOWN;
	r->pad = 0;
	r->drop_reason = reason;
	r->id = next_id();
	r->skb = key;
	r->end_cpu = bpf_get_smp_processor_id();
	r->pad2 = 0;
	/* The device it ended on: named now, once, for this packet only. */
	const struct net_device *dev = (const struct net_device *)l->dev;
	__builtin_memset(r->ifname, 0, sizeof(r->ifname));
	r->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	if (dev)
		bpf_probe_read_kernel_str(r->ifname, sizeof(r->ifname), dev->name);
	r->l = *l;
	bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
}
