/* SPDX-License-Identifier: GPL-2.0 */
/* Summary mode (live --summary --syscalls): per-stage log2 histograms.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_SUMMARY_BPF_H
#define TXRAY_SUMMARY_BPF_H

/* txr_summarise's input: the packet's stage times. A global function may
 * take no pointer to memory before Linux 5.12, so its caller copies them
 * here, one row per nesting level (a softirq may summarise a packet while a
 * program it interrupted on this CPU is between copy and call). */
#define TXR_SUMMARY_NEST 4
struct txr_summary_in {
	__u32 depth;
	__u32 pad;
	__u64 ts[TXR_SUMMARY_NEST][TXR_ST_COUNT];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_summary_in);
} txr_summary_in SEC(".maps");

/* Summary mode: each stage's time since the previous stage (kernel order),
 * and syscall (or first stage) to the driver's return, or to the drop.
 * Global too: verified once, not once per path of each caller. */
__noinline int txr_summarise(__u32 depth)
{
	__u64 prev = 0, first = 0, last = 0;
	__u32 zero = 0;
	struct txr_summary_in *in = bpf_map_lookup_elem(&txr_summary_in, &zero);
	if (!in)
		return 0;
	__u64 *row = in->ts[depth & (TXR_SUMMARY_NEST - 1)];
	for (int s = 0; s < TXR_ST_SENDMSG_RETURN; s++) {
		__u64 ts = row[s];
		if (!ts)
			continue;
		if (prev && ts >= prev)
			txr_hist_add(s, ts - prev);
		prev = ts;
		if (!first)
			first = ts;
		if (s == TXR_ST_DRIVER_XMIT || s == TXR_ST_XMIT_DONE || s == TXR_ST_DROP || (s == TXR_ST_FREE && !last))
			last = ts;
	}
	if (first && last > first)
		txr_hist_add(TXR_HIST_E2E, last - first);
	return 0;
}

static __always_inline void summarise(const struct txr_packet *p)
{
	__u32 zero = 0;
	struct txr_summary_in *in = bpf_map_lookup_elem(&txr_summary_in, &zero);
	if (!in)
		return;
	__u32 d = in->depth;
	if (d >= TXR_SUMMARY_NEST)
		return;
	barrier_var(d); /* keep the mask below: 5.10's verifier loses the bound on a spill */
	__builtin_memcpy(in->ts[d & (TXR_SUMMARY_NEST - 1)], p->ts, sizeof(p->ts));
	in->depth = d + 1;
	txr_summarise(d);
	in->depth = d;
}

/* record --headers: up to snaplen bytes of the linear data from the IP header
 * on (locally made packets have no MAC header yet at the first stages). */
static __always_inline void emit_headers(struct sk_buff *skb, __u64 id)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 linear = BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len);
	long avail = (long)(data + linear) - (long)(head + nh);
	if (avail <= 0 || nh == (__u16)~0U)
		return;
	__u32 n = snaplen < TXR_SNAPLEN_MAX ? snaplen : TXR_SNAPLEN_MAX;
	if (n > avail)
		n = avail;
	struct txr_headers *h = bpf_ringbuf_reserve(&txr_events, sizeof(*h), 0);
	if (!h) {
		count(TXR_C_LOST_SEND);
		return;
	}
	h->kind = TXR_REC_HEADERS;
	h->id = id;
	n &= TXR_SNAPLEN_MAX * 2 - 1; /* bound for the verifier; n <= 256 already */
	if (n > TXR_SNAPLEN_MAX || bpf_probe_read_kernel(h->data, n, head + nh))
		n = 0;
	h->len = n;
	/* rb_flags() after the read: its map lookup between the bound check
	 * and the read spilled n, and 6.1's verifier lost the bound. */
	bpf_ringbuf_submit(h, rb_flags(sizeof(*h)));
}

#endif /* TXRAY_SUMMARY_BPF_H */
