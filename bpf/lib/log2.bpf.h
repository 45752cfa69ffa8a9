/* SPDX-License-Identifier: GPL-2.0 */
/* floor(log2(v)) of a 64-bit value (0 for 0 and 1): the bucket of a log2
 * histogram. Branches only, no loop: the verifier sees one short path, and
 * after inlining a caller's cap each bucket is a constant of its own.
 *
 * Standalone: needs vmlinux.h (or linux/types.h) and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_LOG2_BPF_H
#define TXRAY_LIB_LOG2_BPF_H

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

#endif /* TXRAY_LIB_LOG2_BPF_H */
