/* SPDX-License-Identifier: GPL-2.0 */
/* The process a record carries: pid, tid, cgroup id and comm, named alike in
 * every struct that holds one (the packet, the send, the thread's send
 * context, a TCP call, a WireGuard GSO parent).
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

#endif
