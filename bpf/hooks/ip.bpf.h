/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, IP and neighbour layers: __ip_local_out, ip_output (or cgroup egress),
 * ip_finish_output2, neigh_resolve_output.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_IP_BPF_H
#define TXRAY_HOOKS_IP_BPF_H

/* ------------------------------------------------------------------ */
/* IP layer: ip_local_out (LOCAL_OUT), ip_output (POST_ROUTING),        */
/* ip_finish_output2 (neighbour)                                        */

SKB_HOOKS(ip_local_out, __ip_local_out, TXR_ST_IP_LOCAL_OUT, struct net *net, struct sock *sk, struct sk_buff *skb)
SKB_HOOKS(ip6_local_out, __ip6_local_out, TXR_ST_IP_LOCAL_OUT, struct net *net, struct sock *sk, struct sk_buff *skb)

SKB_HOOKS(ip_output, ip_output, TXR_ST_IP_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)
SKB_HOOKS(ip6_output, ip6_output, TXR_ST_IP_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)

/* Without fentry/kprobes the nearest hook: cgroup egress runs at the top of
 * ip_finish_output()/ip6_finish_output(), after POST_ROUTING. Always allows. */
/* __weak: the kfunc is 6.2+; on older kernels the object must still load
 * (user space then rejects this hook: hook_probe.cpp cgroup_egress). */
extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;
SEC("cgroup_skb/egress")
int txr_cgroup_egress(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	skb_stage_prog(skb, TXR_ST_IP_OUTPUT, true, true); /* past POST_ROUTING */
	return 1;
}

SKB_HOOKS(ip_finish_output2, ip_finish_output2, TXR_ST_NEIGH_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)
SKB_HOOKS(ip6_finish_output2, ip6_finish_output2, TXR_ST_NEIGH_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)

/* neigh_resolve_output: the neighbour entry was not (known to be) valid, so
 * the packet may wait in the neighbour's arp_queue (__neigh_event_send). */
SKB_HOOKS(neigh_resolve_output, neigh_resolve_output, TXR_ST_NEIGH_RESOLVE, struct neighbour *n, struct sk_buff *skb)

/* Without fentry/kprobes: __neigh_event_send() returns 1 when it queued the
 * skb on the neighbour's arp_queue to wait for ARP/ND (or dropped it). It runs
 * in the sending thread right after the packet's IP stages, so the packet is
 * the one the thread's send created last. */
SEC("tp_btf/neigh_event_send_done")
int BPF_PROG(txr_tp_neigh_event_send_done, struct neighbour *n, int rc)
{
	if (rc != 1)
		return 0;
	if (lean_summary) {
		lean_neigh_queued();
		return 0;
	}
	struct txr_send_ctx *sc = current_send();
	if (!sc || !sc->last_key)
		return 0;
	__u64 key = sc->last_key;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p && !p->ts[TXR_ST_NEIGH_RESOLVE] && !p->ts[TXR_ST_DEV_QUEUE_XMIT])
		p->ts[TXR_ST_NEIGH_RESOLVE] = bpf_ktime_get_ns();
	spill_if_holds(s, key); /* whoever resolves the neighbour sends it */
	slot_leave(s);
	return 0;
}

#endif /* TXRAY_HOOKS_IP_BPF_H */
