/* SPDX-License-Identifier: GPL-2.0 */
/* A packet's record: reading the skb, the filters, creating the record
 * (in the thread's slot or the in-flight hash).
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_PACKET_BPF_H
#define TXRAY_PACKET_BPF_H

/* ------------------------------------------------------------------ */
/* Packets                                                             */

/* The inode of dev's network namespace (dev_net(dev)): two plain loads from
 * a tp_btf argument (a faulting load reads 0, as a probe read would), not two
 * probe reads. */
static __always_inline __u32 dev_netns(const struct net_device *dev, bool trusted)
{
	return trusted ? dev->nd_net.net->ns.inum : BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* Bytes read at once from the IP header on: an IPv6 header, or an IPv4 one
 * without options and the first 20 bytes after it (the ports, ICMP type and
 * code, TCP's sequence, offset and flags). One probe read where there were
 * three or four; past a short packet's end it reads the skb's own buffer
 * (its tailroom, then skb_shared_info), whose bytes no field here uses. */
#define TXR_HDR_READ 40
#define TXR_L4_READ 20

static __always_inline void parse_headers(struct sk_buff *skb, struct txr_packet *p, bool trusted)
{
	unsigned char *head = KREAD(trusted, skb, head);
	__u16 nh = KREAD(trusted, skb, network_header);
	__u32 l4 = 0;
	__u16 frag = 0;
	__u8 hdr[TXR_HDR_READ];
	__u8 l4b[TXR_L4_READ];

	p->ethertype = bpf_ntohs(KREAD(trusted, skb, protocol));
	if (!head || nh == (__u16)~0U)
		return;
	if (bpf_probe_read_kernel(hdr, sizeof(hdr), head + nh))
		return;
	__u8 ver = hdr[0] >> 4;
	if (ver == 4) {
		const struct iphdr *ip = (const void *)hdr;
		p->family = 4;
		p->proto = ip->protocol;
		__builtin_memcpy(p->saddr, &ip->saddr, 4);
		__builtin_memcpy(p->daddr, &ip->daddr, 4);
		frag = bpf_ntohs(ip->frag_off);
		p->frag_off = (frag & 0x1fff) * 8;
		if (frag & 0x2000)
			p->flags |= TXR_PF_FRAG_MORE;
		l4 = nh + ip->ihl * 4;
	} else if (ver == 6) {
		const struct ipv6hdr *ip6 = (const void *)hdr;
		p->family = 6;
		p->proto = ip6->nexthdr;
		__builtin_memcpy(p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->daddr, &ip6->daddr, 16);
		l4 = nh + sizeof(*ip6);
		if (ip6->nexthdr == 0 /* hop-by-hop options, e.g. MLD */) {
			__u8 ext[2];
			if (bpf_probe_read_kernel(ext, sizeof(ext), head + l4))
				return;
			p->proto = ext[0];
			l4 += (ext[1] + 1) * 8;
		}
		if (p->proto == NEXTHDR_FRAGMENT) {
			struct frag_hdr fh;
			if (bpf_probe_read_kernel(&fh, sizeof(fh), head + l4))
				return;
			p->proto = fh.nexthdr;
			frag = bpf_ntohs(fh.frag_off);
			p->frag_off = frag & ~7;
			if (frag & 1)
				p->flags |= TXR_PF_FRAG_MORE;
			p->flags |= TXR_PF_FRAGMENT;
			l4 += sizeof(fh);
		}
	} else {
		return;
	}
	if (p->frag_off || (p->flags & TXR_PF_FRAG_MORE))
		p->flags |= TXR_PF_FRAGMENT;
	if (p->frag_off != 0 || (p->proto != IPPROTO_UDP && p->proto != IPPROTO_TCP && p->proto != IPPROTO_ICMP &&
				 p->proto != IPPROTO_ICMPV6))
		return;
	/* The transport header's first bytes: already read for IPv4 without options. */
	if (l4 == nh + sizeof(struct iphdr) && ver == 4)
		__builtin_memcpy(l4b, hdr + sizeof(struct iphdr), sizeof(l4b));
	else if (bpf_probe_read_kernel(l4b, sizeof(l4b), head + l4))
		return;
	if (p->proto == IPPROTO_UDP || p->proto == IPPROTO_TCP) {
		p->sport = ((__u16)l4b[0] << 8) | l4b[1];
		p->dport = ((__u16)l4b[2] << 8) | l4b[3];
	}
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		/* struct icmphdr / icmp6hdr begin with type, code */
		p->icmp_type = l4b[0];
		p->icmp_code = l4b[1];
	}
	if (p->proto == IPPROTO_TCP) {
		/* seq at offset 4, data offset + flags at 12-13. The payload is what
		 * follows the TCP header up to skb->len (a whole TSO skb here). */
		__u32 seq = ((__u32)l4b[4] << 24) | ((__u32)l4b[5] << 16) | ((__u32)l4b[6] << 8) | l4b[7];
		__u32 hdr_end = l4 + (l4b[12] >> 4) * 4;
		unsigned char *data = KREAD(trusted, skb, data);
		__u32 data_off = data - head;
		__u32 len = KREAD(trusted, skb, len);
		__u32 payload = hdr_end >= data_off && len > hdr_end - data_off ? len - (hdr_end - data_off) : 0;
		p->tcp_flags = l4b[13];
		p->tcp_seq = seq;
		p->tcp_end_seq = seq + payload + ((l4b[13] & 0x02) ? 1 : 0) + ((l4b[13] & 0x01) ? 1 : 0);
	}
}

static __always_inline void set_device(struct txr_packet *p, const struct net_device *dev, bool trusted)
{
	if (!dev)
		return;
	__u32 ifindex = KREAD(trusted, dev, ifindex);
	if (ifindex == p->ifindex && p->ifname[0])
		return; /* the name was read when it got this ifindex */
	p->ifindex = ifindex;
	if (trusted)
		__builtin_memcpy(p->ifname, dev->name, sizeof(p->ifname)); /* NUL-padded */
	else
		bpf_probe_read_kernel_str(p->ifname, sizeof(p->ifname), dev->name);
}

static __always_inline bool addr_eq(const __u8 *a, int n)
{
	for (int i = 0; i < 16; i++) {
		if (i >= n)
			break;
		if (a[i] != f_host[i])
			return false;
	}
	return true;
}

/* dev_netns: the namespace of the device p->ifindex names (an ifindex is
 * only unique within its namespace: a veth's peer moved into another one
 * may have the same number). */
static __always_inline bool flow_matches(const struct txr_packet *p, __u32 dev_netns)
{
	if (f_ifindex && (p->ifindex != f_ifindex || dev_netns != f_ifnetns))
		return false;
	if (f_proto && p->proto != f_proto)
		return false;
	if (f_port && p->sport != f_port && p->dport != f_port)
		return false;
	if (f_host_family) {
		int n = f_host_family == 4 ? 4 : 16;
		if (p->family != f_host_family)
			return false;
		if (!addr_eq(p->saddr, n) && !addr_eq(p->daddr, n))
			return false;
	}
	return true;
}

/* The socket's cgroup (the creating task's) is in the --cgroup subtree. */
static __always_inline bool sk_in_cgroup(struct sock *sk)
{
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == 6 /* TCP_TIME_WAIT */ || state == 12 /* TCP_NEW_SYN_RECV */)
		return false; /* not a full socket: no cgroup data */
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	if (!cg || BPF_CORE_READ(cg, level) < (int)f_cgroup_level)
		return false;
	struct cgroup *anc = NULL;
	bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[f_cgroup_level & 0xff]);
	return anc && BPF_CORE_READ(anc, kn, id) == f_cgroup_id;
}

/* --netns and --cgroup: where the packet comes from (decided once, when it
 * is made). A packet of a traced send already passed --cgroup at syscall
 * entry (send_enter). */
static __always_inline bool origin_matches(struct sock *sk, bool from_send, const struct txr_packet *p)
{
	if (f_netns && p->netns != f_netns)
		return false;
	if (f_cgroup_id && !from_send && (!sk || !sk_in_cgroup(sk)))
		return false;
	return true;
}

/* The tcpdump expression on the headers as they are here. A later fragment
 * of a followed datagram belongs to it (it has no ports of its own to
 * match). */
static __always_inline bool expression_matches(struct sk_buff *skb, bool from_send, const struct txr_packet *p,
					       enum txr_stage stage, bool trusted)
{
	return !f_pcap || (from_send && p->parent_id) ||
	       txr_pcap_match_skb(skb, stage == TXR_ST_DEV_QUEUE_XMIT, trusted, true);
}

/* --netns, --cgroup and the tcpdump expression, cheapest first. */
static __always_inline bool scope_and_expression_match(struct sk_buff *skb, struct sock *sk, bool from_send,
						       const struct txr_packet *p, enum txr_stage stage, bool trusted)
{
	return origin_matches(sk, from_send, p) && expression_matches(skb, from_send, p, stage, trusted);
}

/* The device skb_dst(skb) leads to, or NULL: where the skb leaves before
 * ip_output() sets skb->dev (netfilter LOCAL_OUT, __ip_local_out and
 * ip_output's entry on fentry/kprobe kernels, a forward's IP stages, a
 * tunnel's outer ones: iptunnel_xmit set the outer route). */
static __always_inline struct net_device *skb_route_dev(struct sk_buff *skb, bool trusted)
{
	unsigned long refdst = KREAD(trusted, skb, _skb_refdst) & ~1UL; /* SKB_DST_PTRMASK */
	return refdst ? BPF_CORE_READ((struct dst_entry *)refdst, dev) : NULL;
}

/* Whether a packet that fails the device and header filters (--iface, the
 * flow filters, the expression) on `dev` may still leave through another
 * device, where they are tried again: `dev` is a virtual one of some link
 * type that queues it on a lower device (vxlan, geneve, macvlan, vlan, bond,
 * a bridge's port) or, where hand-offs are followed (capture mode,
 * hops.bpf.h: open_hop; not the lean summary), one whose peer or reader
 * receives it and may forward it (veth, tun/tap). A NIC (no rtnl_link_ops)
 * or lo ends it there: left out at once. dev: from a probe read. */
static __always_inline bool may_leave_elsewhere(const struct net_device *dev, bool follows_handoffs)
{
	if (!dev || (BPF_CORE_READ(dev, flags) & IFF_LOOPBACK))
		return false;
	enum txr_link_kind k = link_kind_of_untrusted(dev);
	if (k == TXR_LINK_NONE)
		return false;
	return follows_handoffs || (k != TXR_LINK_VETH && k != TXR_LINK_TUN);
}

/* --no-syscalls (no send context): the process that made the packet is the
 * current task when only a task's send can have made it here: a user socket
 * (one with a file: not a tunnel's, ICMP's or TCP's control socket) that is
 * not TCP (udp_sendmsg, raw and ping sockets run in the sender's syscall), or
 * a TCP socket some task holds (lock_sock): TCP's softirq and timer paths
 * transmit only while no task owns the socket (tcp_v4_rcv, tcp_write_timer:
 * sock_owned_by_user), and the owner runs its backlog itself (release_sock).
 * Else the packet has no process. */
static __always_inline bool made_by_current_task(struct sock *sk, bool trusted)
{
	if (!sk)
		return false;
	__u8 state = KREAD(trusted, sk, __sk_common.skc_state);
	if (state == 6 /* TCP_TIME_WAIT */ || state == 12 /* TCP_NEW_SYN_RECV */)
		return false; /* not a full socket */
	struct socket *so = KREAD(trusted, sk, sk_socket);
	if (!so || !KREAD(trusted, so, file))
		return false;
	return KREAD(trusted, sk, sk_protocol) != IPPROTO_TCP || KREAD(trusted, sk, sk_lock.owned);
}

/* Plain loads from the task (as send_enter_file) where every program of
 * the plan may call bpf_get_current_task_btf: user space checked cgroup_skb's
 * helpers for task storage too (task_storage_refused; not on 6.12). */
static __always_inline void take_current_process(struct txr_packet *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	p->pid = pid_tgid >> 32;
	p->tid = (__u32)pid_tgid;
	p->cgroup_id = current_cgroup_id_by(sends_in_task_storage);
	current_comm_by(sends_in_task_storage, p->comm);
}

/* First sight of an skb: build its record from the skb and, when the current
 * thread is inside a traced send on the same socket, from that send. */
static __always_inline bool is_ip_stage(enum txr_stage stage)
{
	return stage == TXR_ST_IP_LOCAL_OUT || stage == TXR_ST_IP_OUTPUT || stage == TXR_ST_NEIGH_OUTPUT;
}

static __always_inline void emit_headers(struct sk_buff *skb, __u64 id);

/* True when the record is now in the thread's slot or in txr_inflight
 * (callers that need it find it: most do not). A packet of the thread's own
 * send is built in the thread's slot (made here, the first time; *sp is then
 * the taken slot) when `may_slot`: the stage is past netfilter, which could
 * queue it to user space (NFQUEUE) and reinject it from another thread. */
static __always_inline bool create_packet_in(struct txr_pkt_slot **sp, struct sk_buff *skb, __u64 key,
					     enum txr_stage stage, __u64 now, bool trusted, bool may_slot,
					     struct txr_packet *scratch)
{
	struct txr_packet *p = NULL;
	struct txr_send_ctx *ctx = current_send();
	struct sock *sk = KREAD(trusted, skb, sk);
	struct txr_pkt_slot *s = *sp;
	bool in_slot = false;

	/* An io-wq worker's packet: the context of the request it issues now
	 * (uring_requests.bpf.h). Never in an interrupt on a worker's CPU. */
	if (txr_uring_async_seen && !in_interrupt_ctx())
		ctx = uring_worker_send(ctx);

	/* Only a packet of the socket the syscall writes to belongs to it: a
	 * softirq running on this thread may transmit other sockets' skbs. */
	if (ctx && ctx->sk != (__u64)sk)
		ctx = NULL;
	/* --no-syscalls: a packet the current task made rides in its slot too. */
	bool task_made = ctx || (no_syscalls && !in_interrupt_ctx() && made_by_current_task(sk, trusted));
	if (slots_on && may_slot && task_made) {
		if (!s) {
			s = bpf_task_storage_get(&txr_pkt_slots, bpf_get_current_task_btf(), 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
			s = slot_take(s);
			*sp = s;
		}
		if (s) {
			spill_packet(s); /* the thread's previous packet, if still here */
			flush_held(s);   /* or ended, waiting for its send's end */
			p = &s->p;
			in_slot = true;
		}
	}
	if (!p)
		p = scratch;
	if (!p)
		return false;
	__builtin_memset(p, 0, sizeof(*p));
	p->kind = TXR_REC_PACKET;
	p->skb = key;
	p->sk = (__u64)sk;
	p->len = KREAD(trusted, skb, len);
	parse_headers(skb, p, trusted);
	struct net_device *dev = KREAD(trusted, skb, dev);
	struct net_device *out_dev = dev;
	if (dev) {
		set_device(p, dev, trusted);
	} else {
		out_dev = skb_route_dev(skb, trusted); /* before ip_output() sets skb->dev */
		set_device(p, out_dev, false);
	}

	/* TCP data belongs to the call that appended its first byte, whichever
	 * context sends it (tcp_calls.bpf.h); the thread's own send only if that
	 * is the one. */
	struct txr_tcp_call *call = NULL;
	struct txr_send_ctx *own = ctx;
	__u32 data_seq = p->tcp_seq + ((p->tcp_flags & 0x02) ? 1 : 0);
	__u32 data_end = p->tcp_end_seq - ((p->tcp_flags & 0x01) ? 1 : 0);
	if (p->proto == IPPROTO_TCP && sk && seq_before(data_seq, data_end)) {
		/* p->sk read back from the record: a scalar, as a global function's
		 * argument must be (sk itself is a pointer to the verifier). */
		call = tcp_call_of(*(volatile __u64 *)&p->sk, data_seq, data_end, &p->tcp_calls);
		if (!call || !ctx || call->send_id != ctx->send_id)
			own = NULL;
	}
	if (call && !own) {
		p->id = next_id();
		p->send_id = call->send_id;
		TXR_COPY_PROCESS(p, call);
		p->ts[TXR_ST_SENDMSG] = call->enter_ts;
	} else if (own) {
		p->id = next_id();
		p->send_id = ctx->send_id;
		p->msg_index = ctx->msgs;
		TXR_COPY_PROCESS(p, ctx);
		p->ts[TXR_ST_SENDMSG] = ctx->msg_ts;
		p->ts[TXR_ST_UDP_SENDMSG] = ctx->udp_ts;
		p->ts[TXR_ST_TCP_SENDMSG] = ctx->tcp_ts;
		p->ts[TXR_ST_ROUTE] = ctx->route_ts;
		p->ts[TXR_ST_TCP_TRANSMIT_SKB] = ctx->tcp_tx_ts;
		if ((p->flags & TXR_PF_FRAGMENT) && p->frag_off && ctx->first_frag_id && !ctx->first_pending) {
			/* A later fragment: no ports of its own; it shares the
			 * datagram's ports and IP stages, and links to the first
			 * (unless that one is pending a later hop's filters). */
			p->parent_id = ctx->first_frag_id;
			p->sport = ctx->sport;
			p->dport = ctx->dport;
			if (stage > TXR_ST_IP_LOCAL_OUT)
				p->ts[TXR_ST_IP_LOCAL_OUT] = ctx->ip_ts[0];
			if (stage > TXR_ST_IP_OUTPUT)
				p->ts[TXR_ST_IP_OUTPUT] = ctx->ip_ts[1];
			if (stage > TXR_ST_NEIGH_OUTPUT)
				p->ts[TXR_ST_NEIGH_OUTPUT] = ctx->ip_ts[2];
		}
	} else {
		/* A TCP segment of another call (or one no longer in the ring),
		 * sent in a traced send on its socket: that thread's process, from
		 * its send (cgroup_skb programs may not call bpf_get_current_comm
		 * on 6.12: the one object must load with --hooks tracepoint there). */
		if (ctx) {
			TXR_COPY_PROCESS(p, ctx);
		} else if (task_made) {
			take_current_process(p);
		} else {
			encap_take_parent(p, skb, now);
		}
		if ((f_tgid && (!p->pid || p->pid != f_tgid)) || (f_has_comm && (!p->pid || !comm_matches(p->comm))))
			return false;
		p->id = next_id();
		p->flags |= TXR_PF_NO_SEND;
		if (sample_every > 1 && (note_holds(TXR_NOTE_SAMPLED_OUT) || bpf_get_prandom_u32() % sample_every))
			return false;
	}
	p->ts[stage] = now;
	if (sk && trusted)
		p->netns = sk->__sk_common.skc_net.net->ns.inum;
	else if (sk)
		p->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else if (dev && trusted)
		p->netns = dev->nd_net.net->ns.inum;
	else
		p->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	/* The origin (--netns, --cgroup) decides here and now; the device and
	 * headers (--iface, the flow filters, the expression) may still pass
	 * on a later hop. */
	if (!origin_matches(sk, own || call, p)) {
		count(TXR_C_FILTERED);
		return false;
	}
	bool here = flow_matches(p, f_ifindex && out_dev ? BPF_CORE_READ(out_dev, nd_net.net, ns.inum) : 0) &&
		    expression_matches(skb, own || call, p, stage, trusted);
	if (!here && !may_leave_elsewhere(out_dev, true)) {
		count(TXR_C_FILTERED);
		return false;
	}
	/* Not on this device's headers: pending until a later hop passes the
	 * filters (hops.bpf.h); left out (counted) if none does. A later
	 * fragment of a pending datagram is not linked to it (judged on its own
	 * headers, above). */
	if (!here)
		p->flags |= TXR_PF_PENDING_FILTER;
	if (in_slot && s) {
		s->key = key;
	} else if (counted_insert(txr_inflight, &key, p)) {
		count(TXR_C_INFLIGHT_FULL);
		return false;
	}
	if (snaplen && !summary_mode && here) /* a pending packet's would be orphans if no hop passes */
		emit_headers(skb, p->id);
	if (ctx)
		ctx->last_key = key; /* made in the thread: may wait for its neighbour */
	if (own) {
		ctx->packets++;
		if (!ctx->first_frag_id) {
			ctx->first_frag_id = p->id;
			ctx->first_pending = !here;
			ctx->sport = p->sport;
			ctx->dport = p->dport;
			if (is_ip_stage(stage))
				ctx->ip_ts[stage - TXR_ST_IP_LOCAL_OUT] = now;
		}
	}
	return true;
}

/* create_packet_in with this CPU's scratch record of its nesting level: a
 * hard IRQ, and the softirq run at its exit (a NAPI poll), may interrupt a
 * program between building a record in the scratch space and storing it, and
 * build one of their own there (seen under qemu: a transmit's record took the
 * headers of the ACK the peer namespace sent from the NAPI poll that
 * interrupted it). Deeper than TXR_SCRATCH_NEST: not followed (counted). */
static __always_inline bool create_packet(struct txr_pkt_slot **sp, struct sk_buff *skb, __u64 key,
					  enum txr_stage stage, __u64 now, bool trusted, bool may_slot)
{
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return false;
	__u32 depth = c->scratch_depth;
	if (depth >= TXR_SCRATCH_NEST) {
		count(TXR_C_INFLIGHT_FULL);
		return false;
	}
	struct txr_packet *scratch = bpf_map_lookup_elem(&txr_scratch, &depth);
	c->scratch_depth = depth + 1;
	bool made = create_packet_in(sp, skb, key, stage, now, trusted, may_slot, scratch);
	c->scratch_depth = depth;
	return made;
}

#endif /* TXRAY_PACKET_BPF_H */
