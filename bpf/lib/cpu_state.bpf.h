/* SPDX-License-Identifier: GPL-2.0 */
/* What each CPU alone writes: its packet and send id counter, the ring
 * buffer bytes it reserved since it last asked for a wakeup (rb_flags()), and
 * the send path's per-CPU bookkeeping (GSO parents, scratch nesting, a
 * segmenting device's xmit in progress).
 *
 * Standalone: needs vmlinux.h and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_CPU_STATE_BPF_H
#define TXRAY_LIB_CPU_STATE_BPF_H

/* Per CPU: reserved ring bytes between wakeups. Set by user space
 * (src/bpfload/session.cpp, Session::size_maps). */
const volatile __u64 wakeup_bytes = 256 * 1024;

struct txr_cpu_state {
	__u64 ids;
	__u64 unwoken;
	__u32 gso_next;      /* next txr_gso_parent slot (bpf/hooks/end.bpf.h) */
	__u32 scratch_depth; /* txr_scratch entries in use (create_packet) */
	__u64 gso_last_ns;   /* when the latest txr_gso_parent was stored */
	/* The GSO skb (address, record id) whose ndo_start_xmit runs on this
	 * CPU now on a device that segments it there (bpf/encap.bpf.h). */
	__u64 seg_xmit_skb, seg_xmit_id;
	__u32 seg_xmit_segs; /* its gso_segs */
	__u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_cpu_state);
} txr_cpu SEC(".maps");

/* Unique per boot without a shared cache line: (per-cpu counter << 8) | cpu. */
static __always_inline __u64 next_id(void)
{
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return 0;
	c->ids += 1;
	return (c->ids << 8) | (bpf_get_smp_processor_id() & 0xff);
}

/* No wakeup per record: user space drains on a timer (100 ms), and each CPU
 * asks for a wakeup once it has reserved another `wakeup_bytes` (user space
 * sizes it so that all CPUs' shares together are at most a quarter of the
 * ring: a wakeup comes well before the ring fills, src/bpfload/session.cpp). A
 * forced wakeup is an irq_work (a self-IPI: a VM exit on KVM), so asking on
 * every record while the reader is behind cost ~0.5 us per record
 * (bpf_ringbuf_commit()). Counted on this CPU, not from the ring's unread
 * size: bpf_ringbuf_query(BPF_RB_AVAIL_DATA) reads consumer_pos, a cache line
 * the reader writes from another CPU (~30 ns a record, measured with perf). */
static __always_inline __u64 rb_flags(__u64 size)
{
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return 0;
	c->unwoken += size + 8; /* + BPF_RINGBUF_HDR_SZ */
	if (c->unwoken < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	c->unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

#endif /* TXRAY_LIB_CPU_STATE_BPF_H */
