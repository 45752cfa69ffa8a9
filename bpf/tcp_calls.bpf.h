/* SPDX-License-Identifier: GPL-2.0 */
/* TCP: which call's bytes a data segment carries.
 *
 * A TCP segment often leaves in another context than the call that queued
 * its bytes: tcp_sendmsg only appends to the write queue, and
 * tcp_write_xmit sends what the congestion and send windows allow, from the
 * writer's thread (maybe a later call's), from softirq when an ACK opens the
 * window (tcp_ack -> tcp_data_snd_check), from the TSQ tasklet
 * (tcp_tsq_handler), from the retransmission timer (tcp_retransmit_timer).
 * So a segment is never tied to whatever thread runs: each socket keeps the
 * byte ranges its recent calls appended, [tcp_sock.write_seq at the call's
 * start, write_seq at its end) (an open call: everything from its start on),
 * and a data segment belongs to the call that appended its FIRST byte; the
 * packet also says how many calls its bytes span (tcp_calls).
 *
 * Rings of TXR_TCP_CALLS per socket (an LRU hash by sock address): a
 * segment whose call has left the ring (or whose socket has left the hash)
 * is tied in user space from the send records' ranges (the collector's
 * Assembler, send_by_seq). Concurrent writers on one socket interleave their
 * ranges; a segment is then tied to the newest call that started at or
 * before its first byte.
 *
 * Part of txray.bpf.c, split by concern (not a standalone header). */
#ifndef TXRAY_TCP_CALLS_BPF_H
#define TXRAY_TCP_CALLS_BPF_H

#define TXR_TCP_CALLS 64 /* a power of two */

struct txr_tcp_call {
	__u64 send_id;  /* 0: free */
	__u64 enter_ts;
	__u64 cgroup_id;
	__u32 start, end; /* sequence range; end valid once closed */
	__u32 pid, tid;
	__u8 open;
	__u8 pad[7];
	char comm[TXR_COMM_LEN];
};

struct txr_tcp_calls {
	__u32 next; /* the slot the next call takes */
	__u32 pad;
	struct txr_tcp_call c[TXR_TCP_CALLS];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* struct sock address */
	__type(value, struct txr_tcp_calls);
} txr_tcp_calls SEC(".maps");

/* A ring of no calls: what a socket's first call copies in. Never written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_tcp_calls);
} txr_tcp_calls_empty SEC(".maps");

/* Sequence-space order (RFC 1982): a before b. */
static __always_inline bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* A call on TCP socket sk begins: its bytes start at write_seq `start`. */
static __always_inline void tcp_call_open(__u64 sk, __u32 start, __u64 send_id, __u64 enter_ts,
					  __u64 cgroup_id, __u32 pid, __u32 tid, const char *comm)
{
	struct txr_tcp_calls *r = bpf_map_lookup_elem(&txr_tcp_calls, &sk);
	if (!r) {
		__u32 zero = 0;
		struct txr_tcp_calls *empty = bpf_map_lookup_elem(&txr_tcp_calls_empty, &zero);
		if (!empty)
			return;
		bpf_map_update_elem(&txr_tcp_calls, &sk, empty, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&txr_tcp_calls, &sk);
		if (!r)
			return;
	}
	__u32 i = r->next & (TXR_TCP_CALLS - 1);
	r->next = i + 1;
	struct txr_tcp_call *c = &r->c[i];
	c->open = 0; /* not matched half-written */
	barrier();
	c->send_id = send_id;
	c->enter_ts = enter_ts;
	c->cgroup_id = cgroup_id;
	c->start = c->end = start;
	c->pid = pid;
	c->tid = tid;
	__builtin_memcpy(c->comm, comm, TXR_COMM_LEN);
	barrier();
	c->open = 1;
}

/* The call send_id on sk ended with write_seq at `end`. */
static __always_inline void tcp_call_close(__u64 sk, __u64 send_id, __u32 end)
{
	struct txr_tcp_calls *r = bpf_map_lookup_elem(&txr_tcp_calls, &sk);
	if (!r)
		return;
	for (int i = 0; i < TXR_TCP_CALLS; i++) {
		struct txr_tcp_call *c = &r->c[i];
		if (c->send_id == send_id) {
			c->end = end;
			barrier();
			c->open = 0;
			return;
		}
	}
}

/* The ring slot of the call that appended byte `seq` of sk, with the number
 * of calls [seq, end_seq) spans in bits 8..15; -1 if not in the ring. Newest
 * first: the first call that started at or before `seq` and had not ended
 * by it. A global function (scalar arguments: any kernel since 5.6), so the
 * verifier walks its loop once, not in every program that inlines it. */
__attribute__((noinline)) int txr_tcp_call_find(__u64 sk, __u32 seq, __u32 end_seq)
{
	struct txr_tcp_calls *r = bpf_map_lookup_elem(&txr_tcp_calls, &sk);
	if (!r)
		return -1;
	__u32 next = r->next;
	int spans = 0;
	for (int k = 1; k <= TXR_TCP_CALLS; k++) {
		__u32 i = (next - k) & (TXR_TCP_CALLS - 1);
		struct txr_tcp_call *c = &r->c[i];
		if (!c->send_id)
			break; /* the ring is not full yet */
		if (!seq_before(c->start, end_seq))
			continue; /* started after the segment's bytes */
		if (!c->open && !seq_before(seq, c->end))
			continue; /* ended before them */
		spans++;
		if (!seq_before(seq, c->start))
			return (int)i | (spans & 0xff) << 8;
	}
	return -1;
}

/* The call that appended byte `seq` of sk (NULL if not in the ring), and
 * how many calls [seq, end_seq) spans (*spans). */
static __always_inline struct txr_tcp_call *tcp_call_of(__u64 sk, __u32 seq, __u32 end_seq, __u16 *spans)
{
	int found = txr_tcp_call_find(sk, seq, end_seq);
	if (found < 0)
		return NULL;
	struct txr_tcp_calls *r = bpf_map_lookup_elem(&txr_tcp_calls, &sk);
	if (!r)
		return NULL;
	*spans = (found >> 8) & 0xff;
	return &r->c[found & (TXR_TCP_CALLS - 1)];
}

#endif /* TXRAY_TCP_CALLS_BPF_H */
