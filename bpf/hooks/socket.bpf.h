/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, socket layer: udp_sendmsg, tcp_sendmsg, __tcp_transmit_skb, retransmissions.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_SOCKET_BPF_H
#define TXRAY_HOOKS_SOCKET_BPF_H

/* ------------------------------------------------------------------ */
/* udp_sendmsg / tcp_sendmsg (no skb yet)                              */

/* Each hooked kernel function gets an fentry and a kprobe program; user space
 * loads the one its plan chose (src/bpfload/hook_plan.cpp names them). */
#define TASK_HOOKS(name, func, stage)                                                        \
	SEC("fentry/" #func)                                                                 \
	int BPF_PROG(txr_fentry_##name) { task_stage(stage); return 0; }                     \
	SEC("kprobe/" #func)                                                                 \
	int BPF_KPROBE(txr_kprobe_##name) { task_stage(stage); return 0; }
#define SKB_HOOKS(name, func, stage, ...)                                                    \
	SEC("fentry/" #func)                                                                 \
	int BPF_PROG(txr_fentry_##name, __VA_ARGS__)                                         \
	{ skb_stage_prog(skb, stage, true, stage >= TXR_ST_NEIGH_OUTPUT); return 0; }        \
	SEC("kprobe/" #func)                                                                 \
	int BPF_KPROBE(txr_kprobe_##name, __VA_ARGS__)                                       \
	{ skb_stage_prog(skb, stage, false, stage >= TXR_ST_NEIGH_OUTPUT); return 0; }

TASK_HOOKS(udp_sendmsg, udp_sendmsg, TXR_ST_UDP_SENDMSG)
TASK_HOOKS(udpv6_sendmsg, udpv6_sendmsg, TXR_ST_UDP_SENDMSG)
TASK_HOOKS(tcp_sendmsg, tcp_sendmsg, TXR_ST_TCP_SENDMSG)
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(txr_tp_tcp_sendmsg_locked) { task_stage(TXR_ST_TCP_SENDMSG); return 0; }

/* __tcp_transmit_skb clones the queued skb; the clone is what IP sees. In a
 * send's thread the clone inherits this time (task_stage keeps the latest). */
TASK_HOOKS(tcp_transmit_skb, __tcp_transmit_skb, TXR_ST_TCP_TRANSMIT_SKB)

/* A segment went out again. Emitted as its own small record: user space marks
 * the transmission of [seq, end_seq) on sk that carries it and links it to the
 * first one (the clone may be finished before this fires). */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(txr_tp_tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	struct txr_retrans r = {};
	if (summary_mode || select_on)
		return 0;
	r.kind = TXR_REC_RETRANS;
	r.sk = (__u64)sk;
	r.ts = bpf_ktime_get_ns();
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)skb->cb;
	r.seq = BPF_CORE_READ(cb, seq);
	r.end_seq = BPF_CORE_READ(cb, end_seq);
	if (bpf_ringbuf_output(&txr_events, &r, sizeof(r), rb_flags(sizeof(r))))
		count(TXR_C_LOST_SEND);
	return 0;
}

#endif /* TXRAY_HOOKS_SOCKET_BPF_H */
