/* SPDX-License-Identifier: GPL-2.0 */
/* The sending thread's syscall context: the socket behind the fd, the
 * send record, the per-message stamps of stages before the skb exists.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_SEND_CONTEXT_BPF_H
#define TXRAY_SEND_CONTEXT_BPF_H

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

/* The file at fd in the current thread's table, or NULL. */
static __always_inline struct file *fd_to_file(int fd)
{
	struct files_struct *files;
	struct fdtable *fdt;
	struct file *file = NULL;

	if (fd < 0)
		return NULL;
	if (task_btf) {
		files = bpf_get_current_task_btf()->files;
		fdt = files ? files->fdt : NULL;
		if (!fdt || fd >= fdt->max_fds)
			return NULL;
		bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	} else {
		/* Before bpf_get_current_task_btf (5.11): the same walk, read. */
		files = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), files);
		fdt = files ? BPF_CORE_READ(files, fdt) : NULL;
		if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
			return NULL;
		struct file **fds = BPF_CORE_READ(fdt, fd);
		bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	}
	return file;
}

/* The struct sock behind file, or NULL if it is not an AF_INET/AF_INET6
 * socket (write() on files must cost next to nothing). `last` (may be NULL)
 * is the thread's previous answer: the same file whose socket still has the
 * same sock is the same inet socket (a sock never changes slab, so neither
 * its family nor its protocol), 3 reads instead of 11. */
static __always_inline struct sock *file_to_inet_sock(struct file *file, const struct txr_fd_sock *last,
						      struct txr_fd_sock *out)
{
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
	if (!task_btf) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		return BPF_CORE_READ(t, nvcsw) + BPF_CORE_READ(t, nivcsw);
	}
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
	if (in_interrupt_ctx())
		return false; /* a note of the interrupted thread */
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

/* The thread enters a send call on fd; `fixed` (may be NULL) is the file
 * when the caller has it already (an io_uring registered file: fd is then
 * an index into the ring's table, not the thread's). */
static __always_inline int send_enter_file(__u32 nr, int fd, struct file *fixed)
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
	struct sock *sk = file_to_inet_sock(fixed ? fixed : fd_to_file(fd), c ? &c->fd_cache : NULL, &fs);
	if (!sk)
		return 0;
	current_comm_by(task_btf, comm);
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
	c->cgroup_id = current_cgroup_id_by(task_btf);
	c->pid = tgid;
	c->tid = tid;
	c->syscall_nr = nr;
	c->fd = fd;
	c->proto = fs.proto;
	if (fs.proto == IPPROTO_TCP) {
		c->tcp_seq_start = BPF_CORE_READ((struct tcp_sock *)sk, write_seq);
		tcp_call_open((__u64)sk, c->tcp_seq_start, send_id, c->enter_ts, c->cgroup_id, tgid, tid, comm);
	}
	c->active = 1;
	if (!sends_in_task_storage && bpf_map_update_elem(&txr_sends_by_tid, &tid, &local, BPF_ANY))
		count(TXR_C_SENDS_FULL);
	return 0;
}

static __always_inline int send_enter(__u32 nr, int fd)
{
	return send_enter_file(nr, fd, NULL);
}

/* The send syscall the current thread is in, or NULL. Never for a program an
 * interrupt runs (irq_context.bpf.h): a softirq served on the thread's CPU
 * (a peer's ACK over veth, a TCP timer, an ICMP error, a forwarded packet)
 * sees the thread as `current`, but what it makes is not the thread's. */
static __always_inline struct txr_send_ctx *current_send(void)
{
	/* --no-syscalls: the syscall and io_uring hooks, which make send
	 * contexts, are off (Session::choose_plan); no task storage lookup. */
	if (no_syscalls || in_interrupt_ctx())
		return NULL;
	struct txr_send_ctx *ctx = thread_ctx();
	return ctx && ctx->active ? ctx : NULL;
}

/* The send record's fields the call's context holds (all but its end). */
static __always_inline void send_record_fill(struct txr_send *s, const struct txr_send_ctx *ctx)
{
	__builtin_memset(s, 0, sizeof(*s));
	s->kind = TXR_REC_SEND;
	s->syscall_nr = ctx->syscall_nr;
	s->send_id = ctx->send_id;
	s->enter_ts = ctx->enter_ts;
	s->pid = ctx->pid;
	s->tid = ctx->tid;
	s->packets = ctx->packets;
	s->msgs = ctx->msgs;
	s->fd = ctx->fd;
	s->sk = ctx->sk;
	s->proto = ctx->proto;
	if (ctx->proto == IPPROTO_TCP)
		s->tcp_seq_start = ctx->tcp_seq_start;
	__builtin_memcpy(s->comm, ctx->comm, sizeof(s->comm));
}

/* Summary mode only counts a send, and so does a selection (the packet
 * records carry their own process): true when nothing goes to the ring. */
static __always_inline bool send_counted_only(long ret)
{
	if (summary_mode || summary_maps)
		errno_add(ret);
	if (summary_mode || select_on) {
		count(TXR_C_SENDS);
		return true;
	}
	return false;
}

static __always_inline struct txr_send *send_record_reserve(void)
{
	struct txr_send *s = bpf_ringbuf_reserve(&txr_events, sizeof(*s), 0);
	if (!s)
		count(TXR_C_LOST_SEND);
	return s;
}

/* A send record ends: its exit time and result, counted, into the ring. */
static __always_inline void send_record_submit(struct txr_send *s, long ret, __u64 flags)
{
	s->exit_ts = bpf_ktime_get_ns();
	s->ret = ret;
	count(TXR_C_SENDS);
	bpf_ringbuf_submit(s, flags);
}

/* A send record kept aside (io_uring's, from submission to completion:
 * send_record_fill began it) ends: copied into the ring. */
static __always_inline void send_record_emit(const struct txr_send *done, long ret)
{
	if (send_counted_only(ret))
		return;
	__u64 flags = rb_flags(sizeof(*done));
	struct txr_send *s = send_record_reserve();
	if (!s)
		return;
	__builtin_memcpy(s, done, sizeof(*s));
	send_record_submit(s, ret, flags);
}

/* A send call's record, filled in place in the ring from its context. */
static __always_inline void send_record_write(const struct txr_send_ctx *ctx, long ret, __u32 tcp_seq_end)
{
	if (send_counted_only(ret))
		return;
	__u64 flags = rb_flags(sizeof(struct txr_send));
	struct txr_send *s = send_record_reserve();
	if (!s)
		return;
	send_record_fill(s, ctx);
	s->tcp_seq_end = tcp_seq_end;
	send_record_submit(s, ret, flags);
}

/* The thread leaves its send (`slot`: its packet slot, taken, or NULL): a
 * record still held for the send (hold_for_send) goes out as it is, and
 * whatever else the send left in the slot goes on without it. */
static __always_inline void send_leave_slot(struct txr_send_ctx *ctx, struct txr_pkt_slot *slot)
{
	ctx->active = 0;
	flush_held(slot);
	spill_packet(slot);
	slot_leave(slot);
	if (!sends_in_task_storage) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_delete_elem(&txr_sends_by_tid, &tid);
	}
}

static __always_inline void send_leave(struct txr_send_ctx *ctx)
{
	send_leave_slot(ctx, pkt_slot_enter());
}

/* The send's only packet ended inside it and waits in the thread's slot
 * (hold_for_send): it goes out with the send's end and result folded in
 * (TXR_PF_SEND_FOLDED), one ring record instead of two. */
static __always_inline bool fold_send(const struct txr_send_ctx *ctx, struct txr_pkt_slot *slot, long ret)
{
	if (!slot || !slot->held || slot->p.send_id != ctx->send_id || ctx->packets != 1 || select_on)
		return false;
	if (summary_maps)
		errno_add(ret);
	slot->held = 0;
	slot->p.ts[TXR_ST_SENDMSG_RETURN] = bpf_ktime_get_ns();
	slot->p.send_ret = ret;
	slot->p.flags |= TXR_PF_SEND_FOLDED;
	count(TXR_C_SENDS);
	count(TXR_C_FOLDED);
	emit_packet(&slot->p, slot->held_stage);
	return true;
}

/* A send call ends: at its syscall's exit, or at sock_send_length for a
 * syscall of one message (hooks/syscall.bpf.h). Its record is filled in
 * place in the ring, or folded into its only packet's. */
static __always_inline void send_end(struct txr_send_ctx *ctx, long ret)
{
	/* Before the ring reservation: Linux 5.10's verifier lost the reserved
	 * record across tcp_call_close's loop ("Unreleased reference"). */
	__u32 tcp_seq_end = 0;
	if (ctx->proto == IPPROTO_TCP) {
		/* The bytes this send queued: [write_seq at entry, at exit). */
		struct tcp_sock *tp = (struct tcp_sock *)ctx->sk;
		tcp_seq_end = BPF_CORE_READ(tp, write_seq);
		tcp_call_close(ctx->sk, ctx->send_id, tcp_seq_end);
	}
	struct txr_pkt_slot *slot = pkt_slot_enter();
	if (!fold_send(ctx, slot, ret))
		send_record_write(ctx, ret, tcp_seq_end);
	send_leave_slot(ctx, slot);
}

/* The syscall's exit: the send's end unless sock_send_length ended it
 * already (then the context is no longer active: nothing to do). */
static __always_inline int send_exit(long ret)
{
	struct txr_send_ctx *ctx = current_send();
	if (ctx)
		send_end(ctx, ret);
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
static __always_inline void message_done(struct txr_send_ctx *ctx)
{
	/* Only sendmmsg has a next message whose start the clock gives. */
	if (ctx)
		next_message(ctx, ctx->syscall_nr == TXR_NR_sendmmsg ? bpf_ktime_get_ns() : 0); /* clears the route note too */
	else
		note_set(TXR_NOTE_ROUTE_SEEN, false);
}

#endif /* TXRAY_SEND_CONTEXT_BPF_H */
