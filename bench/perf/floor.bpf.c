// SPDX-License-Identifier: GPL-2.0
/* The floor of the overhead benchmark: empty programs on the hooks txray uses
 * on a kernel without fentry/kprobes (see `txray doctor`). What is left when
 * these run is the cost of having a BPF program on each hook at all. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define EMPTY_SYS(name)                                                                  \
	SEC("tp/syscalls/sys_enter_" #name)                                              \
	int floor_enter_##name(void *ctx) { return 0; }                                  \
	SEC("tp/syscalls/sys_exit_" #name)                                               \
	int floor_exit_##name(void *ctx) { return 0; }

EMPTY_SYS(sendto)
EMPTY_SYS(sendmsg)
EMPTY_SYS(sendmmsg)
EMPTY_SYS(write)
EMPTY_SYS(writev)

#define EMPTY_TP(tp)                                                                     \
	SEC("tp_btf/" #tp)                                                               \
	int BPF_PROG(floor_##tp) { return 0; }

EMPTY_TP(sock_send_length)
EMPTY_TP(tcp_sendmsg_locked)
EMPTY_TP(fib_table_lookup)
EMPTY_TP(fib6_table_lookup)
EMPTY_TP(net_dev_queue)
EMPTY_TP(qdisc_enqueue)
EMPTY_TP(qdisc_dequeue)
EMPTY_TP(net_dev_start_xmit)
EMPTY_TP(netif_rx)
EMPTY_TP(net_dev_xmit)
EMPTY_TP(consume_skb)
EMPTY_TP(kfree_skb)

/* Attached to the cgroup2 root by the loader; allows everything. */
SEC("cgroup_skb/egress")
int floor_cgroup_egress(struct __sk_buff *skb) { return 1; }
