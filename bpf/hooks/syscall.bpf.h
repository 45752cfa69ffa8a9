/* SPDX-License-Identifier: GPL-2.0 */
/* Hooks, syscall layer: sys_enter/sys_exit of the send syscalls, sock_send_length.
 *
 * Part of txray.bpf.c, split by concern: included there, in order, after
 * the maps and the parts before it (not a standalone header). */
#ifndef TXRAY_HOOKS_SYSCALL_BPF_H
#define TXRAY_HOOKS_SYSCALL_BPF_H

/* ------------------------------------------------------------------ */
/* Syscalls: sendto/sendmsg/sendmmsg, write/writev/sendfile/splice to sockets */

#define SYS_PAIR(name, nr, fd_arg)                                                           \
	SEC("tp/syscalls/sys_enter_" #name)                                                  \
	int txr_enter_##name(struct trace_event_raw_sys_enter *ctx)                          \
	{                                                                                    \
		note_set(TXR_NOTE_ROUTE_SEEN, false);                                            \
		return send_enter(nr, (int)ctx->args[fd_arg]);                               \
	}                                                                                    \
	SEC("tp/syscalls/sys_exit_" #name)                                                   \
	int txr_exit_##name(struct trace_event_raw_sys_exit *ctx)                            \
	{                                                                                    \
		if (sample_every > 1)                                                        \
			note_set(TXR_NOTE_SAMPLED_OUT, false);                                   \
		return send_exit(ctx->ret);                                                  \
	}

/* The build architecture's numbers (syscalls.h); the collector names them. */
#define TXR_SYS_PAIR(name, fd_arg) SYS_PAIR(name, TXR_NR_##name, fd_arg)
TXR_SEND_SYSCALLS(TXR_SYS_PAIR)

/* Syscalls that send one message, so sock_send_length (once per
 * sock_sendmsg) on their socket is their end: __sys_sendto, ____sys_sendmsg
 * and sock_write_iter (write, writev) call sock_sendmsg once; its return is
 * theirs. sendmmsg calls it per message; sendfile and splice per chunk
 * (splice_to_socket); io_uring's record ends at its completion. */
static __always_inline bool ends_at_length(const struct txr_send_ctx *send, const struct sock *sk)
{
	__u32 nr = send->syscall_nr;
	return send->sk == (__u64)sk &&
	       (nr == TXR_NR_sendto || nr == TXR_NR_sendmsg || nr == TXR_NR_write || nr == TXR_NR_writev);
}

/* The end of a message; of the whole send for sendto, sendmsg, write and
 * writev (ends_at_length): the record is written here, and their sys_exit
 * program, finding no active send, returns at once. A send that fails before
 * sock_sendmsg (a bad address: EFAULT; an LSM refusal) never comes here:
 * its sys_exit writes its record with the errno. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(txr_tp_sock_send_length, struct sock *sk, int ret, int flags)
{
	struct txr_send_ctx *send = current_send();
	if (send && ends_at_length(send, sk)) {
		send_end(send, ret);
		return 0;
	}
	message_done(send);
	return 0;
}

/* Not stages: each CPU's softirq and device IRQ handlers, so that what an
 * interrupt makes never takes the interrupted thread's send (irq_context.bpf.h). */
SEC("tp_btf/softirq_entry")
int BPF_PROG(txr_tp_softirq_entry) { irq_flag(false, 1); return 0; }
SEC("tp_btf/softirq_exit")
int BPF_PROG(txr_tp_softirq_exit) { irq_flag(false, 0); return 0; }
SEC("tp_btf/irq_handler_entry")
int BPF_PROG(txr_tp_irq_handler_entry) { irq_flag(true, 1); return 0; }
SEC("tp_btf/irq_handler_exit")
int BPF_PROG(txr_tp_irq_handler_exit) { irq_flag(true, 0); return 0; }

#endif /* TXRAY_HOOKS_SYSCALL_BPF_H */
