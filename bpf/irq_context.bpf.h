/* SPDX-License-Identifier: GPL-2.0 */
/* Is this program running for the task `current`, or for an interrupt that
 * borrowed its CPU? A softirq served on a thread's CPU (net_rx_action on a
 * veth peer's packet, a TCP timer, the TSQ tasklet, an ACK that releases
 * queued data: __do_softirq from irq_exit or local_bh_enable) and a hard IRQ
 * see the interrupted thread as `current`: its task storage, its pid, its
 * syscall. What they make is not the thread's.
 *
 * The kernel's own answer, in_task() (preempt_count's SOFTIRQ_OFFSET and
 * HARDIRQ bits), is a per-CPU variable on x86 (__preempt_count, or
 * pcpu_hot.preempt_count on 6.2..6.14): a typed __ksym, which the verifier
 * resolves through kallsyms_lookup_name, so only with CONFIG_KALLSYMS_ALL
 * (and a BTF that lists per-CPU variables: Debian's 5.10 has none). Instead
 * each CPU keeps its own flags from the tracepoints around every softirq
 * handler (__do_softirq: trace_softirq_entry, h->action(), trace_softirq_exit)
 * and every device IRQ handler (__handle_irq_event_percpu:
 * irq_handler_entry/exit); a softirq does not nest in another on one CPU.
 * Caveats: for the first softirq a CPU is in when txray attaches, the entry
 * was missed (judged as the task); PREEMPT_RT runs softirqs in preemptible
 * threads (a task preempting one on that CPU would be judged an interrupt).
 *
 * Part of txray.bpf.c, split by concern (not a standalone header). */
#pragma once

/* Set by user space: the four programs below are loaded. */
const volatile __u8 irq_ctx_known = 0;

struct txr_irq_state {
	__u32 softirq; /* inside a softirq handler */
	__u32 hardirq; /* inside a device IRQ handler */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_irq_state);
} txr_irq_state SEC(".maps");

static __always_inline void irq_flag(bool hard, __u32 on)
{
	__u32 zero = 0;
	struct txr_irq_state *st = bpf_map_lookup_elem(&txr_irq_state, &zero);
	if (!st)
		return;
	if (hard)
		st->hardirq = on;
	else
		st->softirq = on;
}

/* Its programs: hooks/syscall.bpf.h (loaded with the syscall stage). */

/* What runs this program: 0 the task (process context, also where it cannot
 * be told), 1 a softirq handler, 2 a device IRQ handler. Each level only
 * interrupts lower ones, so per-CPU scratch space indexed by it is never
 * shared by a program and one that interrupted it. */
enum { TXR_IN_TASK = 0, TXR_IN_SOFTIRQ, TXR_IN_HARDIRQ, TXR_CTX_LEVELS };
static __always_inline __u32 ctx_level(void)
{
	if (!irq_ctx_known)
		return TXR_IN_TASK;
	__u32 zero = 0;
	struct txr_irq_state *st = bpf_map_lookup_elem(&txr_irq_state, &zero);
	if (!st)
		return TXR_IN_TASK;
	return st->hardirq ? TXR_IN_HARDIRQ : st->softirq ? TXR_IN_SOFTIRQ : TXR_IN_TASK;
}

/* True when an interrupt (a softirq or device IRQ handler) runs this
 * program; false in process context, and where it cannot be told. */
static __always_inline bool in_interrupt_ctx(void)
{
	return ctx_level() != TXR_IN_TASK;
}
