/* SPDX-License-Identifier: GPL-2.0 */
/* io_uring's send requests between their submission and their completion:
 * each request's send record (txr_uring_sends), and the thread that issues
 * it. The hooks that fill and end them: hooks/uring.bpf.h.
 *
 * An io-wq worker (a PF_IO_WORKER task, "iou-wrk-<pid>") issues a request
 * that went async (IOSQE_ASYNC, a blocking issue punted): io-wq's
 * io_worker_handle_work sets the worker's cur_work (io_assign_current_work)
 * around wq->do_work (io_wq_submit_work -> io_issue_sqe), and the worker is
 * the task's worker_private (io_wq_worker). So a packet an io-wq worker
 * makes names its request directly (uring_worker_send), whether or not the
 * worker reached io_uring:io_uring_file_get: 6.1 and 6.12 assign a
 * request's file at submission (measured on 6.12: file_get in the submitter
 * before io_uring_queue_async_work, none in the worker), and a registered
 * file's lookup (io_file_get_fixed) has no tracepoint.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_URING_REQUESTS_BPF_H
#define TXRAY_URING_REQUESTS_BPF_H

/* The send record of each request submitted and not yet completed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct io_kiocb address */
	__type(value, struct txr_send);
} txr_uring_sends SEC(".maps");

/* The thread's io_uring send (if any) ends its issue: what it made so far
 * goes with the request's record. */
static __always_inline void uring_issue_end(struct txr_send_ctx *ctx)
{
	if (!ctx || ctx->syscall_nr != TXR_NR_io_uring_enter)
		return;
	struct txr_send *s = bpf_map_lookup_elem(&txr_uring_sends, &ctx->uring_req);
	if (s) {
		s->packets = ctx->packets;
		s->msgs = ctx->msgs;
	}
	send_leave(ctx);
}

/* The request's context in c (all but fd_cache), from its record s. */
static __always_inline void uring_ctx_fill(struct txr_send_ctx *c, __u64 req, const struct txr_send *s)
{
	__builtin_memset(c, 0, __builtin_offsetof(struct txr_send_ctx, fd_cache));
	c->send_id = s->send_id;
	c->enter_ts = s->enter_ts;
	c->msg_ts = bpf_ktime_get_ns();
	c->sk = s->sk;
	c->cgroup_id = bpf_get_current_cgroup_id(); /* io threads stay in the submitter's */
	c->pid = s->pid;
	c->tid = s->tid;
	__builtin_memcpy(c->comm, s->comm, sizeof(c->comm));
	c->syscall_nr = s->syscall_nr;
	c->fd = s->fd;
	c->proto = s->proto;
	c->tcp_seq_start = s->tcp_seq_start; /* its byte range stays open until the completion */
	c->packets = s->packets;
	c->msgs = s->msgs;
	c->uring_req = req;
	c->active = 1;
	note_set(TXR_NOTE_ROUTE_SEEN, false);
}

/* The request's context opened in the current thread's task storage, from
 * its record s; NULL (counted) when the storage cannot be had. */
static __always_inline struct txr_send_ctx *uring_ctx_open(__u64 req, const struct txr_send *s)
{
	struct txr_send_ctx *c = bpf_task_storage_get(&txr_sends, bpf_get_current_task_btf(), 0,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		count(TXR_C_SENDS_FULL);
		return NULL;
	}
	barrier_var(c);
	uring_ctx_fill(c, req, s);
	return c;
}

/* Another thread issues the submitted request (an io-wq worker): its
 * context opens there from the request's record, the submitter's. */
static __always_inline void uring_issue_resume(__u64 req, const struct txr_send *s)
{
	if (sends_in_task_storage) {
		uring_ctx_open(req, s);
		return;
	}
	struct txr_send_ctx local; /* the tid-hash fallback builds it here */
	__builtin_memset(&local.fd_cache, 0, sizeof(local.fd_cache));
	uring_ctx_fill(&local, req, s);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&txr_sends_by_tid, &tid, &local, BPF_ANY))
		count(TXR_C_SENDS_FULL);
}

/* Set once a request went to io-wq (io_uring_queue_async_work): until then
 * no packet is made by a worker, and uring_worker_send reads nothing. */
__u32 txr_uring_async_seen = 0;

#ifndef PF_IO_WORKER
#define PF_IO_WORKER 0x00000010 /* include/linux/sched.h */
#endif

/* The request (struct io_kiocb) the current io-wq worker issues now, or 0
 * (not a worker, idle, or a kernel without task->worker_private: 5.10). */
static __always_inline __u64 uring_worker_req(void)
{
	if (!task_btf || !bpf_core_field_exists(((struct task_struct *)0)->worker_private))
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	if (!(t->flags & PF_IO_WORKER))
		return 0;
	struct io_worker *w = (struct io_worker *)t->worker_private;
	struct io_wq_work *work = BPF_CORE_READ(w, cur_work);
	if (!work)
		return 0;
	return (__u64)work - bpf_core_field_offset(struct io_kiocb, work);
}

/* A packet made in task context with the thread's send context ctx (NULL:
 * none): in an io-wq worker, the context of the request it issues now,
 * opened from that request's record (and the worker's previous request's
 * ended) when it is not open yet; NULL when that request is no traced send.
 * Any other thread's ctx is returned as it is. Called only once a request
 * went to io-wq (txr_uring_async_seen, checked by the caller). */
static __always_inline struct txr_send_ctx *uring_worker_send(struct txr_send_ctx *ctx)
{
	if (!sends_in_task_storage || (ctx && !ctx->uring_req))
		return ctx; /* a send call of the thread's own */
	__u64 req = uring_worker_req();
	if (!req || (ctx && ctx->uring_req == req))
		return ctx;
	uring_issue_end(ctx); /* the worker's previous request */
	struct txr_send *s = bpf_map_lookup_elem(&txr_uring_sends, &req);
	if (!s)
		return NULL;
	/* In the thread's task storage only (uring_worker_req needs 5.11+, as
	 * task storage does): no stack copy here, on the packet's path. */
	return uring_ctx_open(req, s);
}

#endif
