/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The send syscalls txray follows, and their numbers on the architecture the
 * BPF object and user space are built for: the one place they are written.
 * Plain C, no includes (bpf/txray.bpf.c hooks them, the collector names them). */
#ifndef TXRAY_SYSCALLS_H
#define TXRAY_SYSCALLS_H

/* X(name): syscalls:sys_enter_<name> / sys_exit_<name>, number TXR_NR_<name>. */
#define TXR_SEND_SYSCALLS(X) X(sendto) X(sendmsg) X(sendmmsg) X(write) X(writev)

#if defined(__TARGET_ARCH_x86) || defined(__x86_64__)
/* arch/x86/entry/syscalls/syscall_64.tbl */
#define TXR_NR_sendto 44
#define TXR_NR_sendmsg 46
#define TXR_NR_sendmmsg 307
#define TXR_NR_write 1
#define TXR_NR_writev 20
#elif defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
/* include/uapi/asm-generic/unistd.h */
#define TXR_NR_sendto 206
#define TXR_NR_sendmsg 211
#define TXR_NR_sendmmsg 269
#define TXR_NR_write 64
#define TXR_NR_writev 66
#else
#error "txray: syscall numbers for this architecture are missing (bpf/syscalls.h)"
#endif

#endif /* TXRAY_SYSCALLS_H */
