/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, syscall layer: io_uring's send operations (IORING_OP_SEND,
 * SENDMSG and their zero-copy twins) as send calls.
 *
 * io_uring_enter's fd is the ring, not the socket, so the send syscalls'
 * hooks never see these. The kernel issues a request where it was submitted
 * (io_submit_sqe: trace_io_uring_submit_req, then io_queue_sqe ->
 * io_issue_sqe -> io_send/io_sendmsg -> sock_sendmsg, with MSG_DONTWAIT) on
 * the submitting thread: inside io_uring_enter, or on the SQPOLL thread. So:
 *   - io_uring:io_uring_submit_req of a send on an inet socket opens the
 *     thread's send context (send_enter, the socket from the SQE's fd in the
 *     submitter's file table) as a call of io_uring_enter;
 *   - its inline issue ends at the thread's next submission, when it goes
 *     async (io_uring_poll_arm, io_uring_queue_async_work), at its
 *     completion, or at io_uring_enter's return: the context closes there,
 *     its packet count kept with the request;
 *   - io_uring:io_uring_complete of the request (its CQE, whichever thread
 *     posts it) writes its send record: enter = submission, exit =
 *     completion, ret = the CQE's result.
 * A TCP request's byte range (tcp_calls.bpf.h) stays open until that
 * completion, so the bytes of a send the issue could not queue at once
 * (-EAGAIN: io_arm_poll_handler retries it from task_work after the poll
 * wake-up; or an io-wq worker issues it) are still the request's.
 *
 * Not tied: UDP datagrams of a retried or io-wq-issued request (they are
 * made outside any context), requests on fixed files (IOSQE_FIXED_FILE: the
 * fd is an index into the ring's table), and IORING_OP_WRITE/WRITEV on
 * sockets. The tracepoints exist since 6.0 (io_uring_submit_req) and 5.18
 * (io_uring_complete's req); without them io_uring sends are not tied.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_URING_BPF_H
#define TXRAY_HOOKS_URING_BPF_H

/* The send record of each request submitted and not yet completed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct io_kiocb address */
	__type(value, struct txr_send);
} txr_uring_sends SEC(".maps");

/* A request's record as its submission begins it, before it goes into
 * txr_uring_sends (per CPU: too big for the stack beside the rest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_send);
} txr_send_scratch SEC(".maps");

/* The UAPI's opcodes (include/uapi/linux/io_uring.h: fixed numbers). */
static __always_inline bool uring_send_op(__u8 op)
{
	return op == IORING_OP_SEND || op == IORING_OP_SENDMSG || op == IORING_OP_SEND_ZC ||
	       op == IORING_OP_SENDMSG_ZC;
}

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

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(txr_tp_io_uring_submit_req, struct io_kiocb *req)
{
	__u32 zero = 0;

	uring_issue_end(current_send());
	if (!uring_send_op(req->opcode) || (req->flags & REQ_F_FIXED_FILE))
		return 0;
	note_set(TXR_NOTE_ROUTE_SEEN, false);
	/* io_init_req left the SQE's fd in cqe.fd; io_assign_file reads it at issue. */
	send_enter(TXR_NR_io_uring_enter, req->cqe.fd);
	struct txr_send_ctx *sc = current_send();
	if (!sc || sc->syscall_nr != TXR_NR_io_uring_enter)
		return 0;
	sc->uring_req = (__u64)req;
	struct txr_send *s = bpf_map_lookup_elem(&txr_send_scratch, &zero);
	if (s) {
		send_record_fill(s, sc);
		bpf_map_update_elem(&txr_uring_sends, &sc->uring_req, s, BPF_ANY);
	}
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
