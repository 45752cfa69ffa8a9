/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* txray: tcpdump (pcap-filter) expressions evaluated in the kernel.
 *
 * User space compiles the expression with libpcap into classic BPF twice:
 * for DLT_RAW (the packet starts at the IP header: IP-level stages, where no
 * MAC header exists yet) and for DLT_EN10MB (the packet starts at the
 * Ethernet header: device stages). The two programs are stored in the array
 * map txr_pcap_progs (key TXR_PCAP_RAW / TXR_PCAP_ETH) before attach, and a
 * bounded interpreter (a bounded loop, one cBPF instruction per iteration;
 * cBPF only jumps forward, so at most `len` iterations) runs them on the skb's
 * linear data, read with bpf_probe_read_kernel.
 *
 * Semantics follow libpcap's bpf_filter(): a load outside the captured bytes,
 * or a division by zero, rejects the packet; `len` is the wire length from the
 * start of the header the program expects. The captured bytes are the skb's
 * linear area (headers are always there on the send path; payload in page
 * fragments is not visible, so payload matches beyond the linear area fail).
 *
 * Compiled filters: user space also translates the two programs into eBPF
 * (src/bpfload/pcap_jit.cpp) and writes them over the instructions of the
 * placeholder functions txr_pcap_jit_raw/_eth in the object's ELF image
 * before libbpf opens it (same length, no relocation inside: every
 * instruction index stays valid). With txr_pcap_compiled set, those run
 * instead of the interpreter, which the verifier then drops as dead code;
 * they see the same bytes (pkt, caplen, wirelen) the interpreter would.
 *
 * The first part (layout) is shared with user space (src/bpfload/pcap_filter.cpp).
 */
#ifndef TXRAY_PCAP_FILTER_BPF_H
#define TXRAY_PCAP_FILTER_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TXR_PCAP_MAX_INSNS 1024 /* power of two */
#define TXR_PCAP_RAW 0          /* DLT_RAW program: starts at the IP header */
#define TXR_PCAP_ETH 1          /* DLT_EN10MB program: starts at the MAC header */
#define TXR_PCAP_PROGS 2

#define TXR_PCAP_JIT_RAW "txr_pcap_jit_raw" /* placeholders for the compiled programs */
#define TXR_PCAP_JIT_ETH "txr_pcap_jit_eth"
#define TXR_PCAP_JIT_SLOTS 4096             /* eBPF instructions each has room for */

/* Same layout as struct bpf_insn (libpcap) and struct sock_filter. */
struct txr_cbpf_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

struct txr_pcap_prog {
	__u32 len; /* 0: no program (every packet matches) */
	__u32 pad;
	struct txr_cbpf_insn insns[TXR_PCAP_MAX_INSNS];
};

#ifdef __bpf__
/* ------------------------------------------------------------------ */
/* BPF side                                                            */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TXR_PCAP_PROGS);
	__type(key, __u32);
	__type(value, struct txr_pcap_prog);
} txr_pcap_progs SEC(".maps");

/* Classic BPF opcode fields (linux/filter.h, pcap/bpf.h). */
#define TXR_CB_CLASS(c) ((c) & 0x07)
#define TXR_CB_SIZE(c) ((c) & 0x18)
#define TXR_CB_MODE(c) ((c) & 0xe0)
#define TXR_CB_OP(c) ((c) & 0xf0)
#define TXR_CB_SRC_X(c) ((c) & 0x08)
#define TXR_CB_RVAL(c) ((c) & 0x18)

#define TXR_PCAP_BUF 128 /* power of two: IP + TCP headers with options fit */

struct txr_pcap_run {
	__u64 pkt;     /* kernel address of the program's byte 0 */
	__u32 caplen;  /* readable bytes from pkt */
	__u32 wirelen; /* `len` */
	__u32 A, X;
	__u32 pc;
	__u32 prog;    /* map key */
	__u32 verdict; /* return value of the program; 0: no match */
	__u32 done;
	__u32 buflen;  /* bytes copied to buf: the first loads cost no helper call */
	__u32 M[16];
	__u8 buf[TXR_PCAP_BUF];
};

/* The interpreter's state lives in a per-CPU map, not on the stack: values
 * read from a map are unknown to the verifier, and the step is a global
 * function with no pointer arguments: it is verified once, not once per pc. A
 * softirq may run a filter while a process-context one is mid-way on the same
 * CPU: each nesting level has its own slot. */
#define TXR_PCAP_NEST 4
struct txr_pcap_state {
	__u32 depth;
	__u32 pad;
	struct txr_pcap_run slot[TXR_PCAP_NEST];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_pcap_state);
} txr_pcap_state SEC(".maps");

/* P[off:size] big-endian, or -1 when outside the captured bytes. */
static __always_inline int txr_pcap_load(const struct txr_pcap_run *r, __u32 off, __u32 size, __u32 *out)
{
	__u8 b[4] = {};

	if (off > r->caplen || size > r->caplen - off)
		return -1;
	if (off < r->buflen && size <= r->buflen - off) {
		const __u8 *q = r->buf;
		__u32 m = TXR_PCAP_BUF - 1;
		if (size == 4)
			*out = ((__u32)q[off & m] << 24) | ((__u32)q[(off + 1) & m] << 16) |
			       ((__u32)q[(off + 2) & m] << 8) | q[(off + 3) & m];
		else if (size == 2)
			*out = ((__u32)q[off & m] << 8) | q[(off + 1) & m];
		else
			*out = q[off & m];
		return 0;
	}
	if (size == 4) {
		if (bpf_probe_read_kernel(b, 4, (const void *)(r->pkt + off)))
			return -1;
		*out = ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
	} else if (size == 2) {
		if (bpf_probe_read_kernel(b, 2, (const void *)(r->pkt + off)))
			return -1;
		*out = ((__u32)b[0] << 8) | b[1];
	} else {
		if (bpf_probe_read_kernel(b, 1, (const void *)(r->pkt + off)))
			return -1;
		*out = b[0];
	}
	return 0;
}

static __always_inline long txr_pcap_stop(struct txr_pcap_run *r, __u32 verdict)
{
	r->verdict = verdict;
	r->done = 1;
	return 1;
}

/* One instruction per loop iteration. A global function: the verifier
 * checks it once, on its own, and each call site only against its
 * signature, so the loop in txr_pcap_run_prog costs it a few instructions
 * per iteration. (Not bpf_loop: that is Linux 5.17+, and on older kernels
 * the callback's mere presence in a program stops the object from loading,
 * even where the filter is off.) Returns non-zero when the program ended. */
__noinline int txr_pcap_step(__u32 index)
{
	__u32 zero = 0;
	struct txr_pcap_state *st = bpf_map_lookup_elem(&txr_pcap_state, &zero);
	if (!st)
		return 1;
	__u32 d = st->depth;
	if (d == 0 || d > TXR_PCAP_NEST)
		return 1;
	barrier_var(d); /* keep the mask (see txr_pcap_run_prog) */
	struct txr_pcap_run *r = &st->slot[(d - 1) & (TXR_PCAP_NEST - 1)];
	struct txr_pcap_prog *p = bpf_map_lookup_elem(&txr_pcap_progs, &r->prog);
	__u32 pc = r->pc, v = 0, size, off;

	if (!p || pc >= p->len || pc >= TXR_PCAP_MAX_INSNS)
		return txr_pcap_stop(r, 0);
	__u16 code = p->insns[pc].code;
	__u32 k = p->insns[pc].k;
	__u8 jt = p->insns[pc].jt, jf = p->insns[pc].jf;
	__u32 src = TXR_CB_SRC_X(code) ? r->X : k;

	r->pc = pc + 1;
	switch (TXR_CB_CLASS(code)) {
	case 0x00: /* LD */
	case 0x01: /* LDX */
		size = TXR_CB_SIZE(code) == 0x00 ? 4 : TXR_CB_SIZE(code) == 0x08 ? 2 : 1;
		switch (TXR_CB_MODE(code)) {
		case 0x00: /* IMM */
			v = k;
			break;
		case 0x20: /* ABS */
			if (txr_pcap_load(r, k, size, &v))
				return txr_pcap_stop(r, 0);
			break;
		case 0x40: /* IND */
			off = r->X + k;
			if (off < k)
				return txr_pcap_stop(r, 0);
			if (txr_pcap_load(r, off, size, &v))
				return txr_pcap_stop(r, 0);
			break;
		case 0x60: /* MEM */
			v = r->M[k & 15];
			break;
		case 0x80: /* LEN */
			v = r->wirelen;
			break;
		case 0xa0: /* MSH: X = 4 * (P[k] & 0xf) */
			if (txr_pcap_load(r, k, 1, &v))
				return txr_pcap_stop(r, 0);
			r->X = (v & 0xf) << 2;
			return 0;
		default:
			return txr_pcap_stop(r, 0);
		}
		if (TXR_CB_CLASS(code) == 0x00)
			r->A = v;
		else
			r->X = v;
		return 0;
	case 0x02: /* ST */
		r->M[k & 15] = r->A;
		return 0;
	case 0x03: /* STX */
		r->M[k & 15] = r->X;
		return 0;
	case 0x04: /* ALU */
		switch (TXR_CB_OP(code)) {
		case 0x00: r->A += src; break;
		case 0x10: r->A -= src; break;
		case 0x20: r->A *= src; break;
		case 0x30:
			if (!src)
				return txr_pcap_stop(r, 0);
			r->A /= src;
			break;
		case 0x90:
			if (!src)
				return txr_pcap_stop(r, 0);
			r->A %= src;
			break;
		case 0x40: r->A |= src; break;
		case 0x50: r->A &= src; break;
		case 0xa0: r->A ^= src; break;
		case 0x60: r->A = src < 32 ? r->A << src : 0; break;
		case 0x70: r->A = src < 32 ? r->A >> src : 0; break;
		case 0x80: r->A = -r->A; break;
		default:
			return txr_pcap_stop(r, 0);
		}
		return 0;
	case 0x05: { /* JMP */
		bool t;
		switch (TXR_CB_OP(code)) {
		case 0x00: /* JA: k is the offset */
			r->pc = pc + 1 + k;
			return 0;
		case 0x10: t = r->A == src; break;
		case 0x20: t = r->A > src; break;
		case 0x30: t = r->A >= src; break;
		case 0x40: t = (r->A & src) != 0; break;
		default:
			return txr_pcap_stop(r, 0);
		}
		r->pc = pc + 1 + (t ? jt : jf);
		return 0;
	}
	case 0x06: /* RET */
		if (TXR_CB_RVAL(code) == 0x10)
			return txr_pcap_stop(r, r->A);
		if (TXR_CB_RVAL(code) == 0x08)
			return txr_pcap_stop(r, r->X);
		return txr_pcap_stop(r, k);
	case 0x07: /* MISC */
		if ((code & 0xf8) == 0x00)
			r->X = r->A; /* TAX */
		else if ((code & 0xf8) == 0x80)
			r->A = r->X; /* TXA */
		else
			return txr_pcap_stop(r, 0);
		return 0;
	}
	return txr_pcap_stop(r, 0);
}

/* 1: the placeholders below hold the compiled programs (set with them). */
const volatile __u8 txr_pcap_compiled = 0;

#define TXR_STR_(x) #x
#define TXR_STR(x) TXR_STR_(x)
/* TXR_PCAP_JIT_SLOTS no-op jumps (removed by the verifier) and a result the
 * compiler cannot see through (so it assumes nothing about the call), all
 * overwritten when the filter is compiled. Static, not global: without a
 * compiled expression their calls are dead (txr_pcap_compiled) and the
 * verifier drops them in one block; a global function is verified and kept
 * in every program, and the verifier removes no-op jumps one at a time
 * (bpf_adj_branches over the program each: a 24 s soft lockup on 5.10/TCG). */
#define TXR_PCAP_JIT_PLACEHOLDER(name)                                                   \
	static __noinline int name(__u64 pkt, __u32 caplen, __u32 wirelen)               \
	{                                                                                \
		int verdict;                                                             \
		asm volatile(".rept " TXR_STR(TXR_PCAP_JIT_SLOTS) "\n\tgoto +0\n\t.endr\n\t%0 = 0" \
			     : "=r"(verdict)                                             \
			     : "r"(pkt), "r"(caplen), "r"(wirelen));                       \
		return verdict;                                                          \
	}
TXR_PCAP_JIT_PLACEHOLDER(txr_pcap_jit_raw)
TXR_PCAP_JIT_PLACEHOLDER(txr_pcap_jit_eth)

/* Runs program `prog` on [pkt, pkt + caplen), wire length wirelen.
 * Returns the program's verdict (0: no match). */
static __always_inline __u32 txr_pcap_run_prog(__u32 prog, __u64 pkt, __u32 caplen, __u32 wirelen)
{
	__u32 zero = 0, verdict = 0;
	struct txr_pcap_state *st = bpf_map_lookup_elem(&txr_pcap_state, &zero);

	if (!st)
		return 0;
	__u32 d = st->depth;
	if (d >= TXR_PCAP_NEST)
		return 0;
	barrier_var(d); /* keep the mask: 5.10's verifier loses the check's bound on a spill */
	struct txr_pcap_run *r = &st->slot[d & (TXR_PCAP_NEST - 1)];
	r->pkt = pkt;
	r->caplen = caplen;
	r->wirelen = wirelen;
	r->prog = prog;
	r->A = r->X = r->pc = r->verdict = r->done = 0;
	__builtin_memset(r->M, 0, sizeof(r->M));
	__u32 n = TXR_PCAP_BUF;
	if (caplen < TXR_PCAP_BUF) {
		n = caplen;
		asm volatile("" : "+r"(n)); /* keep the mask below for the verifier */
		n &= TXR_PCAP_BUF - 1;
	}
	if (bpf_probe_read_kernel(r->buf, n, (const void *)pkt))
		n = 0;
	r->buflen = n;
	st->depth = d + 1;
	/* cBPF only jumps forward: at most len <= TXR_PCAP_MAX_INSNS steps. */
	for (__u32 i = 0; i <= TXR_PCAP_MAX_INSNS; i++)
		if (txr_pcap_step(i))
			break;
	st->depth = d;
	if (r->done)
		verdict = r->verdict;
	return verdict;
}

#ifndef ARPHRD_ETHER
#define ARPHRD_ETHER 1
#endif
#ifndef ARPHRD_LOOPBACK
#define ARPHRD_LOOPBACK 772
#endif

/* The last packet rejected at an IP-level stage on this CPU. On the send
 * path the same skb reaches dev_queue_xmit right after (same CPU, same call
 * chain): it is not judged again, so a packet that never matches costs one
 * evaluation. Keyed by the skb's buffer (skb->head: a clone shares it, and
 * its bytes) and IP length (a first fragment cut by ip_fragment() has a new
 * length and is judged again). */
struct txr_pcap_memo {
	__u64 head;
	__u32 ip_len;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_pcap_memo);
} txr_pcap_memo SEC(".maps");

/* How txr_pcap_passes judges (its `how`). */
#define TXR_PCAP_DEVICE 1   /* a device stage (dev_queue_xmit, a hop's queue) */
#define TXR_PCAP_MEMO 2     /* use and keep txr_pcap_memo (a creating stage) */
#define TXR_PCAP_ETH_HDR 4  /* the Ethernet program, from the MAC header */

/* Evaluates the expression on a packet: the Ethernet program from the MAC
 * header (mh) when `eth`, else the DLT_RAW program from the network header
 * (nh); offsets from head. A packet with neither header set does not match. */
static __always_inline bool txr_pcap_eval_view(__u64 head, __u32 data_off, __u32 len, __u32 data_len, __u16 nh,
					       __u16 mh, bool eth)
{
	__u32 prog = eth ? TXR_PCAP_ETH : TXR_PCAP_RAW, start = eth ? mh : nh;

	if (!head || len < data_len || start == (__u16)~0U)
		return false;
	__u64 linear_end = (__u64)data_off + (len - data_len);
	__u64 wire_end = (__u64)data_off + len;
	if (start > wire_end)
		return false;
	__u32 caplen = start < linear_end ? (__u32)(linear_end - start) : 0;
	__u64 pkt = head + start;
	__u32 wirelen = (__u32)(wire_end - start);
	if (txr_pcap_compiled)
		return (eth ? txr_pcap_jit_eth(pkt, caplen, wirelen) : txr_pcap_jit_raw(pkt, caplen, wirelen)) != 0;
	return txr_pcap_run_prog(prog, pkt, caplen, wirelen) != 0;
}

/* Whether the expression matches the skb whose fields the caller read
 * (txr_pcap_match_skb): off_len = data - head << 32 | len; sizes = data_len
 * << 32 | network_header << 16 | mac_header. A global function, verified
 * once on its own: the compiled expression inlined into a program is
 * verified on every path that reaches it (net_dev_queue's program with one
 * reached the verifier's 1M instructions). Its arguments are scalars, as a
 * global function's must be on 5.10; its frame is small: the verifier up to
 * 6.1 adds the frames of a chain of calls, global ones too, against the
 * 512-byte stack, and the compiled expression's is 160 bytes (pcap_jit.cpp). */
__noinline int txr_pcap_passes(__u64 head, __u64 off_len, __u64 sizes, __u32 how)
{
	__u32 data_off = off_len >> 32, len = (__u32)off_len, data_len = sizes >> 32;
	__u16 nh = (__u16)(sizes >> 16), mh = (__u16)sizes;
	bool eth = how & TXR_PCAP_ETH_HDR, device_stage = how & TXR_PCAP_DEVICE;
	__u32 zero = 0;
	struct txr_pcap_memo *m = (how & TXR_PCAP_MEMO) ? bpf_map_lookup_elem(&txr_pcap_memo, &zero) : NULL;

	if (!m)
		return txr_pcap_eval_view(head, data_off, len, data_len, nh, mh, eth);
	__u32 ip_len = nh != (__u16)~0U && nh >= data_off ? len - (nh - data_off) : len;
	if (device_stage && m->head == head) {
		m->head = 0;
		if (m->ip_len == ip_len)
			return 0; /* rejected at IP level a moment ago */
	}
	if (txr_pcap_eval_view(head, data_off, len, data_len, nh, mh, eth))
		return 1;
	if (!device_stage) {
		m->head = head;
		m->ip_len = ip_len;
	}
	return 0;
}

/* Whether the expression matches the skb as it is here. At a
 * `device_stage` the Ethernet program runs when the skb has an Ethernet
 * header in front of its network header (dev_queue_xmit on Ethernet-like
 * devices); otherwise the DLT_RAW program from the network header. `memo`:
 * a creating stage (txr_pcap_memo). `trusted`: skb is a BTF pointer the
 * program may read directly (tp_btf, cgroup_skb through
 * bpf_cast_to_kern_ctx): plain loads, no helper calls. */
#define TXR_SKB_READ(field) (trusted ? skb->field : BPF_CORE_READ(skb, field))
static __always_inline bool txr_pcap_match_skb(struct sk_buff *skb, bool device_stage, bool trusted, bool memo)
{
	unsigned char *head = TXR_SKB_READ(head), *data = TXR_SKB_READ(data);
	__u32 len = TXR_SKB_READ(len), data_len = TXR_SKB_READ(data_len);
	__u16 nh = TXR_SKB_READ(network_header), mh = TXR_SKB_READ(mac_header);
	__u32 how = (device_stage ? TXR_PCAP_DEVICE : 0) | (memo ? TXR_PCAP_MEMO : 0);

	if (!head || data < head)
		return false;
	if (device_stage && mh != (__u16)~0U && nh != (__u16)~0U && mh + 14 == nh) {
		__u16 type = trusted ? skb->dev->type : BPF_CORE_READ(skb, dev, type);
		if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK)
			how |= TXR_PCAP_ETH_HDR;
	}
	/* The address as a scalar, as the global function takes it: a plain
	 * load gives the verifier a pointer (rdonly_untrusted_mem on 6.18). */
	__u64 head_addr = (__u64)BPF_CORE_READ(skb, head);
	return txr_pcap_passes(head_addr, (__u64)(data - head) << 32 | len,
			       (__u64)data_len << 32 | (__u32)nh << 16 | mh, how);
}

#endif /* __bpf__ */
#endif /* TXRAY_PCAP_FILTER_BPF_H */
