/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The send syscalls txray follows, and their numbers on the architecture the
 * BPF object and user space are built for: the one place they are written.
 * Plain C, no includes (bpf/txray.bpf.c hooks them, the collector names them). */
#ifndef TXRAY_SYSCALLS_H
#define TXRAY_SYSCALLS_H

/* X(name, fd): syscalls:sys_enter_<name> / sys_exit_<name>, number
 * TXR_NR_<name>, the socket in argument `fd` (splice's out fd is its third). */
#define TXR_SEND_SYSCALLS(X) \
	X(sendto, 0) X(sendmsg, 0) X(sendmmsg, 0) X(write, 0) X(writev, 0) X(sendfile64, 0) X(splice, 2)

/* io_uring's sends (bpf/hooks/uring.bpf.h) are not hooked at this syscall's
 * entry (its fd is the ring): their records carry its number, the same on
 * every architecture (the generic table's 426). */
#define TXR_NR_io_uring_enter 426

#if defined(__TARGET_ARCH_x86) || defined(__x86_64__)
/* arch/x86/entry/syscalls/syscall_64.tbl */
#define TXR_NR_sendto 44
#define TXR_NR_sendmsg 46
#define TXR_NR_sendmmsg 307
#define TXR_NR_write 1
#define TXR_NR_writev 20
#define TXR_NR_sendfile64 40
#define TXR_NR_splice 275
#elif defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
/* include/uapi/asm-generic/unistd.h */
#define TXR_NR_sendto 206
#define TXR_NR_sendmsg 211
#define TXR_NR_sendmmsg 269
#define TXR_NR_write 64
#define TXR_NR_writev 66
#define TXR_NR_sendfile64 71
#define TXR_NR_splice 76
#else
#error "txray: syscall numbers for this architecture are missing (bpf/syscalls.h)"
#endif

#endif /* TXRAY_SYSCALLS_H */
