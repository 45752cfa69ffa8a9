/* SPDX-License-Identifier: GPL-2.0 */
/* record --headers: the packet's first bytes. (The summary's histograms and
 * the in-kernel selection are in agent_metrics.bpf.h.)
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_SUMMARY_BPF_H
#define TXRAY_SUMMARY_BPF_H

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
