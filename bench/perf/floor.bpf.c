// SPDX-License-Identifier: GPL-2.0
/* The floor of the overhead benchmark: empty programs on the hooks txray uses
 * on a kernel without fentry/kprobes (see `txray doctor`). What is left when
 * these run is the cost of having a BPF program on each hook at all.
 *
 * With `stamp` set (txray-floor --clock) the programs that stamp a sendto
 * datagram over veth in txray read the clock once each and keep the time, as
 * txray does: syscall entry and exit, the message's first route lookup, cgroup
 * egress, net_dev_queue, net_dev_start_xmit, netif_rx, net_dev_xmit (and the
 * qdisc stages, which veth does not run): 8 reads per packet. The hooks plus
 * the timestamps: the least that per-stage timing can cost here.
 *
 * Every tracepoint and program hook of the stage table (bpf/stage_table.h)
 * has its program here: bench/perf/floor_hooks_test.cpp fails otherwise. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u8 stamp = 0;

struct floor_cpu {
	__u64 ts;            /* the last time read, kept so that the read stays */
	__u64 route_pending; /* a send entered; its first route lookup stamps */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_cpu);
} floor_cpu SEC(".maps");

static __always_inline struct floor_cpu *cpu_state(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&floor_cpu, &zero);
}

static __always_inline void keep_time(__u64 route_pending)
{
	struct floor_cpu *c = stamp ? cpu_state() : NULL;
	if (!c)
		return;
	c->ts = bpf_ktime_get_ns();
	c->route_pending = route_pending;
}

/* fib_table_lookup fires ~6 times per datagram here; txray stamps the first. */
static __always_inline void keep_route_time(void)
{
	struct floor_cpu *c = stamp ? cpu_state() : NULL;
	if (!c || !c->route_pending)
		return;
	c->ts = bpf_ktime_get_ns();
	c->route_pending = 0;
}

#define SYS_PAIR(name)                                                                  \
	SEC("tp/syscalls/sys_enter_" #name)                                              \
	int floor_enter_##name(void *ctx) { keep_time(1); return 0; }                    \
	SEC("tp/syscalls/sys_exit_" #name)                                               \
	int floor_exit_##name(void *ctx) { keep_time(0); return 0; }

/* Every send syscall txray follows (bpf/syscalls.h). */
#define FLOOR_SYS_PAIR(name, fd) SYS_PAIR(name)
TXR_SEND_SYSCALLS(FLOOR_SYS_PAIR)

#define EMPTY_TP(tp)                                                                     \
	SEC("tp_btf/" #tp)                                                               \
	int BPF_PROG(floor_##tp) { return 0; }
#define STAMP_TP(tp)                                                                     \
	SEC("tp_btf/" #tp)                                                               \
	int BPF_PROG(floor_##tp) { keep_time(0); return 0; }
#define ROUTE_TP(tp)                                                                     \
	SEC("tp_btf/" #tp)                                                               \
	int BPF_PROG(floor_##tp) { keep_route_time(); return 0; }

EMPTY_TP(sock_send_length)
EMPTY_TP(tcp_sendmsg_locked)
ROUTE_TP(fib_table_lookup)
ROUTE_TP(fib6_table_lookup)
STAMP_TP(net_dev_queue)
STAMP_TP(qdisc_enqueue)
STAMP_TP(qdisc_dequeue)
STAMP_TP(net_dev_start_xmit)
STAMP_TP(netif_rx)
STAMP_TP(net_dev_xmit)
EMPTY_TP(consume_skb) /* the datagram's record ended at net_dev_xmit (veth) */
EMPTY_TP(kfree_skb)
/* After a veth hand-off: the receive, and the local socket's cgroup ingress
 * (where txray decides the packet was delivered, not forwarded). */
EMPTY_TP(netif_receive_skb)
/* Not on a UDP datagram's path over veth, but txray attaches them too. */
EMPTY_TP(neigh_event_send_done)
EMPTY_TP(tcp_retransmit_skb)
/* Each CPU's interrupt flags (bpf/irq_context.bpf.h), with the syscall stage. */
EMPTY_TP(softirq_entry)
EMPTY_TP(softirq_exit)
EMPTY_TP(irq_handler_entry)
EMPTY_TP(irq_handler_exit)
/* io_uring's sends (bpf/hooks/uring.bpf.h): not on a datagram's path from
 * sendto, but txray attaches them too. */
EMPTY_TP(io_uring_submit_req)
EMPTY_TP(io_uring_poll_arm)
EMPTY_TP(io_uring_queue_async_work)
/* Before 6.3 the submission is io_uring_submit_sqe (read as a classic
 * tracepoint, as txray does): not loaded where tracefs lacks it. */
SEC("tp/io_uring/io_uring_submit_sqe")
int floor_io_uring_submit_sqe(void *ctx) { return 0; }
SEC("tp/io_uring/io_uring_file_get")
int floor_io_uring_file_get(void *ctx) { return 0; }
SEC("tp/io_uring/io_uring_complete")
int floor_io_uring_complete(void *ctx) { return 0; }
SEC("tp/syscalls/sys_exit_io_uring_enter")
int floor_exit_io_uring_enter(void *ctx) { return 0; }

/* Attached to the cgroup2 root by the loader; allows everything. */
SEC("cgroup_skb/egress")
int floor_cgroup_egress(struct __sk_buff *skb)
{
	keep_time(0);
	return 1;
}

SEC("cgroup_skb/ingress")
int floor_cgroup_ingress(struct __sk_buff *skb)
{
	return 1;
}
