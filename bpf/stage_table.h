/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The send-path stages: the one place they are declared. Plain C with no
 * includes, read by the BPF objects (enum txr_stage, the stages that may create
 * a packet) and by C++ (txray::Stage and its names, the hook plan, the lean
 * summary's stages, the GUI palette, the docs' stage tables, which a test
 * compares with this table: tests/core/stage_table_test.cpp).
 *
 * A new stage: one row here (in kernel order; ids are positions, and the trace
 * format names stages, so a row may go anywhere), its BPF hook (bpf/txray.bpf.c),
 * and a test. The docs tables follow (the test prints the rows they need).
 *
 * X(ID, name, layer, creates, lean, colour, hooks, description)
 *   ID          TXR_ST_<ID> in BPF
 *   name        the trace format's name, txray::Stage::<name> in C++
 *   layer       TXR_LAYER_<layer>: where in the stack it sits
 *   creates     1: the first stage that sees a packet may create its record
 *   lean        1: kept by the lean `live --summary` (0: needs the sending
 *               thread's syscall context, only with --syscalls)
 *   colour      0xRRGGBB: the GUI's colour of the time after this stage
 *   hooks       the candidate hooks, best first, as a parenthesised list of
 *               HOOK_* items (expanded in src/bpfload/hook_plan.cpp only):
 *                 HOOK_FK(stem, function)   fentry txr_fentry_<stem> and
 *                                           kprobe txr_kprobe_<stem> on function
 *                 HOOK_FK_OPT(stem, function)  the same, optional (IPv6 twin)
 *                 HOOK_TP(prog, target) / HOOK_TP_OPT(prog, target)
 *                     a tracepoint program: target "category/event" (tracefs)
 *                     or a raw tracepoint name (tp_btf)
 *                 HOOK_CGROUP(prog)         cgroup_skb/egress program
 *                 HOOK_CGROUP_OPT(prog)     an optional cgroup_skb/ingress
 *                                           program beside a tracepoint
 *                 HOOK_FK_ELSE(stem, function)  its stand-in where it does
 *                                           not load: fentry, else kprobe
 *                                           (txr_{fentry,kprobe}_<stem>)
 *                 HOOK_NOTE("...")          where the tracepoint/program hook
 *                                           really sits, when it differs
 *                 HOOK_NONE("...")          why there is no fallback hook
 *   description one line: the kernel point it stands for
 */
#ifndef TXRAY_STAGE_TABLE_H
#define TXRAY_STAGE_TABLE_H

/* Where a stage sits (bpf/README: hooks are grouped by these). */
#define TXR_LAYER_TABLE(X) \
	X(SYSCALL, syscall)    \
	X(SOCKET, socket)      \
	X(ROUTE, route)        \
	X(IP, ip)              \
	X(NEIGH, neigh)        \
	X(DEVICE, device)      \
	X(QDISC, qdisc)        \
	X(DRIVER, driver)      \
	X(END, end)

#define TXR_STAGE_TABLE(X)                                                                                     \
	X(SENDMSG, sendmsg, SYSCALL, 0, 0, 0x4e79a7,                                                           \
	  (HOOK_TP(txr_enter_sendto, "syscalls/sys_enter_sendto"),                                             \
	   HOOK_TP(txr_enter_sendmsg, "syscalls/sys_enter_sendmsg"),                                           \
	   HOOK_TP_OPT(txr_enter_sendmmsg, "syscalls/sys_enter_sendmmsg"),                                     \
	   HOOK_TP_OPT(txr_enter_write, "syscalls/sys_enter_write"),                                           \
	   HOOK_TP_OPT(txr_enter_writev, "syscalls/sys_enter_writev"),                                         \
	   HOOK_TP_OPT(txr_enter_sendfile64, "syscalls/sys_enter_sendfile64"),                                 \
	   HOOK_TP_OPT(txr_enter_splice, "syscalls/sys_enter_splice"),                                         \
	   /* io_uring's send operations, at their submission (bpf/hooks/uring.bpf.h) */                     \
	   HOOK_TP_OPT(txr_tp_io_uring_submit_req, "io_uring_submit_req"),                                     \
	   HOOK_TP_OPT(txr_tp_io_uring_submit_sqe, "io_uring/io_uring_submit_sqe"), /* before 6.3 */           \
	   HOOK_TP_OPT(txr_tp_io_uring_poll_arm, "io_uring_poll_arm"),                                         \
	   HOOK_TP_OPT(txr_tp_io_uring_queue_async_work, "io_uring_queue_async_work"),                         \
	   HOOK_TP_OPT(txr_tp_io_uring_file_get, "io_uring/io_uring_file_get"),                                \
	   /* message boundaries within sendmmsg (sock_sendmsg_nosec) */                                       \
	   HOOK_TP_OPT(txr_tp_sock_send_length, "sock_send_length"),                                           \
	   /* not a stage: marks TCP retransmissions (user space links them) */                               \
	   HOOK_TP_OPT(txr_tp_tcp_retransmit_skb, "tcp_retransmit_skb"),                                       \
	   /* not stages: tell an interrupt from the sending thread (irq_context.bpf.h) */                     \
	   HOOK_TP_OPT(txr_tp_softirq_entry, "softirq_entry"),                                                 \
	   HOOK_TP_OPT(txr_tp_softirq_exit, "softirq_exit"),                                                   \
	   HOOK_TP_OPT(txr_tp_irq_handler_entry, "irq_handler_entry"),                                         \
	   HOOK_TP_OPT(txr_tp_irq_handler_exit, "irq_handler_exit")),                                          \
	  "syscall entry (sendto, sendmsg, sendmmsg, write, writev, sendfile, splice; an io_uring send's submission)")                                          \
	X(UDP_SENDMSG, udp_sendmsg, SOCKET, 0, 0, 0x6baed6,                                                    \
	  (HOOK_FK(udp_sendmsg, udp_sendmsg), HOOK_FK_OPT(udpv6_sendmsg, udpv6_sendmsg),                       \
	   HOOK_NONE("no tracepoint in udp_sendmsg")),                                                         \
	  "`udp_sendmsg` / `udpv6_sendmsg` entry")                                                                 \
	X(TCP_SENDMSG, tcp_sendmsg, SOCKET, 0, 0, 0x3182bd,                                                    \
	  (HOOK_FK(tcp_sendmsg, tcp_sendmsg), HOOK_TP(txr_tp_tcp_sendmsg_locked, "tcp_sendmsg_locked")),       \
	  "`tcp_sendmsg` entry (the write queued on the socket)")                                                \
	X(TCP_TRANSMIT_SKB, tcp_transmit_skb, SOCKET, 0, 0, 0x9ecae1,                                          \
	  (HOOK_FK(tcp_transmit_skb, __tcp_transmit_skb), HOOK_NONE("no tracepoint in __tcp_transmit_skb")),   \
	  "`__tcp_transmit_skb`: TCP clones the queued skb and sends the clone")                                 \
	X(ROUTE, route, ROUTE, 0, 0, 0x59a14f,                                                                 \
	  (HOOK_FK(ip_route_output_flow, ip_route_output_flow),                                                \
	   HOOK_FK_OPT(ip6_dst_lookup_flow, ip6_dst_lookup_flow),                                              \
	   HOOK_TP(txr_tp_fib_table_lookup, "fib_table_lookup"),                                               \
	   HOOK_TP_OPT(txr_tp_fib6_table_lookup, "fib6_table_lookup"),                                         \
	   HOOK_NOTE("FIB lookup; a connected socket's cached route makes none")),                            \
	  "output route lookup")                                                                               \
	X(IP_LOCAL_OUT, ip_local_out, IP, 1, 1, 0x8cd17d,                                                      \
	  (HOOK_FK(ip_local_out, __ip_local_out), HOOK_FK_OPT(ip6_local_out, __ip6_local_out),                 \
	   HOOK_NONE("no tracepoint before netfilter LOCAL_OUT")),                                             \
	  "`__ip_local_out`: before netfilter LOCAL_OUT")                                                        \
	X(IP_OUTPUT, ip_output, IP, 1, 1, 0x2c7d3a,                                                            \
	  (HOOK_FK(ip_output, ip_output), HOOK_FK_OPT(ip6_output, ip6_output),                                 \
	   HOOK_CGROUP(txr_cgroup_egress), HOOK_NOTE("in ip_finish_output, after POST_ROUTING")),              \
	  "`ip_output`: before netfilter POST_ROUTING")                                                          \
	X(NEIGH_OUTPUT, neigh_output, NEIGH, 1, 1, 0x499894,                                                   \
	  (HOOK_FK(ip_finish_output2, ip_finish_output2), HOOK_FK_OPT(ip6_finish_output2, ip6_finish_output2), \
	   HOOK_NONE("no tracepoint in ip_finish_output2")),                                                   \
	  "`ip_finish_output2`: neighbour lookup and output")                                                    \
	X(NEIGH_RESOLVE, neigh_resolve, NEIGH, 0, 1, 0x86bcb6,                                                 \
	  (HOOK_FK(neigh_resolve_output, neigh_resolve_output),                                                \
	   HOOK_TP(txr_tp_neigh_event_send_done, "neigh_event_send_done"),                                     \
	   HOOK_NOTE("__neigh_event_send queued it; sending thread only")),                                    \
	  "`neigh_resolve_output`: ARP/ND had to resolve (the packet may wait)")                                 \
	X(DEV_QUEUE_XMIT, dev_queue_xmit, DEVICE, 1, 1, 0xf28e2b,                                              \
	  (HOOK_FK(dev_queue_xmit, __dev_queue_xmit), HOOK_TP(txr_tp_net_dev_queue, "net_dev_queue"),          \
	   HOOK_NOTE("after tc egress and txq pick")),                                                         \
	  "`__dev_queue_xmit`")                                                                                  \
	X(QDISC_ENQUEUE, qdisc_enqueue, QDISC, 0, 1, 0xffbe7d,                                                 \
	  (HOOK_TP(txr_tp_qdisc_enqueue, "qdisc_enqueue"), HOOK_NOTE("only when the qdisc accepted it")),      \
	  "the qdisc accepted the packet")                                                                     \
	X(QDISC_DEQUEUE, qdisc_dequeue, QDISC, 0, 1, 0xd37295, (HOOK_TP(txr_tp_qdisc_dequeue, "qdisc_dequeue")), \
	  "the qdisc handed the packet on")                                                                    \
	X(DRIVER_XMIT, driver_xmit, DRIVER, 0, 1, 0xb07aa1,                                                    \
	  (HOOK_TP(txr_tp_net_dev_start_xmit, "net_dev_start_xmit")), "`ndo_start_xmit` entry")                  \
	X(NETIF_RX, netif_rx, DRIVER, 0, 1, 0xd4a6c8,                                                          \
	  (HOOK_TP(txr_tp_netif_rx, "netif_rx"), HOOK_NOTE("veth/loopback only")),                            \
	  "veth/loopback handed the skb to the receive path")                                                  \
	X(XMIT_DONE, xmit_done, DRIVER, 0, 1, 0xedc948, (HOOK_TP(txr_tp_net_dev_xmit, "net_dev_xmit")),        \
	  "the driver returned (its return code kept)")                                                        \
	X(NETIF_RECEIVE, netif_receive, DEVICE, 0, 0, 0x76b7b2,                                                \
	  (HOOK_TP(txr_tp_netif_receive_skb, "netif_receive_skb"),                                             \
	   /* not a stage: ends a handed-off packet delivered to a local socket */                            \
	   HOOK_CGROUP_OPT(txr_cgroup_ingress),                                                                 \
	   /* before 6.2 (no bpf_cast_to_kern_ctx): the function that runs it */                             \
	   HOOK_FK_ELSE(sk_filter, sk_filter_trim_cap),                                                         \
	   HOOK_NOTE("after a veth/lo hand-off; on the hop it goes on to; detached after 5 s without one")),  \
	  "after a veth/loopback hand-off: the receive path took the skb (backlog, softirq)")                  \
	X(FREE, free, END, 0, 1, 0x9d9d9d, (HOOK_TP(txr_tp_consume_skb, "consume_skb")),                        \
	  "`consume_skb`: TX completion")                                                                        \
	X(DROP, drop, END, 0, 1, 0xe15759, (HOOK_TP(txr_tp_kfree_skb, "kfree_skb")),                            \
	  "`kfree_skb` with the kernel's drop reason")                                                           \
	X(SENDMSG_RETURN, sendmsg_return, SYSCALL, 0, 0, 0xbcbd22,                                             \
	  (HOOK_TP(txr_exit_sendto, "syscalls/sys_exit_sendto"),                                               \
	   HOOK_TP(txr_exit_sendmsg, "syscalls/sys_exit_sendmsg"),                                             \
	   HOOK_TP_OPT(txr_exit_sendmmsg, "syscalls/sys_exit_sendmmsg"),                                       \
	   HOOK_TP_OPT(txr_exit_write, "syscalls/sys_exit_write"),                                             \
	   HOOK_TP_OPT(txr_exit_writev, "syscalls/sys_exit_writev"),                                           \
	   HOOK_TP_OPT(txr_exit_sendfile64, "syscalls/sys_exit_sendfile64"),                                   \
	   HOOK_TP_OPT(txr_exit_splice, "syscalls/sys_exit_splice"),                                           \
	   /* io_uring sends: the request's completion, the submission's end */                               \
	   HOOK_TP_OPT(txr_tp_io_uring_complete, "io_uring/io_uring_complete"),                                \
	   HOOK_TP_OPT(txr_exit_io_uring_enter, "syscalls/sys_exit_io_uring_enter")),                          \
	  "syscall exit: what it returned (an io_uring send: its completion)")

/* Derived in C and C++ alike. */
enum txr_layer {
#define TXR_X_LAYER_ENUM(ID, name) TXR_LAYER_##ID,
	TXR_LAYER_TABLE(TXR_X_LAYER_ENUM)
#undef TXR_X_LAYER_ENUM
};

/* Stages in the order the kernel runs them. The numeric value indexes
 * txr_packet.ts[]. */
enum txr_stage {
#define TXR_X_STAGE_ENUM(ID, name, layer, creates, lean, colour, hooks, desc) TXR_ST_##ID,
	TXR_STAGE_TABLE(TXR_X_STAGE_ENUM)
#undef TXR_X_STAGE_ENUM
	TXR_ST_COUNT,
};

/* Bit masks over stage ids: the stages that may create a packet's record, and
 * those the lean summary keeps. */
#define TXR_X_CREATES_BIT(ID, name, layer, creates, lean, colour, hooks, desc) | ((creates) ? 1u << TXR_ST_##ID : 0u)
#define TXR_CREATING_STAGES (0u TXR_STAGE_TABLE(TXR_X_CREATES_BIT))
#define TXR_X_LEAN_BIT(ID, name, layer, creates, lean, colour, hooks, desc) | ((lean) ? 1u << TXR_ST_##ID : 0u)
#define TXR_LEAN_STAGES (0u TXR_STAGE_TABLE(TXR_X_LEAN_BIT))

#endif /* TXRAY_STAGE_TABLE_H */
