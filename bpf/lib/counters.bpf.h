/* SPDX-License-Identifier: GPL-2.0 */
/* txray's event counters (enum in txray.h: lost records, full tables,
 * filtered packets...): one per-CPU array, summed by user space
 * (Session::counters). Per CPU, so counting never shares a cache line.
 *
 * Standalone: needs vmlinux.h and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_COUNTERS_BPF_H
#define TXRAY_LIB_COUNTERS_BPF_H

#include "txray.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} txr_counters SEC(".maps");

/* Adds one to entry `key` of a per-CPU array of __u64. */
static __always_inline void percpu_inc(void *map, __u32 key)
{
	__u64 *c = bpf_map_lookup_elem(map, &key);
	if (c)
		*c += 1;
}

static __always_inline void count(__u32 which)
{
	percpu_inc(&txr_counters, which);
}

#endif /* TXRAY_LIB_COUNTERS_BPF_H */
