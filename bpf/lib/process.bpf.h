/* SPDX-License-Identifier: GPL-2.0 */
/* The process a record carries: pid, tid, cgroup id and comm, named alike in
 * every struct that holds one (the packet, the send, the thread's send
 * context, a TCP call, a WireGuard GSO parent), and how the current task's
 * are read.
 *
 * Standalone: needs vmlinux.h and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_PROCESS_BPF_H
#define TXRAY_LIB_PROCESS_BPF_H

/* dst's process fields from src's (both pointers to such structs). */
#define TXR_COPY_PROCESS(dst, src)                                                 \
	do {                                                                       \
		(dst)->pid = (src)->pid;                                           \
		(dst)->tid = (src)->tid;                                           \
		(dst)->cgroup_id = (src)->cgroup_id;                               \
		_Static_assert(sizeof((dst)->comm) == sizeof((src)->comm), "comm"); \
		__builtin_memcpy((dst)->comm, (src)->comm, sizeof((dst)->comm));   \
	} while (0)

/* The current task's cgroup v2 id: what bpf_get_current_cgroup_id() reads
 * (task_dfl_cgroup(current)->kn->id), by plain loads from the task's BTF
 * pointer when `by_task` (the program may call bpf_get_current_task_btf: a
 * load-time constant, so the verifier drops the other branch). ~30 ns less
 * per call (perf: the helper's own frame in txr_enter_sendto). */
static __always_inline __u64 current_cgroup_id_by(bool by_task)
{
	if (!by_task)
		return bpf_get_current_cgroup_id();
	return bpf_get_current_task_btf()->cgroups->dfl_cgrp->kn->id;
}

/* The current task's comm into the char array `dst`, the same way:
 * task->comm is NUL-padded (__set_task_comm: strscpy_pad), so two plain
 * loads give what bpf_get_current_comm's copy would. */
#define current_comm_by(by_task, dst)                                                      \
	do {                                                                               \
		_Static_assert(sizeof(dst) == sizeof(((struct task_struct *)0)->comm), "comm"); \
		if (by_task)                                                               \
			__builtin_memcpy(dst, bpf_get_current_task_btf()->comm, sizeof(dst)); \
		else                                                                       \
			bpf_get_current_comm(dst, sizeof(dst));                          \
	} while (0)

#endif
