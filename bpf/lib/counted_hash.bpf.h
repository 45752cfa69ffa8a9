/* SPDX-License-Identifier: GPL-2.0 */
/* A hash of in-flight packets whose entries are counted host-wide, so that a
 * lookup while it is empty costs a load instead of a hash walk.
 *
 * Most packets never enter the skb-keyed hash (a veth or lo packet is made and
 * ended in its thread's slot, lib/thread_slot.bpf.h), yet the stage that makes
 * a record looks there first for a record of the same skb address, and the
 * skb's free looks there for a packet that is still going: two misses per
 * packet, ~100 ns together in `record` on veth (perf: __htab_map_lookup_elem
 * and htab_map_hash under txr_cgroup_egress and txr_tp_kfree_skb), mostly the
 * cache miss on a random bucket.
 *
 * The count, a global `<map>_entries` declared beside each such map, is an
 * upper bound of its entries: raised before an insert (lowered again when it
 * fails), lowered after a delete that found the entry, in the kernel or by
 * user space's sweep (Session::sweep). A CPU looking for a record another CPU
 * inserted got the skb from it through the kernel's own synchronisation (a
 * qdisc's lock, a queue), after the raise: it sees the count.
 *
 * Standalone: needs vmlinux.h and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_COUNTED_HASH_BPF_H
#define TXRAY_LIB_COUNTED_HASH_BPF_H

#define counted_entries(map) map##_entries

/* The value at *key in `map` (the map's name, not its address), or NULL. */
#define counted_lookup(map, key)                                                           \
	(*(volatile __u64 *)&counted_entries(map) ? bpf_map_lookup_elem(&map, key) : NULL)

/* bpf_map_update_elem(BPF_NOEXIST), counted: 0 or the helper's error. */
#define counted_insert(map, key, value)                                                    \
	({                                                                                 \
		__sync_fetch_and_add(&counted_entries(map), 1);                          \
		long __err = bpf_map_update_elem(&map, key, value, BPF_NOEXIST);          \
		if (__err)                                                                 \
			__sync_fetch_and_sub(&counted_entries(map), 1);                  \
		__err;                                                                     \
	})

/* bpf_map_delete_elem, counted when it found the entry. */
#define counted_delete(map, key)                                                           \
	do {                                                                               \
		if (!bpf_map_delete_elem(&map, key))                                       \
			__sync_fetch_and_sub(&counted_entries(map), 1);                  \
	} while (0)

#endif /* TXRAY_LIB_COUNTED_HASH_BPF_H */
