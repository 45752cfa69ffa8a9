// SPDX-License-Identifier: GPL-2.0
// VM toolchain probe: the same CO-RE object carries an fentry and a kprobe
// program on udp_sendmsg. The loader enables one at a time (autoload), so a
// failure of one hook type cannot hide the other.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

// Set by the loader before load (rodata).
const volatile __u32 target_tgid = 0;
const volatile __u16 target_dport = 0; // network byte order

// Read by the loader through the mmapped .bss.
__u64 hits = 0;
__u64 bytes = 0;
__u64 other = 0; // calls from our tgid that did not match the port

static __always_inline void account(__u16 dport, __u64 len)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid != target_tgid)
		return;
	if (dport != target_dport) {
		__sync_fetch_and_add(&other, 1);
		return;
	}
	__sync_fetch_and_add(&hits, 1);
	__sync_fetch_and_add(&bytes, len);
}

// fentry: typed BTF arguments; the field access is a CO-RE relocation
// (vmlinux.h marks the types with preserve_access_index).
SEC("fentry/udp_sendmsg")
int BPF_PROG(on_fentry, struct sock *sk, struct msghdr *msg, size_t len)
{
	account(sk->__sk_common.skc_dport, len);
	return 0;
}

// kprobe: raw pt_regs; same field read through BPF_CORE_READ.
SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(on_kprobe, struct sock *sk, struct msghdr *msg, size_t len)
{
	account(BPF_CORE_READ(sk, __sk_common.skc_dport), len);
	return 0;
}
