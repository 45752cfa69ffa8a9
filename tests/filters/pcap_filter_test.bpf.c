// SPDX-License-Identifier: GPL-2.0
/* Test harness for the in-kernel tcpdump-expression interpreter: the very
 * code txray.bpf.c runs (pcap_filter.bpf.h), on skbs that BPF_PROG_TEST_RUN
 * builds from test frames. Returns bit 0: the DLT_RAW program (from the
 * network header) matched; bit 1: the stage-dependent choice at a device
 * stage (Ethernet program from the MAC header) matched. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "pcap_filter.bpf.h"

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_cast_to_kern_ctx(void *) __ksym;

SEC("tc")
int txr_test_pcap(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	int r = 0;

	/* Through BPF_CORE_READ for one, direct loads for the other (both are
	 * used in txray: the skb view must not depend on the way it is read). */
	if (txr_pcap_match_skb(skb, false, false, false))
		r |= 1;
	if (txr_pcap_match_skb(skb, true, true, false))
		r |= 2;
	return r;
}
