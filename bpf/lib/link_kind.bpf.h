/* SPDX-License-Identifier: GPL-2.0 */
/* A device's type by name: rtnl_link_ops->kind, the KIND of
 * `ip link add ... type KIND` ("veth", "wireguard"); NULL for devices that
 * drivers register themselves (a NIC, lo).
 *
 * Standalone: needs vmlinux.h and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_LINK_KIND_BPF_H
#define TXRAY_LIB_LINK_KIND_BPF_H

#include <bpf/bpf_core_read.h>

#define TXR_LINK_KIND_MAX 16

/* Whether a kind read from rtnl_link_ops->kind is `want`, n bytes with its NUL
 * (use LINK_KIND_EQ). */
static __always_inline bool link_kind_eq(const char kind[TXR_LINK_KIND_MAX], const char *want, __u32 n)
{
#pragma unroll
	for (__u32 i = 0; i < TXR_LINK_KIND_MAX; i++) {
		if (i >= n)
			break;
		if (kind[i] != want[i])
			return false;
	}
	return true;
}
#define LINK_KIND_EQ(kind, literal) link_kind_eq(kind, literal, sizeof(literal))

/* The kinds txray tells devices apart by. */
enum txr_link_kind {
	TXR_LINK_NONE,      /* no rtnl_link_ops: registered by its driver (a NIC, lo) */
	TXR_LINK_VETH,
	TXR_LINK_WIREGUARD,
	TXR_LINK_TUN,       /* tun and tap: tun_set_iff gives both tun_link_ops ("tun") */
	TXR_LINK_OTHER,
};

/* Each CPU's answers for the last rtnl_link_ops it saw, a few of them.
 * Reading the kind is a probe read of a string in its module's rodata: ~35
 * ns per packet at net_dev_start_xmit over veth (bpf_stats), half of that
 * program's time above the floor's. An entry holds the ops and the address
 * of its kind string; for an answer to be wrong, both would have to come back
 * as another module's after the first was unloaded. (Searched, not indexed
 * by address: the verifier allows no shift of a pointer.) */
#define TXR_LINK_KIND_CACHE 4
struct txr_link_kind_cache {
	struct {
		__u64 ops;
		__u64 name;
		__u32 kind;
		__u32 pad;
	} e[TXR_LINK_KIND_CACHE];
	__u32 next; /* the entry replaced next */
	__u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_link_kind_cache);
} txr_link_kinds SEC(".maps");

/* The kind of a device whose rtnl_link_ops is `ops` and ops->kind `name`,
 * read by the caller (link_kind_of, link_kind_of_untrusted). */
static __always_inline enum txr_link_kind link_kind_at(const struct rtnl_link_ops *ops, const char *name)
{
	if (!ops || !name)
		return TXR_LINK_NONE;
	__u32 zero = 0;
	struct txr_link_kind_cache *c = bpf_map_lookup_elem(&txr_link_kinds, &zero);
	if (c) {
#pragma unroll
		for (int i = 0; i < TXR_LINK_KIND_CACHE; i++)
			if (c->e[i].ops == (__u64)ops && c->e[i].name == (__u64)name)
				return c->e[i].kind;
	}
	char kind[TXR_LINK_KIND_MAX] = {};
	bpf_probe_read_kernel(kind, sizeof("wireguard"), name);
	enum txr_link_kind k = LINK_KIND_EQ(kind, "veth")	  ? TXR_LINK_VETH
			       : LINK_KIND_EQ(kind, "wireguard") ? TXR_LINK_WIREGUARD
			       : LINK_KIND_EQ(kind, "tun")	  ? TXR_LINK_TUN
								  : TXR_LINK_OTHER;
	if (c) {
		/* ops last: a program nested on this CPU between these stores
		 * (an IRQ's) finds no entry, or one whose ops and name disagree
		 * with any device's: a miss either way. */
		__u32 i = c->next & (TXR_LINK_KIND_CACHE - 1);
		c->next = i + 1;
		c->e[i].ops = 0;
		asm volatile("" ::: "memory");
		c->e[i].name = (__u64)name;
		c->e[i].kind = k;
		asm volatile("" ::: "memory");
		c->e[i].ops = (__u64)ops;
	}
	return k;
}

/* dev's kind (plain loads: dev is a tp_btf argument). */
static __always_inline enum txr_link_kind link_kind_of(const struct net_device *dev)
{
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	return link_kind_at(ops, ops ? ops->kind : NULL);
}

/* The same for a device read from memory or a kprobe's argument (probe reads:
 * plain loads are refused there). */
static __always_inline enum txr_link_kind link_kind_of_untrusted(const struct net_device *dev)
{
	const struct rtnl_link_ops *ops = BPF_CORE_READ(dev, rtnl_link_ops);
	return link_kind_at(ops, ops ? BPF_CORE_READ(ops, kind) : NULL);
}

#endif /* TXRAY_LIB_LINK_KIND_BPF_H */
