// SPDX-License-Identifier: GPL-2.0
/* txray: per-packet send-path timelines.
 *
 * Every stage of the send path has up to three program variants (fentry,
 * kprobe, tracepoint/hook); user space picks one per stage at start-up and
 * disables the others' autoload (src/bpfload/hook_plan.cpp). Whatever the
 * variant, a stage ends in one of two calls:
 *   - task_stage():  stages before an skb exists (syscall entry, udp_sendmsg,
 *                    route lookup): stamped into the sending thread's txr_send_ctx;
 *   - skb_stage():   stages on an skb: stamped into the packet's txr_packet,
 *                    kept in the sending thread's slot while the thread
 *                    carries it (lib/thread_slot.bpf.h), else in txr_inflight
 *                    keyed by skb address.
 * A packet is created at the first skb stage that sees it, inheriting the
 * thread's syscall context (the UDP path is synchronous), and emitted once,
 * whole, to the ring buffer when it is freed, dropped or handed to a peer.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "txray.h"
#include "syscalls.h"
#include "pcap_filter.bpf.h"
#include "lib/counters.bpf.h"
#include "lib/cpu_state.bpf.h"
#include "lib/link_kind.bpf.h"
#include "lib/log2.bpf.h"
#include "lib/process.bpf.h"
#include "lib/thread_slot.bpf.h"
#include "irq_context.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* A field of a kernel object: a plain load where the verifier knows the
 * pointer's type (tp_btf and fentry arguments, the cgroup skb through
 * bpf_cast_to_kern_ctx: a faulting load reads 0, as a probe read would), a
 * probe read (a helper call) where it does not (kprobe arguments). `trusted`
 * is a constant in each program after inlining; the other branch is gone. */
#define KREAD(trusted, ptr, field) ((trusted) ? (ptr)->field : BPF_CORE_READ(ptr, field))

#define NETDEV_TX_BUSY 0x10
#define IFF_LOOPBACK 0x8
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMP 1
#define IPPROTO_ICMPV6 58
#define NEXTHDR_FRAGMENT 44

/* Filters, set by user space before load (0 / empty: no filter). */
const volatile __u32 f_tgid = 0;
const volatile __u8 f_has_comm = 0;
const volatile char f_comm[TXR_COMM_LEN] = {};
const volatile __u32 f_ifindex = 0;
const volatile __u32 f_ifnetns = 0; /* --iface's namespace: ifindexes are per namespace */
const volatile __u8 f_proto = 0;
const volatile __u16 f_port = 0;
const volatile __u8 f_host_family = 0;
const volatile __u8 f_host[16] = {};
const volatile __u32 sample_every = 0; /* 1 in N sends (and kernel packets) */
const volatile __u8 summary_mode = 0; /* histograms only, no records */
const volatile __u16 snaplen = 0;     /* record --headers: bytes from the IP header */
/* Issue 7 filters: a tcpdump expression (programs in txr_pcap_progs, see
 * pcap_filter.bpf.h), a cgroup v2 subtree (id of the cgroup and its level),
 * a network namespace (inode). */
const volatile __u8 f_pcap = 0;
const volatile __u64 f_cgroup_id = 0;
const volatile __u32 f_cgroup_level = 0;
const volatile __u32 f_netns = 0;
/* bpf_get_current_task_btf() exists (Linux 5.11+); else the thread's fields
 * are read through bpf_get_current_task(). Set by user space. */
const volatile __u8 task_btf = 1;
/* record --no-syscalls: skb stages only; the packet's process is the task
 * that made it (take_current_process, packet.bpf.h). */
const volatile __u8 no_syscalls = 0;
/* kfree_skb passes enum skb_drop_reason (Linux 5.17+). Set by user space. */
const volatile __u8 drop_reasons = 1;

/* The thread's last fd -> socket answer (file_to_inet_sock): the same file,
 * socket and sock again is the same inet socket. */
struct txr_fd_sock {
	__u64 file, sock, sk;
	__u8 proto;
	__u8 pad[7];
};

/* The sending thread's syscall, while it runs. */
struct txr_send_ctx {
	__u64 send_id;
	__u64 enter_ts;
	__u64 msg_ts;       /* start of the current message (sendmmsg) */
	__u64 udp_ts, tcp_ts, route_ts; /* per message */
	__u64 sk;           /* socket the fd refers to */
	__u64 cgroup_id;
	__u64 first_frag_id; /* first packet of the current message */
	/* IP-layer stages of the message's first packet. ip_fragment() runs
	 * after them, so later fragments inherit them (ip_do_fragment sends
	 * each fragment straight to ip_finish_output2). */
	__u64 ip_ts[3]; /* ip_local_out, ip_output, neigh_output */
	__u32 pid, tid;
	__u32 syscall_nr;
	__s32 fd;
	__u32 packets, msgs;
	__u16 sport, dport; /* of the message's first packet, for its fragments */
	char comm[TXR_COMM_LEN];
	__u64 last_key;      /* skb of the packet created last (neighbour wait) */
	__u64 tcp_tx_ts;     /* latest __tcp_transmit_skb in this send */
	__u32 tcp_seq_start; /* tcp_sock.write_seq at entry */
	__u8 proto;
	__u8 active;         /* inside a traced send (the storage outlives it) */
	__u8 first_pending;  /* the message's first packet waits for a later hop's filters */
	__u8 pad[1];
	__u64 uring_req;     /* io_uring: the request (struct io_kiocb) issued */
	/* Last, and kept across sends: send_enter zeroes what comes before. */
	struct txr_fd_sock fd_cache;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} txr_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u64); /* skb address */
	__type(value, struct txr_packet);
} txr_inflight SEC(".maps");
__u64 txr_inflight_entries = 0; /* lib/counted_hash.bpf.h */

/* The packet the current thread carries (lib/thread_slot.bpf.h); spilled into
 * txr_inflight when it may go on elsewhere. */
struct txr_pkt_slot {
	__u64 key; /* skb address; 0: empty */
	__u8 busy;
	/* p ended inside its send and waits for the send's end, to carry the
	 * send's facts (TXR_PF_SEND_FOLDED): one ring record instead of two.
	 * key is 0 then (the skb may be freed and its address reused). */
	__u8 held;
	__u8 held_stage; /* the stage it ended at (lost records are counted by it) */
	__u8 pad[5];
	struct txr_packet p;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct txr_pkt_slot);
} txr_pkt_slots SEC(".maps");

/* Per thread: task storage (freed with the thread; a lookup is a pointer
 * chase from task_struct, and the context, with its fd cache, stays between
 * sends), or, where a loaded program type may not call bpf_task_storage_get
 * (cgroup_skb before 6.18-ish: user space probes), a hash keyed by tid whose
 * entry lives from syscall entry to exit. User space sets which. */
const volatile __u8 sends_in_task_storage = 1;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct txr_send_ctx);
} txr_sends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* 1 when task storage is used */
	__type(key, __u32);         /* tid */
	__type(value, struct txr_send_ctx);
} txr_sends_by_tid SEC(".maps");

/* Scratch space: a txr_packet does not fit the 512-byte stack comfortably.
 * One per nesting level on a CPU (create_packet; the lean summary: one per
 * context level, scratch_packet). */
#define TXR_SCRATCH_NEST 4
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_SCRATCH_NEST);
	__type(key, __u32);
	__type(value, struct txr_packet);
} txr_scratch SEC(".maps");

/* The lean summary's filter record (lean_admit): the entry of this context
 * level (irq_context.bpf.h), so an interrupt does not overwrite a record being
 * filtered. create_packet takes its entry by nesting depth instead; the lean
 * summary never runs create_packet. */
static __always_inline struct txr_packet *scratch_packet(void)
{
	__u32 level = ctx_level();
	return bpf_map_lookup_elem(&txr_scratch, &level);
}

/* The GSO skbs validate_xmit_skb() segmented in software and consumed on this
 * CPU, the latest TXR_GSO_PARENTS (slot: txr_cpu_state.gso_next): their
 * segments reach net_dev_start_xmit next, unknown. A qdisc's bulk dequeue
 * segments all its skbs (validate_xmit_skb_list) before the first segment is
 * sent: several parents, of several sockets, wait at once. */
#define TXR_GSO_PARENTS 32 /* 8 were too few with 9 TCP flows on one queue */

/* A noted parent: its record as it was consumed (ts[FREE]: when), and on a
 * later hop the ports it left that hop with (after NAT: sport << 16 |
 * dport): a forwarded segment has no socket to match it by. */
struct txr_gso_noted {
	struct txr_packet p;
	__u32 hop_ports;
	__u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_GSO_PARENTS);
	__type(key, __u32);
	__type(value, struct txr_gso_noted);
} txr_gso_parent SEC(".maps");

/* The hops of a parent that was segmented on a later hop (a forwarded GSO
 * skb whose next device has no TSO), same slot: each segment gets a copy and
 * goes on from that hop (bpf/hooks/device.bpf.h, gso_segment). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_GSO_PARENTS);
	__type(key, __u32);
	__type(value, struct txr_hops);
} txr_gso_parent_hops SEC(".maps");

#include "agent_metrics.bpf.h"

/* The current thread's packet slot, taken (NULL if it has none or another
 * program of this thread holds it). Made only in create_packet. */
static __always_inline struct txr_pkt_slot *pkt_slot_enter(void)
{
	if (!slots_on)
		return NULL;
	struct txr_pkt_slot *s = bpf_task_storage_get(&txr_pkt_slots, bpf_get_current_task_btf(), 0, 0);
	return slot_take(s);
}

/* The skb's record: in the thread's slot, else in txr_inflight. */
static __always_inline struct txr_packet *find_packet(struct txr_pkt_slot *s, __u64 key)
{
	return slot_find(s, key, p, txr_inflight);
}

/* The slot's packet may go on in another context: into txr_inflight. */
static __always_inline void spill_packet(struct txr_pkt_slot *s)
{
	slot_spill(s, p, txr_inflight);
}

static __always_inline void spill_if_holds(struct txr_pkt_slot *s, __u64 key)
{
	slot_spill_if_holds(s, key, p, txr_inflight);
}

/* The bytes of p that go into the ring: TXR_PACKET_SHORT when its tail is
 * all 0 (most packets: no drop, fragment, TCP, qdisc, BQL or later hop). */
static __always_inline __u32 packet_emit_size(const struct txr_packet *p)
{
	const __u64 *tail = (const void *)p + TXR_PACKET_SHORT;
	__u64 any = 0;
	for (int i = 0; i < (int)((sizeof(*p) - TXR_PACKET_SHORT) / 8); i++)
		any |= tail[i];
	return any ? sizeof(*p) : TXR_PACKET_SHORT;
}

/* A finished record into the ring buffer (counted, lost ones by the stage
 * that ended it). */
static __always_inline void emit_packet(struct txr_packet *p, __u32 stage)
{
	__u32 size = packet_emit_size(p);
	if (bpf_ringbuf_output(&txr_events, p, size, rb_flags(size))) {
		count(TXR_C_LOST_PACKET);
		count(TXR_LOST_STAGE_BASE + (stage < TXR_ST_COUNT ? stage : 0));
	} else {
		count(TXR_C_PACKETS);
	}
}

/* The slot's held record goes out as it is (its send made another packet,
 * or ends without folding it). */
static __always_inline void flush_held(struct txr_pkt_slot *s)
{
	if (s && s->held) {
		s->held = 0;
		emit_packet(&s->p, s->held_stage);
	}
}

/* The code, by concern (each part uses the ones before it): the syscall
 * context, the packet record, the summary, the stages; then the hooks by
 * layer, in the order the kernel runs them. */
#include "tcp_calls.bpf.h"
#include "send_context.bpf.h"
#include "uring_requests.bpf.h"
#include "encap.bpf.h"
#include "packet.bpf.h"
#include "hops.bpf.h"
#include "summary.bpf.h"
#include "packet_stage.bpf.h"
#include "hooks/syscall.bpf.h"
#include "hooks/uring.bpf.h"
#include "hooks/socket.bpf.h"
#include "hooks/route.bpf.h"
#include "hooks/ip.bpf.h"
#include "hooks/device.bpf.h"
#include "hooks/receive.bpf.h"
#include "hooks/end.bpf.h"
