/* SPDX-License-Identifier: GPL-2.0 */
/* A device's type by name: rtnl_link_ops->kind, the KIND of
 * `ip link add ... type KIND` ("veth", "wireguard"); NULL for devices that
 * drivers register themselves (a NIC, lo).
 *
 * Standalone: needs vmlinux.h and bpf/bpf_helpers.h. */
#ifndef TXRAY_LIB_LINK_KIND_BPF_H
#define TXRAY_LIB_LINK_KIND_BPF_H

#define TXR_LINK_KIND_MAX 16

/* The first n bytes of dev's kind into kind (zeroed by the caller); false
 * for a device without one. */
static __always_inline bool link_kind_read(const struct net_device *dev, char kind[TXR_LINK_KIND_MAX], __u32 n)
{
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	if (!ops)
		return false;
	const char *k = ops->kind;
	if (!k)
		return false;
	bpf_probe_read_kernel(kind, n < TXR_LINK_KIND_MAX ? n : TXR_LINK_KIND_MAX, k);
	return true;
}

/* Whether a kind read by link_kind_read is `want`, n bytes with its NUL
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

/* Whether dev's kind is `want`, n bytes with its NUL (use LINK_KIND_IS). */
static __always_inline bool link_kind_is(const struct net_device *dev, const char *want, __u32 n)
{
	char kind[TXR_LINK_KIND_MAX] = {};
	return link_kind_read(dev, kind, n) && link_kind_eq(kind, want, n);
}
#define LINK_KIND_IS(dev, literal) link_kind_is(dev, literal, sizeof(literal))

#endif /* TXRAY_LIB_LINK_KIND_BPF_H */
