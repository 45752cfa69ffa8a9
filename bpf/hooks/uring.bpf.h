/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, syscall layer: io_uring's send operations (IORING_OP_SEND,
 * SENDMSG and their zero-copy twins; WRITE, WRITEV and WRITE_FIXED on a
 * socket) as send calls.
 *
 * io_uring_enter's fd is the ring, not the socket, so the send syscalls'
 * hooks never see these. The kernel issues a request where it was submitted
 * (io_submit_sqe: trace_io_uring_submit_req, or _submit_sqe before 6.3,
 * then io_queue_sqe ->
 * io_issue_sqe -> io_send/io_sendmsg -> sock_sendmsg, with MSG_DONTWAIT) on
 * the submitting thread: inside io_uring_enter, or on the SQPOLL thread. So:
 *   - the submission of a send on an inet socket opens the
 *     thread's send context (send_enter, the socket from the SQE's fd in the
 *     submitter's file table) as a call of io_uring_enter;
 *   - its inline issue ends at the thread's next submission, when it goes
 *     async (io_uring_poll_arm, io_uring_queue_async_work), at its
 *     completion, or at io_uring_enter's return: the context closes there,
 *     its packet count kept with the request;
 *   - io_uring:io_uring_complete of the request (its CQE, whichever thread
 *     posts it) writes its send record: enter = submission, exit =
 *     completion, ret = the CQE's result.
 * When the issue goes on elsewhere, the request's context is opened again
 * there from its record (uring_issue_resume: the same send id, the
 * submitter's pid, tid and comm):
 *   - an io-wq worker ("iou-wrk-<pid>": IOSQE_ASYNC, or a blocking issue
 *     punted): the first packet it makes for the request opens the context
 *     (uring_worker_send, uring_requests.bpf.h: the request the worker
 *     issues now is its io_worker's cur_work), or its io_uring_file_get
 *     where it assigns the file (io_wq_submit_work -> io_assign_file: 6.18;
 *     6.1 and 6.12 assigned it at submission); it usually posts its CQE
 *     itself (io_req_complete_post): the context closes at the completion,
 *     at the worker's next request or its poll arm.
 * A TCP request's byte range (tcp_calls.bpf.h) stays open until that
 * completion, so the bytes of a send the issue could not queue at once
 * (-EAGAIN: io_arm_poll_handler retries it from task_work after the poll
 * wake-up; or an io-wq worker issues it) are still the request's.
 * A request on a registered file (IOSQE_FIXED_FILE: the SQE's fd indexes the
 * ring's table) takes its socket from that table at submission.
 *
 * Not tied: UDP datagrams of a request retried from task_work after a poll
 * wake-up (no tracepoint names the request there before it issues again).
 * The submission is io_uring_submit_req from 6.3, io_uring_submit_sqe
 * before (the loader attaches whichever exists); the completion names its
 * request from 5.18: before (5.10), io_uring sends are not tied.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_URING_BPF_H
#define TXRAY_HOOKS_URING_BPF_H

/* A request's record as its submission begins it, before it goes into
 * txr_uring_sends (per CPU: too big for the stack beside the rest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_send);
} txr_send_scratch SEC(".maps");

/* The UAPI's opcodes (include/uapi/linux/io_uring.h: fixed numbers) that
 * may send on a socket: the send operations, and the writes (io_write ->
 * sock_write_iter -> sock_sendmsg; send_enter keeps only inet sockets). */
static __always_inline bool uring_send_op(__u8 op)
{
	return op == IORING_OP_SEND || op == IORING_OP_SENDMSG || op == IORING_OP_SEND_ZC ||
	       op == IORING_OP_SENDMSG_ZC || op == IORING_OP_WRITE || op == IORING_OP_WRITEV ||
	       op == IORING_OP_WRITE_FIXED;
}

/* The ring's registered files before 6.13 (io_uring_types.h: a flat array
 * of tagged pointers, its length in the ring). */
struct io_fixed_file___6_1 {
	unsigned long file_ptr;
};
struct io_file_table___6_1 {
	struct io_fixed_file___6_1 *files;
};
struct io_ring_ctx___6_1 {
	struct io_file_table___6_1 file_table;
	unsigned int nr_user_files;
};

/* The registered file at `index` of req's ring (io_file_get_fixed's
 * lookup), or NULL. The table's slots tag the pointer in its low bits
 * (FFS_NOWAIT, FFS_ISREG, and FFS_SCM before 6.7). */
static __always_inline struct file *uring_fixed_file(struct io_kiocb *req, __u32 index)
{
	struct io_ring_ctx *ring = BPF_CORE_READ(req, ctx);
	unsigned long ptr = 0;

	if (bpf_core_field_exists(ring->file_table.data)) {
		/* 6.13+: io_rsrc_data's nodes, each an io_rsrc_node. */
		if (index >= BPF_CORE_READ(ring, file_table.data.nr))
			return NULL;
		struct io_rsrc_node **nodes = BPF_CORE_READ(ring, file_table.data.nodes);
		struct io_rsrc_node *node = NULL;
		bpf_probe_read_kernel(&node, sizeof(node), &nodes[index]);
		if (!node)
			return NULL;
		ptr = BPF_CORE_READ(node, file_ptr);
	} else {
		struct io_ring_ctx___6_1 *old = (void *)ring;
		if (index >= BPF_CORE_READ(old, nr_user_files))
			return NULL;
		struct io_fixed_file___6_1 *files = BPF_CORE_READ(old, file_table.files);
		bpf_probe_read_kernel(&ptr, sizeof(ptr), &files[index].file_ptr);
	}
	return (struct file *)(ptr & ~7UL);
}

/* A send request submitted (io_submit_sqe, after io_init_req): its send
 * context opens on the submitting thread. `fd` is the SQE's, which
 * io_init_req left in req->cqe.fd (io_assign_file reads it at issue). */
static __always_inline void uring_submitted(struct io_kiocb *req, __u8 opcode, bool fixed_file, int fd)
{
	__u32 zero = 0;

	uring_issue_end(current_send());
	if (!uring_send_op(opcode))
		return;
	note_set(TXR_NOTE_ROUTE_SEEN, false);
	if (fixed_file) {
		struct file *file = uring_fixed_file(req, fd);
		if (!file)
			return; /* never the thread's fd of that number */
		send_enter_file(TXR_NR_io_uring_enter, fd, file);
	} else {
		send_enter(TXR_NR_io_uring_enter, fd);
	}
	struct txr_send_ctx *sc = current_send();
	if (!sc || sc->syscall_nr != TXR_NR_io_uring_enter)
		return;
	sc->uring_req = (__u64)req;
	struct txr_send *s = bpf_map_lookup_elem(&txr_send_scratch, &zero);
	if (s) {
		send_record_fill(s, sc);
		bpf_map_update_elem(&txr_uring_sends, &sc->uring_req, s, BPF_ANY);
	}
}

/* 6.3+: trace_io_uring_submit_req(req). */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(txr_tp_io_uring_submit_req, struct io_kiocb *req)
{
	uring_submitted(req, req->opcode, req->flags & REQ_F_FIXED_FILE, req->cqe.fd);
	return 0;
}

/* Before 6.3 the same point is trace_io_uring_submit_sqe. Its arguments
 * changed (5.10-5.19: ctx, req as void *, opcode, ...; 6.0-6.2: req,
 * force_nonblock), its classic fields name the request, its opcode and its
 * flags throughout: these, relocated by name (the event is gone from 6.3's
 * BTF, so not in vmlinux.h). */
struct trace_event_raw_io_uring_submit_sqe {
	void *req;
	__u8 opcode;
	__u32 flags;
} __attribute__((preserve_access_index));

SEC("tp/io_uring/io_uring_submit_sqe")
int txr_tp_io_uring_submit_sqe(struct trace_event_raw_io_uring_submit_sqe *tp)
{
	/* Without a request in io_uring_complete (before 5.18: 5.10) no record
	 * could ever be written: nothing opens. */
	if (!bpf_core_field_exists(((struct trace_event_raw_io_uring_complete *)0)->req) ||
	    !bpf_core_field_exists(((struct io_kiocb *)0)->cqe.fd))
		return 0;
	struct io_kiocb *req = tp->req;
	uring_submitted(req, tp->opcode, tp->flags & REQ_F_FIXED_FILE, BPF_CORE_READ(req, cqe.fd));
	return 0;
}

/* A thread assigns a request's file before issuing it (io_assign_file ->
 * io_file_get_normal): in the submitter right after its submission, or in
 * an io-wq worker (io_wq_submit_work). The classic tracepoint's fields:
 * its arguments were (ctx, fd) before 5.18. */
SEC("tp/io_uring/io_uring_file_get")
int txr_tp_io_uring_file_get(struct trace_event_raw_io_uring_file_get *tp)
{
	if (!bpf_core_field_exists(tp->req))
		return 0;
	__u64 req = (__u64)tp->req;
	struct txr_send_ctx *ctx = current_send();
	if (ctx && ctx->uring_req == req)
		return 0; /* issued inline: its context is open */
	uring_issue_end(ctx); /* the thread's previous request ends here */
	struct txr_send *s = bpf_map_lookup_elem(&txr_uring_sends, &req);
	if (s)
		uring_issue_resume(req, s);
	return 0;
}

/* The issue could not finish at once and goes on later (io_queue_async:
 * a poll armed, retried from task_work on its wake-up; or an io-wq worker):
 * its inline part ends here, before the thread waits for completions and
 * runs other requests' retries. Only on those paths. */
static __always_inline void uring_went_async(struct io_kiocb *req)
{
	struct txr_send_ctx *sc = current_send();
	if (sc && sc->uring_req == (__u64)req)
		uring_issue_end(sc);
}

SEC("tp_btf/io_uring_poll_arm")
int BPF_PROG(txr_tp_io_uring_poll_arm, struct io_kiocb *req)
{
	uring_went_async(req);
	return 0;
}

SEC("tp_btf/io_uring_queue_async_work")
int BPF_PROG(txr_tp_io_uring_queue_async_work, struct io_kiocb *req)
{
	if (!txr_uring_async_seen)
		txr_uring_async_seen = 1; /* an io-wq worker will issue it */
	uring_went_async(req);
	return 0;
}

/* The CQE of a request: its send record (trace_io_uring_complete, from
 * io_fill_cqe_req and the CQE posting paths). The classic tracepoint's
 * fields, not tp_btf's arguments: these changed between 6.1 and 6.18. */
SEC("tp/io_uring/io_uring_complete")
int txr_tp_io_uring_complete(struct trace_event_raw_io_uring_complete *tp)
{
	if (!bpf_core_field_exists(tp->req))
		return 0; /* before 5.18 (5.10): the event names no request */
	__u64 req = (__u64)tp->req;
	struct txr_send *s = bpf_map_lookup_elem(&txr_uring_sends, &req);
	if (!s)
		return 0;
	struct txr_send_ctx *ctx = current_send();
	if (ctx && ctx->uring_req == req)
		uring_issue_end(ctx); /* completed inline: flushed within the submission */
	if (s->proto == IPPROTO_TCP) {
		struct tcp_sock *tp = (struct tcp_sock *)s->sk;
		s->tcp_seq_end = BPF_CORE_READ(tp, write_seq);
		tcp_call_close(s->sk, s->send_id, s->tcp_seq_end);
	}
	send_record_emit(s, tp->res);
	bpf_map_delete_elem(&txr_uring_sends, &req);
	return 0;
}

SEC("tp/syscalls/sys_exit_io_uring_enter")
int txr_exit_io_uring_enter(struct trace_event_raw_sys_exit *tp)
{
	if (sample_every > 1)
		note_set(TXR_NOTE_SAMPLED_OUT, false);
	uring_issue_end(current_send());
	return 0;
}

#endif /* TXRAY_HOOKS_URING_BPF_H */
