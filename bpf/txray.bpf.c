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
 *                    carries it (thread_slot.bpf.h), else in txr_inflight
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
#include "pcap_filter.bpf.h"
#include "thread_slot.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define NETDEV_TX_BUSY 0x10
#define IFF_LOOPBACK 0x8
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define NEXTHDR_FRAGMENT 44
#define NR_SENDMMSG 307 /* x86_64 */

/* Filters, set by user space before load (0 / empty: no filter). */
const volatile __u32 f_tgid = 0;
const volatile __u8 f_has_comm = 0;
const volatile char f_comm[TXR_COMM_LEN] = {};
const volatile __u32 f_ifindex = 0;
const volatile __u8 f_proto = 0;
const volatile __u16 f_port = 0;
const volatile __u8 f_host_family = 0;
const volatile __u8 f_host[16] = {};
const volatile __u32 sample_every = 0; /* 1 in N sends (and kernel packets) */
const volatile __u8 summary_mode = 0; /* histograms only, no records */
const volatile __u16 snaplen = 0;     /* record --headers: bytes from the IP header */
const volatile __u64 wakeup_bytes = 256 * 1024; /* per CPU, see rb_flags() */
/* Issue 7 filters: a tcpdump expression (programs in txr_pcap_progs, see
 * pcap_filter.bpf.h), a cgroup v2 subtree (id of the cgroup and its level),
 * a network namespace (inode). */
const volatile __u8 f_pcap = 0;
const volatile __u64 f_cgroup_id = 0;
const volatile __u32 f_cgroup_level = 0;
const volatile __u32 f_netns = 0;

/* The thread's last fd -> socket answer (fd_to_inet_sock): the same file,
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
	__u8 pad[2];
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

/* The packet the current thread carries (thread_slot.bpf.h); spilled into
 * txr_inflight when it may go on elsewhere. */
struct txr_pkt_slot {
	__u64 key; /* skb address; 0: empty */
	__u8 busy;
	__u8 pad[7];
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} txr_counters SEC(".maps");

/* Scratch space: a txr_packet does not fit the 512-byte stack comfortably. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_packet);
} txr_scratch SEC(".maps");

/* The GSO skb validate_xmit_skb() just segmented in software and consumed on
 * this CPU: its segments reach net_dev_start_xmit next, unknown. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_packet);
} txr_gso_parent SEC(".maps");

/* What each CPU alone writes: its packet and send id counter, and the ring
 * buffer bytes it reserved since it last asked for a wakeup (rb_flags()). */
struct txr_cpu_state {
	__u64 ids;
	__u64 unwoken;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_cpu_state);
} txr_cpu SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&txr_counters, &which);
	if (c)
		*c += 1;
}

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
	return slot_find(s, key, p, &txr_inflight);
}

/* The slot's packet may go on in another context: into txr_inflight. */
static __always_inline void spill_packet(struct txr_pkt_slot *s)
{
	slot_spill(s, p, &txr_inflight);
}

static __always_inline void spill_if_holds(struct txr_pkt_slot *s, __u64 key)
{
	slot_spill_if_holds(s, key, p, &txr_inflight);
}

/* Unique per boot without a shared cache line: (per-cpu counter << 8) | cpu. */
static __always_inline __u64 next_id(void)
{
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return 0;
	c->ids += 1;
	return (c->ids << 8) | (bpf_get_smp_processor_id() & 0xff);
}

/* No wakeup per record: user space drains on a timer (100 ms), and each CPU
 * asks for a wakeup once it has reserved another `wakeup_bytes` (user space
 * sizes it so that all CPUs' shares together are at most a quarter of the
 * ring: a wakeup comes well before the ring fills, src/bpfload/session.cpp). A
 * forced wakeup is an irq_work (a self-IPI: a VM exit on KVM), so asking on
 * every record while the reader is behind cost ~0.5 us per record
 * (bpf_ringbuf_commit()). Counted on this CPU, not from the ring's unread
 * size: bpf_ringbuf_query(BPF_RB_AVAIL_DATA) reads consumer_pos, a cache line
 * the reader writes from another CPU (~30 ns a record, measured with perf). */
static __always_inline __u64 rb_flags(__u64 size)
{
	__u32 zero = 0;
	struct txr_cpu_state *c = bpf_map_lookup_elem(&txr_cpu, &zero);
	if (!c)
		return 0;
	c->unwoken += size + 8; /* + BPF_RINGBUF_HDR_SZ */
	if (c->unwoken < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	c->unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

/* ------------------------------------------------------------------ */
/* Syscall context                                                     */

static __always_inline bool comm_matches(const char *comm)
{
	if (!f_has_comm)
		return true;
	for (int i = 0; i < TXR_COMM_LEN; i++) {
		if (comm[i] != f_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* The struct sock behind fd, or NULL if fd is not an AF_INET/AF_INET6 socket
 * (write() on files must cost next to nothing). `last` (may be NULL) is the
 * thread's previous answer: the same file whose socket still has the same sock
 * is the same inet socket (a sock never changes slab, so neither its family
 * nor its protocol), 3 reads instead of 11. */
static __always_inline struct sock *fd_to_inet_sock(int fd, const struct txr_fd_sock *last,
						    struct txr_fd_sock *out)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	struct file *file = NULL;

	if (fd < 0 || !files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	if (!file)
		return NULL;
	out->file = (__u64)file;
	if (last && last->file == (__u64)file) {
		struct socket *sock = BPF_CORE_READ(file, private_data);
		if ((__u64)sock == last->sock && (__u64)BPF_CORE_READ(sock, sk) == last->sk) {
			out->sock = last->sock;
			out->sk = last->sk;
			out->proto = last->proto;
			return (struct sock *)out->sk;
		}
	}
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return NULL;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	out->sock = (__u64)sock;
	out->sk = (__u64)sk;
	out->proto = BPF_CORE_READ(sk, sk_protocol);
	return sk;
}

/* Per-CPU notes about the thread running here, without a txr_sends (task
 * storage) lookup. A note holds while that thread has not been switched out (nvcsw +
 * nivcsw unchanged), so whatever cleared it (a syscall boundary) ran here.
 *   TXR_NOTE_SAMPLED_OUT: --sample N left the thread's current send out (1 in
 *     N sends chosen at random: id counters advance in traffic-dependent
 *     steps, so id % N can miss every send); its packets are skipped too.
 *   TXR_NOTE_ROUTE_SEEN: the thread's current message has its route time
 *     (fib_table_lookup fires several times per packet, see route_stage). */
enum { TXR_NOTE_SAMPLED_OUT = 0, TXR_NOTE_ROUTE_SEEN = 1, TXR_NOTES };
struct txr_thread_note {
	__u32 tid;
	__u32 valid;
	__u64 switches;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_NOTES);
	__type(key, __u32);
	__type(value, struct txr_thread_note);
} txr_thread_notes SEC(".maps");

static __always_inline __u64 task_switches(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	return task->nvcsw + task->nivcsw;
}

static __always_inline void note_set(__u32 which, bool on)
{
	struct txr_thread_note *n = bpf_map_lookup_elem(&txr_thread_notes, &which);
	if (!n)
		return;
	n->valid = on;
	n->tid = (__u32)bpf_get_current_pid_tgid();
	n->switches = on ? task_switches() : 0;
}

static __always_inline bool note_holds(__u32 which)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct txr_thread_note *n = bpf_map_lookup_elem(&txr_thread_notes, &which);
	return n && n->valid && n->tid == tid && n->switches == task_switches();
}

static __always_inline struct txr_send_ctx *thread_ctx(void)
{
	if (sends_in_task_storage)
		return bpf_task_storage_get(&txr_sends, bpf_get_current_task_btf(), 0, 0);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(&txr_sends_by_tid, &tid);
}

static __always_inline int send_enter(__u32 nr, int fd)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct txr_send_ctx *c = thread_ctx();
	struct txr_send_ctx local; /* the tid-hash fallback builds it here */
	struct txr_fd_sock fs = {};
	char comm[TXR_COMM_LEN];

	if (c)
		c->active = 0; /* an exit never seen (attached mid-syscall) */
	if (f_tgid && tgid != f_tgid)
		return 0;
	if (f_cgroup_id && bpf_get_current_ancestor_cgroup_id(f_cgroup_level) != f_cgroup_id)
		return 0;
	struct sock *sk = fd_to_inet_sock(fd, c ? &c->fd_cache : NULL, &fs);
	if (!sk)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (!comm_matches(comm))
		return 0;
	__u64 send_id = next_id();
	if (sample_every > 1) {
		bool out = bpf_get_prandom_u32() % sample_every;
		note_set(TXR_NOTE_SAMPLED_OUT, out);
		if (out)
			return 0;
	}
	if (sends_in_task_storage) {
		if (!c)
			c = bpf_task_storage_get(&txr_sends, bpf_get_current_task_btf(), 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!c) {
			count(TXR_C_SENDS_FULL);
			return 0;
		}
		barrier_var(c); /* no address arithmetic on c hoisted above the check */
	} else {
		c = &local;
	}
	/* Filled in place: this send's part from zero, the fd cache kept. */
	__builtin_memset(c, 0, __builtin_offsetof(struct txr_send_ctx, fd_cache));
	c->fd_cache = fs;
	__builtin_memcpy(c->comm, comm, sizeof(comm));
	c->send_id = send_id;
	c->enter_ts = c->msg_ts = bpf_ktime_get_ns();
	c->sk = (__u64)sk;
	c->cgroup_id = bpf_get_current_cgroup_id();
	c->pid = tgid;
	c->tid = tid;
	c->syscall_nr = nr;
	c->fd = fd;
	c->proto = fs.proto;
	if (fs.proto == IPPROTO_TCP)
		c->tcp_seq_start = BPF_CORE_READ((struct tcp_sock *)sk, write_seq);
	c->active = 1;
	if (!sends_in_task_storage && bpf_map_update_elem(&txr_sends_by_tid, &tid, &local, BPF_ANY))
		count(TXR_C_SENDS_FULL);
	return 0;
}

static __always_inline struct txr_send_ctx *current_send(void)
{
	struct txr_send_ctx *ctx = thread_ctx();
	return ctx && ctx->active ? ctx : NULL;
}

static __always_inline int send_exit(long ret)
{
	struct txr_send_ctx *ctx = current_send();
	struct txr_send *s = NULL;
	__u64 flags = 0;

	if (!ctx)
		return 0;
	/* Built in place in the ring buffer; summary mode only counts it, and
	 * so does a selection (the packet records carry their own process). */
	if (summary_mode || summary_maps)
		errno_add(ret);
	if (summary_mode || select_on) {
		count(TXR_C_SENDS);
	} else {
		flags = rb_flags(sizeof(*s));
		s = bpf_ringbuf_reserve(&txr_events, sizeof(*s), 0);
		if (!s)
			count(TXR_C_LOST_SEND);
	}
	if (s) {
		__builtin_memset(s, 0, sizeof(*s));
		s->kind = TXR_REC_SEND;
		s->syscall_nr = ctx->syscall_nr;
		s->send_id = ctx->send_id;
		s->enter_ts = ctx->enter_ts;
		s->exit_ts = bpf_ktime_get_ns();
		s->ret = ret;
		s->pid = ctx->pid;
		s->tid = ctx->tid;
		s->packets = ctx->packets;
		s->msgs = ctx->msgs;
		s->fd = ctx->fd;
		s->sk = ctx->sk;
		s->proto = ctx->proto;
		if (ctx->proto == IPPROTO_TCP) {
			/* The bytes this send queued: [write_seq at entry, at exit). */
			s->tcp_seq_start = ctx->tcp_seq_start;
			struct tcp_sock *tp = (struct tcp_sock *)ctx->sk;
			s->tcp_seq_end = BPF_CORE_READ(tp, write_seq);
		}
		__builtin_memcpy(s->comm, ctx->comm, sizeof(s->comm));
		count(TXR_C_SENDS);
		bpf_ringbuf_submit(s, flags);
	}
	ctx->active = 0;
	/* Whatever the send left in the thread's slot goes on without it. */
	struct txr_pkt_slot *slot = pkt_slot_enter();
	spill_packet(slot);
	slot_leave(slot);
	if (!sends_in_task_storage) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_delete_elem(&txr_sends_by_tid, &tid);
	}
	return 0;
}

/* Stages before the skb exists: stamped on the thread's current message. */

/* The next message of the syscall starts (sendmmsg). */
static __always_inline void next_message(struct txr_send_ctx *ctx, __u64 now)
{
	ctx->msgs++;
	ctx->msg_ts = now;
	ctx->udp_ts = ctx->tcp_ts = ctx->route_ts = 0;
	ctx->first_frag_id = 0;
	ctx->ip_ts[0] = ctx->ip_ts[1] = ctx->ip_ts[2] = 0;
	note_set(TXR_NOTE_ROUTE_SEEN, false);
}

static __always_inline void task_stage(enum txr_stage stage)
{
	struct txr_send_ctx *ctx = current_send();
	if (!ctx)
		return;
	__u64 now = bpf_ktime_get_ns();
	if (stage == TXR_ST_ROUTE && !ctx->route_ts) {
		ctx->route_ts = now;
	} else if (stage == TXR_ST_UDP_SENDMSG) {
		/* Kernels without sock_send_length (6.1): udp_sendmsg again after
		 * this message made a packet is the next message of a sendmmsg.
		 * (udpv6_sendmsg calling udp_sendmsg for a v4-mapped address has
		 * made no packet yet.) */
		if (ctx->udp_ts && ctx->first_frag_id)
			next_message(ctx, now);
		if (!ctx->udp_ts)
			ctx->udp_ts = now;
	}
	else if (stage == TXR_ST_TCP_SENDMSG && !ctx->tcp_ts)
		ctx->tcp_ts = now;
	else if (stage == TXR_ST_TCP_TRANSMIT_SKB)
		ctx->tcp_tx_ts = now; /* latest: the clone made next inherits it */
}

/* sock_sendmsg returned for one message: the next message starts
 * (sock_sendmsg_nosec -> trace_sock_send_length, once per msghdr). */
static __always_inline void message_done(void)
{
	struct txr_send_ctx *ctx = current_send();
	/* Only sendmmsg has a next message whose start the clock gives. */
	if (ctx)
		next_message(ctx, ctx->syscall_nr == NR_SENDMMSG ? bpf_ktime_get_ns() : 0); /* clears the route note too */
	else
		note_set(TXR_NOTE_ROUTE_SEEN, false);
}

/* ------------------------------------------------------------------ */
/* Packets                                                             */

/* A field of a kernel object: a plain load where the verifier knows the
 * pointer's type (tp_btf and fentry arguments, the cgroup skb through
 * bpf_cast_to_kern_ctx: a faulting load reads 0, as a probe read would), a
 * probe read (a helper call) where it does not (kprobe arguments). `trusted`
 * is a constant in each program after inlining; the other branch is gone. */
#define KREAD(trusted, ptr, field) ((trusted) ? (ptr)->field : BPF_CORE_READ(ptr, field))

static __always_inline void parse_headers(struct sk_buff *skb, struct txr_packet *p, bool trusted)
{
	unsigned char *head = KREAD(trusted, skb, head);
	__u16 nh = KREAD(trusted, skb, network_header);
	__u32 l4 = 0;
	__u16 frag = 0;
	__u8 ver = 0;

	if (!head || nh == (__u16)~0U)
		return;
	bpf_probe_read_kernel(&ver, 1, head + nh);
	ver >>= 4;
	if (ver == 4) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return;
		p->family = 4;
		p->proto = ip.protocol;
		__builtin_memcpy(p->saddr, &ip.saddr, 4);
		__builtin_memcpy(p->daddr, &ip.daddr, 4);
		frag = bpf_ntohs(ip.frag_off);
		p->frag_off = (frag & 0x1fff) * 8;
		if (frag & 0x2000)
			p->flags |= TXR_PF_FRAG_MORE;
		l4 = nh + ip.ihl * 4;
	} else if (ver == 6) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return;
		p->family = 6;
		p->proto = ip6.nexthdr;
		__builtin_memcpy(p->saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
		l4 = nh + sizeof(ip6);
		if (ip6.nexthdr == 0 /* hop-by-hop options, e.g. MLD */) {
			__u8 ext[2];
			if (bpf_probe_read_kernel(ext, sizeof(ext), head + l4))
				return;
			p->proto = ext[0];
			l4 += (ext[1] + 1) * 8;
		}
		if (p->proto == NEXTHDR_FRAGMENT) {
			struct frag_hdr fh;
			if (bpf_probe_read_kernel(&fh, sizeof(fh), head + l4))
				return;
			p->proto = fh.nexthdr;
			frag = bpf_ntohs(fh.frag_off);
			p->frag_off = frag & ~7;
			if (frag & 1)
				p->flags |= TXR_PF_FRAG_MORE;
			p->flags |= TXR_PF_FRAGMENT;
			l4 += sizeof(fh);
		}
	} else {
		return;
	}
	if (p->frag_off || (p->flags & TXR_PF_FRAG_MORE))
		p->flags |= TXR_PF_FRAGMENT;
	if (p->frag_off == 0 && (p->proto == IPPROTO_UDP || p->proto == IPPROTO_TCP)) {
		__be16 ports[2];
		if (!bpf_probe_read_kernel(ports, sizeof(ports), head + l4)) {
			p->sport = bpf_ntohs(ports[0]);
			p->dport = bpf_ntohs(ports[1]);
		}
	}
	if (p->frag_off == 0 && p->proto == IPPROTO_TCP) {
		/* seq at offset 4, data offset + flags at 12-13. The payload is what
		 * follows the TCP header up to skb->len (a whole TSO skb here). */
		__u8 th[14];
		if (bpf_probe_read_kernel(th, sizeof(th), head + l4))
			return;
		__u32 seq = ((__u32)th[4] << 24) | ((__u32)th[5] << 16) | ((__u32)th[6] << 8) | th[7];
		__u32 hdr_end = l4 + (th[12] >> 4) * 4;
		unsigned char *data = KREAD(trusted, skb, data);
		__u32 data_off = data - head;
		__u32 len = KREAD(trusted, skb, len);
		__u32 payload = hdr_end >= data_off && len > hdr_end - data_off ? len - (hdr_end - data_off) : 0;
		p->tcp_flags = th[13];
		p->tcp_seq = seq;
		p->tcp_end_seq = seq + payload + ((th[13] & 0x02) ? 1 : 0) + ((th[13] & 0x01) ? 1 : 0);
	}
}

static __always_inline void set_device(struct txr_packet *p, const struct net_device *dev, bool trusted)
{
	if (!dev)
		return;
	__u32 ifindex = KREAD(trusted, dev, ifindex);
	if (ifindex == p->ifindex && p->ifname[0])
		return; /* the name was read when it got this ifindex */
	p->ifindex = ifindex;
	if (trusted)
		__builtin_memcpy(p->ifname, dev->name, sizeof(p->ifname)); /* NUL-padded */
	else
		bpf_probe_read_kernel_str(p->ifname, sizeof(p->ifname), dev->name);
}

static __always_inline bool addr_eq(const __u8 *a, int n)
{
	for (int i = 0; i < 16; i++) {
		if (i >= n)
			break;
		if (a[i] != f_host[i])
			return false;
	}
	return true;
}

static __always_inline bool flow_matches(const struct txr_packet *p)
{
	if (f_ifindex && p->ifindex != f_ifindex)
		return false;
	if (f_proto && p->proto != f_proto)
		return false;
	if (f_port && p->sport != f_port && p->dport != f_port)
		return false;
	if (f_host_family) {
		int n = f_host_family == 4 ? 4 : 16;
		if (p->family != f_host_family)
			return false;
		if (!addr_eq(p->saddr, n) && !addr_eq(p->daddr, n))
			return false;
	}
	return true;
}

/* The socket's cgroup (the creating task's) is in the --cgroup subtree. */
static __always_inline bool sk_in_cgroup(struct sock *sk)
{
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == 6 /* TCP_TIME_WAIT */ || state == 12 /* TCP_NEW_SYN_RECV */)
		return false; /* not a full socket: no cgroup data */
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	if (!cg || BPF_CORE_READ(cg, level) < (int)f_cgroup_level)
		return false;
	struct cgroup *anc = NULL;
	bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[f_cgroup_level & 0xff]);
	return anc && BPF_CORE_READ(anc, kn, id) == f_cgroup_id;
}

/* --netns, --cgroup and the tcpdump expression, cheapest first. A packet of
 * a traced send already passed --cgroup at syscall entry (send_enter). */
static __always_inline bool scope_and_expression_match(struct sk_buff *skb, struct sock *sk, bool from_send,
						       const struct txr_packet *p, enum txr_stage stage)
{
	if (f_netns && p->netns != f_netns)
		return false;
	if (f_cgroup_id && !from_send && (!sk || !sk_in_cgroup(sk)))
		return false;
	/* A later fragment of a followed datagram belongs to it (it has no
	 * ports of its own to match). */
	if (f_pcap && !(from_send && p->parent_id) && !txr_pcap_match_skb(skb, stage == TXR_ST_DEV_QUEUE_XMIT))
		return false;
	return true;
}

/* First sight of an skb: build its record from the skb and, when the current
 * thread is inside a traced send on the same socket, from that send. */
static __always_inline bool is_ip_stage(enum txr_stage stage)
{
	return stage == TXR_ST_IP_LOCAL_OUT || stage == TXR_ST_IP_OUTPUT || stage == TXR_ST_NEIGH_OUTPUT;
}

static __always_inline void emit_headers(struct sk_buff *skb, __u64 id);

/* True when the record is now in the thread's slot or in txr_inflight
 * (callers that need it find it: most do not). A packet of the thread's own
 * send is built in the thread's slot (made here, the first time; *sp is then
 * the taken slot) when `may_slot`: the stage is past netfilter, which could
 * queue it to user space (NFQUEUE) and reinject it from another thread. */
static __always_inline bool create_packet(struct txr_pkt_slot **sp, struct sk_buff *skb, __u64 key,
					  enum txr_stage stage, __u64 now, bool trusted, bool may_slot)
{
	__u32 zero = 0;
	struct txr_packet *p = NULL;
	struct txr_send_ctx *ctx = current_send();
	struct sock *sk = KREAD(trusted, skb, sk);
	struct txr_pkt_slot *s = *sp;
	bool in_slot = false;

	/* Only a packet of the socket the syscall writes to belongs to it: a
	 * softirq running on this thread may transmit other sockets' skbs. */
	if (ctx && ctx->sk != (__u64)sk)
		ctx = NULL;
	if (slots_on && may_slot && ctx) {
		if (!s) {
			s = bpf_task_storage_get(&txr_pkt_slots, bpf_get_current_task_btf(), 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
			s = slot_take(s);
			*sp = s;
		}
		if (s) {
			spill_packet(s); /* the thread's previous packet, if still here */
			p = &s->p;
			in_slot = true;
		}
	}
	if (!p)
		p = bpf_map_lookup_elem(&txr_scratch, &zero);
	if (!p)
		return false;
	__builtin_memset(p, 0, sizeof(*p));
	p->kind = TXR_REC_PACKET;
	p->skb = key;
	p->sk = (__u64)sk;
	p->len = KREAD(trusted, skb, len);
	parse_headers(skb, p, trusted);
	struct net_device *dev = KREAD(trusted, skb, dev);
	if (dev) {
		set_device(p, dev, trusted);
	} else {
		/* Before ip_output() sets skb->dev (netfilter LOCAL_OUT): the
		 * device the route leads to (skb_dst(skb)->dev). */
		struct dst_entry *dst = (struct dst_entry *)(KREAD(trusted, skb, _skb_refdst) & ~1UL);
		set_device(p, BPF_CORE_READ(dst, dev), false);
	}

	if (ctx) {
		p->id = next_id();
		p->send_id = ctx->send_id;
		p->msg_index = ctx->msgs;
		p->pid = ctx->pid;
		p->tid = ctx->tid;
		p->cgroup_id = ctx->cgroup_id;
		__builtin_memcpy(p->comm, ctx->comm, sizeof(p->comm));
		p->ts[TXR_ST_SENDMSG] = ctx->msg_ts;
		p->ts[TXR_ST_UDP_SENDMSG] = ctx->udp_ts;
		p->ts[TXR_ST_TCP_SENDMSG] = ctx->tcp_ts;
		p->ts[TXR_ST_ROUTE] = ctx->route_ts;
		p->ts[TXR_ST_TCP_TRANSMIT_SKB] = ctx->tcp_tx_ts;
		if ((p->flags & TXR_PF_FRAGMENT) && p->frag_off && ctx->first_frag_id) {
			/* A later fragment: no ports of its own; it shares the
			 * datagram's ports and IP stages, and links to the first. */
			p->parent_id = ctx->first_frag_id;
			p->sport = ctx->sport;
			p->dport = ctx->dport;
			if (stage > TXR_ST_IP_LOCAL_OUT)
				p->ts[TXR_ST_IP_LOCAL_OUT] = ctx->ip_ts[0];
			if (stage > TXR_ST_IP_OUTPUT)
				p->ts[TXR_ST_IP_OUTPUT] = ctx->ip_ts[1];
			if (stage > TXR_ST_NEIGH_OUTPUT)
				p->ts[TXR_ST_NEIGH_OUTPUT] = ctx->ip_ts[2];
		}
	} else {
		if (f_tgid || f_has_comm)
			return false;
		p->id = next_id();
		p->flags |= TXR_PF_NO_SEND;
		if (sample_every > 1 && (note_holds(TXR_NOTE_SAMPLED_OUT) || bpf_get_prandom_u32() % sample_every))
			return false;
	}
	if (!flow_matches(p)) {
		count(TXR_C_FILTERED);
		return false;
	}
	p->ts[stage] = now;
	if (sk && trusted)
		p->netns = sk->__sk_common.skc_net.net->ns.inum;
	else if (sk)
		p->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else if (dev && trusted)
		p->netns = dev->nd_net.net->ns.inum;
	else
		p->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	if (!scope_and_expression_match(skb, sk, ctx != NULL, p, stage)) {
		count(TXR_C_FILTERED);
		return false;
	}
	if (in_slot && s) {
		s->key = key;
	} else if (bpf_map_update_elem(&txr_inflight, &key, p, BPF_NOEXIST)) {
		count(TXR_C_INFLIGHT_FULL);
		return false;
	}
	if (snaplen && !summary_mode)
		emit_headers(skb, p->id);
	if (ctx) {
		ctx->packets++;
		ctx->last_key = key;
		if (!ctx->first_frag_id) {
			ctx->first_frag_id = p->id;
			ctx->sport = p->sport;
			ctx->dport = p->dport;
			if (is_ip_stage(stage))
				ctx->ip_ts[stage - TXR_ST_IP_LOCAL_OUT] = now;
		}
	}
	return true;
}

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

/* Emit the whole record and forget the skb (p: found in s or the hash). */
static __always_inline void finish_packet(struct txr_pkt_slot *s, struct txr_packet *p, __u64 key,
					  enum txr_stage stage, __u8 end)
{
	p->end = end;
	if (end == TXR_END_DROP)
		count(TXR_C_DROPS);
	if (summary_mode || summary_maps)
		txr_summarise(p);
	if (summary_mode) {
		count(TXR_C_PACKETS);
	} else if (select_on && !txr_selected(p)) {
		count(TXR_C_UNSELECTED); /* no ring traffic for what was not asked for */
	} else if (bpf_ringbuf_output(&txr_events, p, sizeof(*p), rb_flags(sizeof(*p)))) {
		count(TXR_C_LOST_PACKET);
		count(TXR_LOST_STAGE_BASE + stage);
	} else {
		count(TXR_C_PACKETS);
	}
	if (s && s->key == key)
		s->key = 0;
	else
		bpf_map_delete_elem(&txr_inflight, &key);
}

/* Stages that may see a packet first (and so create its record). */
static __always_inline bool creates(enum txr_stage stage)
{
	return stage == TXR_ST_IP_LOCAL_OUT || stage == TXR_ST_IP_OUTPUT || stage == TXR_ST_NEIGH_OUTPUT ||
	       stage == TXR_ST_DEV_QUEUE_XMIT;
}

#include "lean_summary.bpf.h"

/* The length shrank since first sight: ip_fragment() cut the datagram and
 * this skb is now its first fragment. Read the fragment bits again. */
static __always_inline void refresh_fragment(struct sk_buff *skb, struct txr_packet *p, bool trusted)
{
	__u32 len = KREAD(trusted, skb, len);
	if (len >= p->len)
		return;
	p->len = len;
	__u16 sport = p->sport, dport = p->dport;
	parse_headers(skb, p, trusted);
	if (!p->sport && !p->dport)
		p->sport = sport, p->dport = dport;
}

/* Stamp `stage` on the skb's record (first time wins), creating the record at
 * a creating stage (in the thread's slot if `may_slot`, see create_packet).
 * Returns the record, or NULL when not followed. *sp: the taken slot. */
static __always_inline struct txr_packet *skb_stage(struct txr_pkt_slot **sp, struct sk_buff *skb,
						    enum txr_stage stage, bool trusted, bool may_slot)
{
	__u64 key = (__u64)skb;
	struct txr_packet *p = find_packet(*sp, key);

	/* The clock (~35 ns in a KVM guest: lfence; rdtsc) only for a stamp:
	 * not for the packets a filter left out, nor for a stage seen again. */
	if (!p) {
		/* Created, or not followed: either way no stage to stamp now (no
		 * caller needs the record of a packet it just created). */
		if (creates(stage))
			create_packet(sp, skb, key, stage, bpf_ktime_get_ns(), trusted, may_slot);
		return NULL;
	}
	if (p->ts[stage])
		return p;
	__u64 now = bpf_ktime_get_ns();
	p->ts[stage] = now;
	if (stage == TXR_ST_DEV_QUEUE_XMIT)
		refresh_fragment(skb, p, trusted);
	/* A later IP stage of a message's first packet (fentry/kprobe kernels):
	 * keep it for the fragments that may follow. */
	if (is_ip_stage(stage) && p->send_id && !p->parent_id) {
		struct txr_send_ctx *ctx = current_send();
		if (ctx && ctx->first_frag_id == p->id)
			ctx->ip_ts[stage - TXR_ST_IP_LOCAL_OUT] = now;
	}
	return p;
}

/* A stage program's whole work on one skb. A packet accepted by a qdisc or
 * resolving its neighbour goes on in another context: out of the slot. */
static __always_inline void skb_stage_prog(struct sk_buff *skb, enum txr_stage stage, bool trusted,
					   bool may_slot)
{
	if (lean_summary) {
		lean_skb_stage(skb, stage, bpf_ktime_get_ns(), may_slot);
		return;
	}
	struct txr_pkt_slot *s = pkt_slot_enter();
	skb_stage(&s, skb, stage, trusted, may_slot);
	if (stage == TXR_ST_NEIGH_RESOLVE)
		spill_if_holds(s, (__u64)skb);
	slot_leave(s);
}

/* Route stage: fib_table_lookup also fires for input routes; only a thread
 * inside a traced send stamps it. It fires several times per packet (one
 * lookup per table, then the input lookups of veth/lo delivery, which run in
 * the sending thread): TXR_NOTE_ROUTE_SEEN lets the later lookups of a message
 * skip txr_sends; the message boundaries (syscall entry, next_message) clear it. */
static __always_inline void route_stage(void)
{
	if (note_holds(TXR_NOTE_ROUTE_SEEN))
		return;
	struct txr_send_ctx *ctx = current_send();
	if (!ctx)
		return;
	if (!ctx->route_ts)
		ctx->route_ts = bpf_ktime_get_ns();
	note_set(TXR_NOTE_ROUTE_SEEN, true);
}

/* ------------------------------------------------------------------ */
/* Syscalls: sendto/sendmsg/sendmmsg, and write/writev on sockets       */

#define SYS_PAIR(name, nr)                                                                   \
	SEC("tp/syscalls/sys_enter_" #name)                                                  \
	int txr_enter_##name(struct trace_event_raw_sys_enter *ctx)                          \
	{                                                                                    \
		note_set(TXR_NOTE_ROUTE_SEEN, false);                                        \
		return send_enter(nr, (int)ctx->args[0]);                                    \
	}                                                                                    \
	SEC("tp/syscalls/sys_exit_" #name)                                                   \
	int txr_exit_##name(struct trace_event_raw_sys_exit *ctx)                            \
	{                                                                                    \
		if (sample_every > 1)                                                        \
			note_set(TXR_NOTE_SAMPLED_OUT, false);                               \
		return send_exit(ctx->ret);                                                  \
	}

/* x86_64 syscall numbers; the collector names them. */
SYS_PAIR(sendto, 44)
SYS_PAIR(sendmsg, 46)
SYS_PAIR(sendmmsg, NR_SENDMMSG)
SYS_PAIR(write, 1)
SYS_PAIR(writev, 20)

SEC("tp_btf/sock_send_length")
int BPF_PROG(txr_tp_sock_send_length, struct sock *sk, int ret, int flags)
{
	message_done();
	return 0;
}

/* ------------------------------------------------------------------ */
/* udp_sendmsg / tcp_sendmsg (no skb yet)                              */

/* Each hooked kernel function gets an fentry and a kprobe program; user space
 * loads the one its plan chose (src/bpfload/hook_plan.cpp names them). */
#define TASK_HOOKS(name, func, stage)                                                        \
	SEC("fentry/" #func)                                                                 \
	int BPF_PROG(txr_fentry_##name) { task_stage(stage); return 0; }                     \
	SEC("kprobe/" #func)                                                                 \
	int BPF_KPROBE(txr_kprobe_##name) { task_stage(stage); return 0; }
#define SKB_HOOKS(name, func, stage, ...)                                                    \
	SEC("fentry/" #func)                                                                 \
	int BPF_PROG(txr_fentry_##name, __VA_ARGS__)                                         \
	{ skb_stage_prog(skb, stage, true, stage >= TXR_ST_NEIGH_OUTPUT); return 0; }        \
	SEC("kprobe/" #func)                                                                 \
	int BPF_KPROBE(txr_kprobe_##name, __VA_ARGS__)                                       \
	{ skb_stage_prog(skb, stage, false, stage >= TXR_ST_NEIGH_OUTPUT); return 0; }

TASK_HOOKS(udp_sendmsg, udp_sendmsg, TXR_ST_UDP_SENDMSG)
TASK_HOOKS(udpv6_sendmsg, udpv6_sendmsg, TXR_ST_UDP_SENDMSG)
TASK_HOOKS(tcp_sendmsg, tcp_sendmsg, TXR_ST_TCP_SENDMSG)
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(txr_tp_tcp_sendmsg_locked) { task_stage(TXR_ST_TCP_SENDMSG); return 0; }

/* __tcp_transmit_skb clones the queued skb; the clone is what IP sees. In a
 * send's thread the clone inherits this time (task_stage keeps the latest). */
TASK_HOOKS(tcp_transmit_skb, __tcp_transmit_skb, TXR_ST_TCP_TRANSMIT_SKB)

/* A segment went out again. Emitted as its own small record: user space marks
 * the transmission of [seq, end_seq) on sk that carries it and links it to the
 * first one (the clone may be finished before this fires). */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(txr_tp_tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	struct txr_retrans r = {};
	if (summary_mode || select_on)
		return 0;
	r.kind = TXR_REC_RETRANS;
	r.sk = (__u64)sk;
	r.ts = bpf_ktime_get_ns();
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)skb->cb;
	r.seq = BPF_CORE_READ(cb, seq);
	r.end_seq = BPF_CORE_READ(cb, end_seq);
	if (bpf_ringbuf_output(&txr_events, &r, sizeof(r), rb_flags(sizeof(r))))
		count(TXR_C_LOST_SEND);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Output route lookup                                                 */

TASK_HOOKS(ip_route_output_flow, ip_route_output_flow, TXR_ST_ROUTE)
TASK_HOOKS(ip6_dst_lookup_flow, ip6_dst_lookup_flow, TXR_ST_ROUTE)
/* fib_table_lookup also fires for input routes: see route_stage(). */
SEC("tp_btf/fib_table_lookup")
int BPF_PROG(txr_tp_fib_table_lookup) { route_stage(); return 0; }
SEC("tp_btf/fib6_table_lookup")
int BPF_PROG(txr_tp_fib6_table_lookup) { route_stage(); return 0; }

/* ------------------------------------------------------------------ */
/* IP layer: ip_local_out (LOCAL_OUT), ip_output (POST_ROUTING),        */
/* ip_finish_output2 (neighbour)                                        */

SKB_HOOKS(ip_local_out, __ip_local_out, TXR_ST_IP_LOCAL_OUT, struct net *net, struct sock *sk, struct sk_buff *skb)
SKB_HOOKS(ip6_local_out, __ip6_local_out, TXR_ST_IP_LOCAL_OUT, struct net *net, struct sock *sk, struct sk_buff *skb)

SKB_HOOKS(ip_output, ip_output, TXR_ST_IP_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)
SKB_HOOKS(ip6_output, ip6_output, TXR_ST_IP_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)

/* Without fentry/kprobes the nearest hook: cgroup egress runs at the top of
 * ip_finish_output()/ip6_finish_output(), after POST_ROUTING. Always allows. */
/* __weak: the kfunc is 6.2+; on older kernels the object must still load
 * (user space then rejects this hook: hook_probe.cpp cgroup_egress). */
extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;
SEC("cgroup_skb/egress")
int txr_cgroup_egress(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	skb_stage_prog(skb, TXR_ST_IP_OUTPUT, true, true); /* past POST_ROUTING */
	return 1;
}

SKB_HOOKS(ip_finish_output2, ip_finish_output2, TXR_ST_NEIGH_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)
SKB_HOOKS(ip6_finish_output2, ip6_finish_output2, TXR_ST_NEIGH_OUTPUT, struct net *net, struct sock *sk, struct sk_buff *skb)

/* neigh_resolve_output: the neighbour entry was not (known to be) valid, so
 * the packet may wait in the neighbour's arp_queue (__neigh_event_send). */
SKB_HOOKS(neigh_resolve_output, neigh_resolve_output, TXR_ST_NEIGH_RESOLVE, struct neighbour *n, struct sk_buff *skb)

/* Without fentry/kprobes: __neigh_event_send() returns 1 when it queued the
 * skb on the neighbour's arp_queue to wait for ARP/ND (or dropped it). It runs
 * in the sending thread right after the packet's IP stages, so the packet is
 * the one the thread's send created last. */
SEC("tp_btf/neigh_event_send_done")
int BPF_PROG(txr_tp_neigh_event_send_done, struct neighbour *n, int rc)
{
	if (rc != 1)
		return 0;
	if (lean_summary) {
		lean_neigh_queued();
		return 0;
	}
	struct txr_send_ctx *sc = current_send();
	if (!sc || !sc->last_key)
		return 0;
	__u64 key = sc->last_key;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p && !p->ts[TXR_ST_NEIGH_RESOLVE] && !p->ts[TXR_ST_DEV_QUEUE_XMIT])
		p->ts[TXR_ST_NEIGH_RESOLVE] = bpf_ktime_get_ns();
	spill_if_holds(s, key); /* whoever resolves the neighbour sends it */
	slot_leave(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Device layer                                                        */

SKB_HOOKS(dev_queue_xmit, __dev_queue_xmit, TXR_ST_DEV_QUEUE_XMIT, struct sk_buff *skb)
/* In __dev_queue_xmit after tc egress and the tx queue pick. */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(txr_tp_net_dev_queue, struct sk_buff *skb)
{ skb_stage_prog(skb, TXR_ST_DEV_QUEUE_XMIT, true, true); return 0; }

/* Fires only when the qdisc accepted the skb (dev_qdisc_enqueue). */
SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(txr_tp_qdisc_enqueue, struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb)
{
	if (lean_summary) {
		lean_skb_stage(skb, TXR_ST_QDISC_ENQUEUE, bpf_ktime_get_ns(), false);
		return 0;
	}
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = skb_stage(&s, skb, TXR_ST_QDISC_ENQUEUE, true, false);
	if (p) {
		/* What was ahead of it: includes itself (counted on enqueue). */
		p->qdisc_backlog = q->qstats.backlog;
		p->qdisc_qlen = q->q.qlen;
	}
	spill_if_holds(s, (__u64)skb); /* dequeued by whichever CPU runs the qdisc */
	slot_leave(s);
	return 0;
}

/* A bulk dequeue hands back a list (skb->next): stamp each. Last wins: a
 * requeued skb (NETDEV_TX_BUSY) is dequeued again. */
SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(txr_tp_qdisc_dequeue, struct Qdisc *q, const struct netdev_queue *txq, int packets,
	     struct sk_buff *skb)
{
	__u64 now = bpf_ktime_get_ns();
	if (lean_summary) {
		lean_dequeued(skb, now);
		return 0;
	}
	/* Spilled at enqueue: in the hash. */
	for (int i = 0; i < 8 && skb; i++) {
		__u64 key = (__u64)skb;
		struct txr_packet *p = bpf_map_lookup_elem(&txr_inflight, &key);
		if (p)
			p->ts[TXR_ST_QDISC_DEQUEUE] = now;
		skb = skb->next;
	}
	return 0;
}

static __always_inline bool loops_back(const struct net_device *dev)
{
	/* lo and veth pass the skb itself to a receive path (loopback_xmit,
	 * veth_xmit -> __netif_rx); no TX completion will come. */
	char kind[5] = {};
	if (dev->flags & IFF_LOOPBACK)
		return true;
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	if (!ops)
		return false;
	const char *k = ops->kind;
	if (!k)
		return false;
	bpf_probe_read_kernel(kind, 5, k);
	return kind[0] == 'v' && kind[1] == 'e' && kind[2] == 't' && kind[3] == 'h' && kind[4] == 0;
}

/* xmit_one(): right before ndo_start_xmit. */
/* A segment of the GSO skb this CPU just consumed (same socket, within 1 s):
 * a packet of its own, with the parent's earlier stages and send. */
static __always_inline struct txr_packet *gso_segment(struct sk_buff *skb, __u64 key)
{
	__u32 zero = 0;
	struct txr_packet *par = bpf_map_lookup_elem(&txr_gso_parent, &zero);
	if (!par || !par->id || par->sk != (__u64)skb->sk)
		return NULL;
	__u64 now = bpf_ktime_get_ns();
	if (now - par->ts[TXR_ST_DEV_QUEUE_XMIT] > 1000000000ULL)
		return NULL;
	if (bpf_map_update_elem(&txr_inflight, &key, par, BPF_NOEXIST)) {
		count(TXR_C_INFLIGHT_FULL);
		return NULL;
	}
	struct txr_packet *p = bpf_map_lookup_elem(&txr_inflight, &key);
	if (!p)
		return NULL;
	p->parent_id = par->id;
	p->id = next_id();
	p->skb = key;
	p->end = 0;
	p->ts[TXR_ST_FREE] = 0;
	p->flags = (par->flags & TXR_PF_NO_SEND) | TXR_PF_GSO_SEGMENT;
	p->frag_off = 0;
	p->tcp_seq = p->tcp_end_seq = 0;
	p->tcp_flags = 0;
	parse_headers(skb, p, true);
	return p;
}

/* skb_shinfo(skb)->gso_size and gso_segs, adjacent u16s: one read. */
static __always_inline void gso_fields(struct sk_buff *skb, __u16 *size, __u16 *segs)
{
	struct skb_shared_info *sh = (void *)(skb->head + skb->end);
	__u32 both = 0;
	if (bpf_core_field_offset(struct skb_shared_info, gso_segs) ==
	    bpf_core_field_offset(struct skb_shared_info, gso_size) + 2) {
		bpf_probe_read_kernel(&both, sizeof(both), &sh->gso_size);
		*size = both & 0xffff;
		*segs = both >> 16;
	} else {
		*size = BPF_CORE_READ(sh, gso_size);
		*segs = BPF_CORE_READ(sh, gso_segs);
	}
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(txr_tp_net_dev_start_xmit, struct sk_buff *skb, const struct net_device *dev)
{
	if (lean_summary) {
		lean_skb_stage(skb, TXR_ST_DRIVER_XMIT, bpf_ktime_get_ns(), false);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (!p)
		p = gso_segment(skb, key);
	if (p) {
		p->ts[TXR_ST_DRIVER_XMIT] = bpf_ktime_get_ns(); /* last attempt wins */
		p->queue = skb->queue_mapping;
		p->len = skb->len;
		gso_fields(skb, &p->gso_size, &p->gso_segs);
		set_device(p, dev, true);
		if (loops_back(dev))
			p->end = TXR_END_HANDOFF; /* provisional: finished at net_dev_xmit */
	}
	slot_leave(s);
	return 0;
}

SEC("tp_btf/netif_rx")
int BPF_PROG(txr_tp_netif_rx, struct sk_buff *skb)
{
	if (lean_summary) {
		lean_netif_rx(skb);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p && !p->ts[TXR_ST_NETIF_RX]) {
		p->ts[TXR_ST_NETIF_RX] = bpf_ktime_get_ns();
		p->end = TXR_END_HANDOFF;
	}
	slot_leave(s);
	return 0;
}

/* After ndo_start_xmit returned. The skb may already be freed by a TX
 * completion on another CPU: only its address is used here. */
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(txr_tp_net_dev_xmit, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	if (lean_summary) {
		lean_xmit_done(skb, rc);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p) {
		p->ts[TXR_ST_XMIT_DONE] = bpf_ktime_get_ns();
		p->xmit_rc = rc;
		if (rc == NETDEV_TX_BUSY) {
			p->requeues++;
			p->flags |= TXR_PF_REQUEUED;
			p->end = 0;
		} else if (rc == 0 && p->end == TXR_END_HANDOFF) {
			finish_packet(s, p, key, TXR_ST_XMIT_DONE, TXR_END_HANDOFF);
		}
	}
	/* Still here: left with the driver (its TX completion frees it, on any
	 * CPU), or requeued (NETDEV_TX_BUSY) for a later dequeue. */
	spill_if_holds(s, key);
	slot_leave(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The end: free or drop                                               */

SEC("tp_btf/consume_skb")
int BPF_PROG(txr_tp_consume_skb, struct sk_buff *skb)
{
	if (lean_summary) {
		lean_end(skb, false, 0);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);
	if (p) {
		p->ts[TXR_ST_FREE] = bpf_ktime_get_ns();
		if (!p->ts[TXR_ST_DRIVER_XMIT] && p->ts[TXR_ST_DEV_QUEUE_XMIT]) {
			/* Consumed between the queue and the driver: validate_xmit_skb()
			 * replaced a GSO skb by its segments (skb_gso_segment). */
			struct skb_shared_info *sh = (void *)(skb->head + skb->end);
			if (BPF_CORE_READ(sh, gso_size)) {
				__u32 zero = 0;
				bpf_map_update_elem(&txr_gso_parent, &zero, p, BPF_ANY);
			}
		}
		finish_packet(s, p, key, TXR_ST_FREE,
			      p->ts[TXR_ST_DRIVER_XMIT] ? TXR_END_FREE : TXR_END_CONSUMED_EARLY);
	}
	slot_leave(s);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(txr_tp_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	if (lean_summary) {
		lean_end(skb, true, reason);
		return 0;
	}
	__u64 key = (__u64)skb;
	struct txr_pkt_slot *s = pkt_slot_enter();
	struct txr_packet *p = find_packet(s, key);

	if (!p) {
		/* Dropped before any creating stage saw it (netfilter LOCAL_OUT,
		 * POST_ROUTING): still ours if the sending thread's socket owns it.
		 * Made in the hash (rare, and ended right here). */
		struct txr_send_ctx *ctx = current_send();
		if (ctx && ctx->sk == (__u64)skb->sk &&
		    create_packet(&s, skb, key, TXR_ST_DROP, bpf_ktime_get_ns(), true, false))
			p = bpf_map_lookup_elem(&txr_inflight, &key);
	}
	if (p) {
		p->ts[TXR_ST_DROP] = bpf_ktime_get_ns();
		p->drop_reason = reason;
		finish_packet(s, p, key, TXR_ST_DROP, TXR_END_DROP);
	}
	slot_leave(s);
	return 0;
}
