/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared between the BPF programs (txray.bpf.c) and user space: stage ids,
 * the records the kernel side emits, counters and filter settings.
 * Plain C, fixed-width types only: user space includes it without vmlinux.h. */
#ifndef TXRAY_H
#define TXRAY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The stages (enum txr_stage, TXR_ST_COUNT) and what each may do: declared
 * once, in stage_table.h. */
#include "stage_table.h"

/* How a packet's record ended in the kernel. */
enum txr_end {
	TXR_END_FREE = 1,       /* consume_skb */
	TXR_END_DROP,           /* kfree_skb, reason in drop_reason */
	TXR_END_HANDOFF,        /* passed to the receive path (veth, lo) */
	TXR_END_CONSUMED_EARLY, /* freed before reaching a device (replaced by
				 * fragments/segments, or a looped-back copy) */
	TXR_END_EXPIRED,        /* swept by user space: no end seen in time */
};

enum txr_rec_kind {
	TXR_REC_PACKET = 1,
	TXR_REC_SEND = 2,
	TXR_REC_RETRANS = 3,
	TXR_REC_HEADERS = 4,
	TXR_REC_HOPS = 5,
	TXR_REC_LEAN = 6,
};

#define TXR_COMM_LEN 16
#define TXR_IFNAME_LEN 16

/* txr_packet.flags */
#define TXR_PF_FRAGMENT   (1u << 0) /* an IP fragment (v4 MF/offset, v6 frag hdr) */
#define TXR_PF_FRAG_MORE  (1u << 1) /* more fragments follow */
#define TXR_PF_NO_SEND    (1u << 2) /* not made by a traced syscall */
#define TXR_PF_REQUEUED   (1u << 3) /* driver said NETDEV_TX_BUSY at least once */
#define TXR_PF_SAMPLED    (1u << 4)
#define TXR_PF_GSO_SEGMENT (1u << 5) /* made by software GSO from parent_id */
#define TXR_PF_BQL        (1u << 6) /* bql_inflight/bql_limit read at driver_xmit */
#define TXR_PF_MAY_GO_ON  (1u << 7) /* handed to a peer whose receive may send it on */
/* The send's record folded in (no txr_send of its own): the packet was the
 * only one its syscall made and ended inside it; ts[TXR_ST_SENDMSG_RETURN]
 * and send_ret are the send's return. */
#define TXR_PF_SEND_FOLDED (1u << 8)
/* Failed --iface, the flow filters or the expression on its first device but
 * may leave through another: kept, not emitted, until a hop passes them
 * (bpf/hops.bpf.h); never seen by user space. */
#define TXR_PF_PENDING_FILTER (1u << 9)
/* Its current hop was opened at an IP stage after a hand-off's receive (a
 * forward's ip_output, on fentry/kprobe kernels), on the route's device and
 * before POST_ROUTING: its __dev_queue_xmit settles the hop's device, flow
 * and filters (bpf/hops.bpf.h). Never seen by user space. */
#define TXR_PF_HOP_EARLY (1u << 10)
/* Its first device sends the skb on later from a worker, after its
 * ndo_start_xmit returned (WireGuard: wg_xmit queues it, its kworker
 * encrypts it in place and sends it through udp_tunnel_xmit_skb). Never
 * seen by user space. */
#define TXR_PF_WORKER_XMIT (1u << 11)

/* txr_packet.txq_stopped: the TX queue's state right after this packet's
 * ndo_start_xmit (netdev_queue.state, enum netdev_queue_state_t). */
#define TXR_TXQ_DRIVER (1u << 0) /* __QUEUE_STATE_DRV_XOFF: the driver stopped it (ring full) */
#define TXR_TXQ_BQL    (1u << 1) /* __QUEUE_STATE_STACK_XOFF: Byte Queue Limits stopped it */

/* One packet's whole timeline, assembled in the kernel (map txr_inflight)
 * and emitted once when it ends. ts[s] == 0: stage s not seen.
 *
 * Fields most packets leave 0 (drops, fragments, TCP, qdiscs, BQL, hops
 * past the first device, tunnels) are the tail, from `parent_id` on: a
 * record whose tail is all 0 goes into the ring without it
 * (TXR_PACKET_SHORT bytes; emit_packet), and user space reads the missing
 * bytes as 0. The ring's copy is most of a record's emit cost. */
struct txr_packet {
	__u8 kind; /* TXR_REC_PACKET */
	__u8 end;  /* enum txr_end */
	__u8 family; /* 4 or 6 (0: not an IP packet) */
	__u8 proto;  /* IPPROTO_* */
	__u32 flags;
	__u64 id;        /* unique per boot: (per-cpu counter << 8) | cpu */
	__u64 skb;       /* skb address; (skb, id) survives address reuse */
	__u64 send_id;   /* syscall that made it, 0 if none */
	__u64 cgroup_id;
	__u64 sk;        /* owning socket's address, 0 if none */
	__u64 ts[TXR_ST_COUNT];
	__u32 pid, tid;
	__u32 netns;
	__u32 ifindex;
	__u32 len;       /* skb->len when first seen at the device, else first seen */
	__s32 send_ret;  /* TXR_PF_SEND_FOLDED: what the send returned */
	__u16 sport, dport; /* host order */
	__u16 queue;     /* skb->queue_mapping at the driver */
	__u16 gso_segs, gso_size;
	__u16 ethertype; /* skb->protocol, host order (ETH_P_IP, ETH_P_ARP, ...) */
	__u16 end_cpu;   /* the CPU its end ran on (end_ctx != TXR_END_CTX_NONE) */
	__u8 end_ctx;    /* TXR_END_CTX_*: what ran the program that ended it */
	/* Across devices (bpf/hooks/receive.bpf.h): the hop the packet is on
	 * (0: its first device; stages of hops >= 1 are in its txr_hops record,
	 * keyed by id), and whether a veth/lo hand-off passed it to a receive
	 * path (TXR_HOP_*). rx_ts/rx_dev (the tail): the receive that followed
	 * the hand-off (net:netif_receive_skb; rx_dev the latest device it
	 * arrived on, a bridge once passed up), kept until the packet leaves
	 * through another device, is delivered locally or dropped. */
	__u8 hop;
	__u8 hop_state;
	__u8 saddr[16], daddr[16]; /* v4 in the first 4 bytes */
	char comm[TXR_COMM_LEN];
	char ifname[TXR_IFNAME_LEN];
	__u8 icmp_type, icmp_code; /* ICMP/ICMPv6 (not a later fragment) */
	__u8 txq_stopped;  /* TXR_TXQ_* */
	__s32 xmit_rc;     /* ndo_start_xmit return (NETDEV_TX_OK = 0, BUSY = 0x10) */
	/* ---- the tail (see above) ---- */
	__u64 parent_id; /* first fragment of the same datagram, else 0 */
	__u64 drop_site; /* kfree_skb's caller (its `location` argument), 0 if none */
	__u64 rx_ts;
	__u64 rx_dev;
	/* The packet this one carries when a tunnel made a new skb for it
	 * (WireGuard's segments of a GSO skb: bpf/encap.bpf.h), else 0. */
	__u64 encap_of;
	__u32 tcp_seq, tcp_end_seq; /* TCP: [seq, end_seq) incl. SYN/FIN */
	__u32 qdisc_backlog; /* bytes queued in the qdisc when it was enqueued */
	__u32 qdisc_qlen;    /* packets queued, same moment */
	/* The TX queue's Byte Queue Limits at driver_xmit (TXR_PF_BQL): bytes
	 * the driver had queued and not completed before this packet
	 * (dql.num_queued - num_completed), and dql.limit. */
	__u32 bql_inflight, bql_limit;
	__u32 drop_reason; /* enum skb_drop_reason */
	__u32 msg_index;   /* message within the syscall (sendmmsg) */
	__u16 tcp_flags;   /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	__u16 tcp_calls;   /* TCP data: calls its bytes span (tied to the first byte's) */
	__u16 frag_off;    /* fragment offset in bytes */
	__u16 requeues;
};

/* The bytes of a record whose tail is all 0 (struct txr_packet). */
#define TXR_PACKET_SHORT __builtin_offsetof(struct txr_packet, parent_id)
#ifdef __cplusplus
static_assert(TXR_PACKET_SHORT % 8 == 0 && sizeof(struct txr_packet) % 8 == 0, "the tail is whole 8-byte words");
#else
_Static_assert(TXR_PACKET_SHORT % 8 == 0 && sizeof(struct txr_packet) % 8 == 0,
	       "the tail is whole 8-byte words (emit_packet reads it so)");
#endif

/* txr_packet.end_ctx: where its end (TX completion, drop, hand-off) ran. A
 * driver's TX completion runs in its interrupt handler or NAPI poll, on the
 * CPU the interrupt was delivered to, not necessarily the sender's. */
#define TXR_END_CTX_NONE    0 /* not ended in the kernel (in flight at exit) */
#define TXR_END_CTX_UNKNOWN 1 /* ended; the softirq/IRQ hooks are not loaded */
#define TXR_END_CTX_TASK    2
#define TXR_END_CTX_SOFTIRQ 3
#define TXR_END_CTX_HARDIRQ 4

/* txr_packet.hop_state */
#define TXR_HOP_PARKED    1 /* handed off (veth/lo), its receive not seen yet */
#define TXR_HOP_RECEIVING 2 /* in the receive path after a hand-off */
#define TXR_HOP_UPPER     4 /* ... and passed up to another device (rx_dev) */

/* Hops >= 1 of a packet that went on after its first device: emitted (kind
 * TXR_REC_HOPS) right before its txr_packet, only for such packets. hop[k-1]
 * is hop k. A hop's flow is set (has_flow) where its headers differ from the
 * packet's first flow (NAT, encapsulation). */
#define TXR_MAX_HOPS 6
struct txr_hop {
	__u64 ts[TXR_ST_COUNT]; /* stages on this hop, 0: not seen */
	__u32 ifindex, netns;
	char ifname[TXR_IFNAME_LEN];
	__u8 has_flow, family, proto, pad;
	__u16 sport, dport;
	__u8 saddr[16], daddr[16];
};
struct txr_hops {
	__u8 kind;  /* TXR_REC_HOPS */
	__u8 count; /* hops, the first device included */
	__u8 pad[6];
	__u64 id;   /* txr_packet.id */
	struct txr_hop hop[TXR_MAX_HOPS - 1];
};

/* One send syscall, emitted at its exit. */
struct txr_send {
	__u8 kind; /* TXR_REC_SEND */
	__u8 pad[3];
	__u32 syscall_nr; /* __NR_sendto, ... */
	__u64 send_id;
	__u64 enter_ts, exit_ts;
	__s64 ret;
	__u32 pid, tid;
	__u32 packets; /* packets this syscall created that txray followed */
	__u32 msgs;    /* messages completed (sock_send_length) */
	__s32 fd;
	__u32 pad2;
	char comm[TXR_COMM_LEN];
	__u64 sk;
	__u32 tcp_seq_start, tcp_seq_end; /* TCP: write_seq at entry and exit */
	__u8 proto;                       /* socket's protocol */
	__u8 pad3[7];
};

/* record --headers: the packet's first bytes from its IP header on, taken when
 * its record is created (emitted then, before the packet's own record). */
#define TXR_SNAPLEN_MAX 256
struct txr_headers {
	__u8 kind; /* TXR_REC_HEADERS */
	__u8 pad;
	__u16 len; /* bytes valid in data */
	__u32 pad2;
	__u64 id;  /* txr_packet.id */
	__u8 data[TXR_SNAPLEN_MAX];
};

/* tcp_retransmit_skb: the segment [seq, end_seq) of socket sk went out again. */
struct txr_retrans {
	__u8 kind; /* TXR_REC_RETRANS */
	__u8 pad[7];
	__u64 sk;
	__u64 ts;
	__u32 seq, end_seq;
};

/* Counters (per-cpu array txr_counters, summed by user space). */
enum txr_counter {
	TXR_C_LOST_PACKET = 0,   /* ring buffer full: packet records lost */
	TXR_C_LOST_SEND,         /* ring buffer full: send records lost */
	TXR_C_INFLIGHT_FULL,     /* txr_inflight full, or programs nested deeper than
				  * TXR_SCRATCH_NEST on a CPU: packet not followed */
	TXR_C_SENDS_FULL,        /* no send context (storage allocation failed, or txr_sends_by_tid full) */
	TXR_C_PACKETS,           /* packet records emitted */
	TXR_C_SENDS,             /* send records emitted */
	TXR_C_FILTERED,          /* packets rejected by a filter at creation */
	TXR_C_DROPS,             /* packets that ended in kfree_skb */
	TXR_C_SPILLED,           /* packets moved from their thread's slot to the
				  * in-flight hash (lib/thread_slot.bpf.h) */
	TXR_C_UNSELECTED,        /* records not emitted: --slower-than/--drops-only left them out */
	TXR_C_IF_OTHER,          /* packets counted under ifname "other": interface slots full */
	TXR_C_CGROUP_FULL,       /* --by cgroup: packets counted as cgroup "other": txr_cgroups full */
	TXR_C_SUPERSEDED,        /* records emitted unfinished: their skb's address came back as
				  * another packet or skb before their end was seen
				  * (packet_stage.bpf.h superseded, hooks/end.bpf.h) */
	TXR_C_FOLDED,            /* sends folded into their only packet's record (TXR_PF_SEND_FOLDED) */
	TXR_C_RECEIVE_UNSEEN,    /* packets handed off while the receive hooks were detached (no
				  * hand-off for seconds, bpf/hops.bpf.h park): followed without
				  * their receive */
	TXR_C_COUNT,
};
/* Lost packet records are also counted per stage (the stage that emits). */
/* Lean summary mode: a packet in flight (txr_lean_inflight, keyed by skb). */
struct txr_lean {
	__u64 first; /* first stage seen */
	__u64 prev;  /* latest stage seen */
	__u64 out;   /* to the driver (its return), handed off, or dropped */
	__u32 seen;  /* stages stamped: bit per stage, first time wins */
	__u8 handoff;
	__u8 ifslot; /* interface slot (agent_metrics.bpf.h); TXR_IF_UNSET until a device is seen */
	__u8 last;   /* latest stage stamped (the drop's stage) */
	__u8 pending; /* failed the device filters so far: not counted (lean_admit) */
	__u64 cgroup_id; /* --by cgroup or lean_select: the socket's cgroup v2 id (0: none) */
	/* lean_select only (the agent's capture without syscall hooks): what the
	 * record of a selected packet needs, taken as it goes (lean_take_facts,
	 * lean_stage). Each stage's time as an offset from `first`, saturated
	 * at ~4.29 s (`prev` and `out` stay exact). */
	__u32 ts_off[TXR_ST_COUNT];
	__u32 pid, tid;      /* the task that made it (0: the kernel's, a softirq's) */
	char comm[TXR_COMM_LEN];
	__u64 dev;           /* the net_device it is on, named when it is emitted */
	__u64 sk;
	__u32 len;           /* skb->len at its first device, else when made */
	__u32 netns;         /* the socket's, else the device's */
	__u16 sport, dport;  /* host order */
	__u8 family, proto;
	__u8 icmp_type, icmp_code;
	__u8 saddr[16], daddr[16];
	__u16 ethertype;     /* skb->protocol, host order */
	__u8 pad2[6];
};

/* The agent's capture on the lean state (lean_select): a selected packet's
 * state as its end left it, with what only its end knew. User space makes
 * the packet's record from it (src/collector/lean_record.cpp), as from one
 * it sweeps unfinished. */
struct txr_lean_record {
	__u8 kind;        /* TXR_REC_LEAN */
	__u8 end;         /* enum txr_end */
	__u8 end_ctx;     /* TXR_END_CTX_* */
	__u8 pad;
	__u32 drop_reason;
	__u64 id;
	__u64 skb;
	__u32 ifindex;
	__u16 end_cpu;
	__u16 pad2;
	char ifname[TXR_IFNAME_LEN];
	struct txr_lean l;
};

#define TXR_LOST_STAGE_BASE ((int)TXR_C_COUNT)
#define TXR_COUNTERS ((int)TXR_C_COUNT + (int)TXR_ST_COUNT)

/* Summary mode (txray live --summary): no per-packet records; per-stage
 * histograms of log2(ns since the previous stage) in a per-cpu array of
 * (TXR_ST_COUNT + 1) rows: row s = stage s, row TXR_HIST_E2E = end to end. */
#define TXR_HIST_BUCKETS 48
#define TXR_HIST_E2E TXR_ST_COUNT
#define TXR_HIST_SLOTS ((TXR_ST_COUNT + 1) * TXR_HIST_BUCKETS)

/* Per-interface summary (txray agent, bpf/agent_metrics.bpf.h). The
 * histogram map holds one row per (interface slot, row): key
 * slot * TXR_HIST_ROWS + row. Slot 0 is "other": a device beyond the first
 * TXR_IF_SLOTS - 1 the kernel saw, or a packet that reached none. */
#define TXR_IF_SLOTS 16
#define TXR_IF_UNSET 0xff
#define TXR_HIST_ROWS (TXR_ST_COUNT + 1)
struct txr_hist_row {
	__u64 buckets[TXR_HIST_BUCKETS]; /* bucket b: [2^b, 2^(b+1)) ns */
	__u64 sum_ns;                    /* sum of the deltas counted */
};
/* A device the kernel gave a slot (global txr_ifaces[slot]); key 0: free. */
struct txr_iface {
	__u64 key;     /* net_device address (lean) or netns << 32 (records) */
	__u32 ifindex;
	__u32 pad;
	char name[TXR_IFNAME_LEN]; /* at first sight */
};
/* Packets per (slot, outcome): key slot * 2 + dropped. */
#define TXR_OUTCOME_SLOTS (TXR_IF_SLOTS * 2)
/* Drops per (stage before the drop, reason): key stage * TXR_DROP_REASONS +
 * reason; reasons beyond the table are counted at TXR_DROP_REASONS - 1. */
#define TXR_DROP_REASONS 256
#define TXR_DROP_SLOTS (TXR_ST_COUNT * TXR_DROP_REASONS)
/* Failed sends per errno (summary with syscalls); the last counts the rest. */
#define TXR_ERRNOS 256

/* --by cgroup (txray agent): packets and the end-to-end histogram per
 * (cgroup v2 id, interface slot), in a bounded per-CPU hash (txr_cgroups);
 * when it is full, per slot in txr_cgroup_other (counted: TXR_C_CGROUP_FULL).
 * User space removes the entries of cgroups that no longer exist. */
#define TXR_CGROUP_ENTRIES 256
struct txr_cgroup_key {
	__u64 cgroup_id;
	__u32 ifslot;
	__u32 pad;
};
struct txr_cgroup_row {
	__u64 packets[2]; /* sent, dropped */
	struct txr_hist_row e2e;
};

#endif /* TXRAY_H */
