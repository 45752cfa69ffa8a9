/* The summary's maps, per interface (txray live --summary, txray agent), and
 * the in-kernel selection of records (--slower-than, --drops-only).
 *
 * Histograms: one row of log2 buckets plus a sum per (interface slot, stage)
 * and per (slot, end to end). Packets per (slot, outcome), drops per (stage
 * before the drop, reason), failed sends per errno.
 *
 * Interface slots: the first TXR_IF_SLOTS - 1 devices the kernel sees get a
 * slot each, named at first sight (global txr_ifaces, read by user space);
 * the rest share slot 0, "other" (counted: TXR_C_IF_OTHER). A packet looks its
 * device up once, in a short scan of that array, when it is created (lean) or
 * when it ends (records).
 *
 * Included by txray.bpf.c after count(). */
#pragma once

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 r = log2_u64(v); /* lib/log2.bpf.h */
	return r < TXR_HIST_BUCKETS ? r : TXR_HIST_BUCKETS - 1;
}

/* Records: update the summary maps too (the agent keeping outliers). */
const volatile __u8 summary_maps = 0;
/* Selection: emit a packet's record only if slower than this (first to last
 * stage) or, with select_drops, dropped. select_on: either is set. */
const volatile __u8 select_on = 0;
const volatile __u8 select_drops = 0;
const volatile __u64 select_slower_ns = 0;

struct txr_iface txr_ifaces[TXR_IF_SLOTS];
__u8 txr_if_full; /* every slot claimed: the rest are "other" */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_IF_SLOTS * TXR_HIST_ROWS);
	__type(key, __u32);
	__type(value, struct txr_hist_row);
} txr_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_OUTCOME_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} txr_outcomes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_DROP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} txr_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_ERRNOS);
	__type(key, __u32);
	__type(value, __u64);
} txr_errnos SEC(".maps");

/* Who claimed each slot: a hash update with BPF_NOEXIST succeeds for one
 * CPU only (the bucket is locked), without atomics (clang 14's BPF target
 * v1 cannot use an atomic's result). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TXR_IF_SLOTS);
	__type(key, __u32);   /* slot */
	__type(value, __u64); /* device key */
} txr_if_claims SEC(".maps");

#define TXR_IF_CLAIMED 0x100

/* The slot of device (key, ifindex), claimed at first sight (then the result
 * has TXR_IF_CLAIMED and the caller writes the name: user space skips a slot
 * until it has one). Two CPUs seeing a new device at once may claim a slot
 * each: both carry its name, and user space adds up slots of the same name.
 * Global: verified once, and its loops stay off the callers' stacks. */
__noinline int txr_if_slot(__u64 key, __u32 ifindex)
{
	if (!key)
		return 0;
	for (__u32 i = 1; i < TXR_IF_SLOTS; i++) {
		if (txr_ifaces[i].key == key && txr_ifaces[i].ifindex == ifindex)
			return i;
		if (!txr_ifaces[i].key)
			break;
	}
	if (txr_if_full)
		goto other;
	for (__u32 i = 1; i < TXR_IF_SLOTS; i++) {
		__u32 claim = i; /* its address goes to the helper: i stays bounded */
		if (txr_ifaces[i].key || bpf_map_update_elem(&txr_if_claims, &claim, &key, BPF_NOEXIST))
			continue;
		txr_ifaces[i].ifindex = ifindex;
		txr_ifaces[i].key = key;
		return i | TXR_IF_CLAIMED;
	}
	txr_if_full = 1;
other:
	count(TXR_C_IF_OTHER);
	return 0;
}

/* txr_if_slot, naming a slot it claimed from `name` (kernel memory). */
static __always_inline __u32 if_slot(__u64 key, __u32 ifindex, const char *name)
{
	int r = txr_if_slot(key, ifindex);
	__u32 slot = r & (TXR_IF_SLOTS - 1);
	if (r & TXR_IF_CLAIMED)
		bpf_probe_read_kernel_str(txr_ifaces[slot].name, sizeof(txr_ifaces[slot].name), name);
	return slot;
}

/* The lean summary's device: skb->dev, keyed by its address and ifindex
 * (ifindexes are allocated cyclically, so a freed device's address reused
 * by a new one does not match). */
static __always_inline __u8 lean_if_slot(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	if (!dev)
		return TXR_IF_UNSET;
	return if_slot((__u64)dev, BPF_CORE_READ(dev, ifindex), dev->name);
}

static __always_inline void hist_add(__u32 slot, __u32 row, __u64 delta)
{
	__u32 key = (slot < TXR_IF_SLOTS ? slot : 0) * TXR_HIST_ROWS + row;
	struct txr_hist_row *r = bpf_map_lookup_elem(&txr_hist, &key);
	if (!r)
		return;
	r->buckets[log2_bucket(delta)] += 1;
	r->sum_ns += delta;
}

/* hist_add as a global function: verified once on its own, and its caller
 * sees one path (log2_bucket's branches give each bucket its own constant,
 * which the verifier would follow separately through every later stage). */
__noinline int txr_hist_add(__u32 slot, __u32 row, __u64 delta)
{
	hist_add(slot, row, delta);
	return 0;
}

/* A packet ended: its outcome per interface, and a drop's stage and reason. */
static __always_inline void outcome_add(__u32 slot, bool dropped, __u32 last_stage, __u32 reason)
{
	percpu_inc(&txr_outcomes, (slot < TXR_IF_SLOTS ? slot : 0) * 2 + (dropped ? 1 : 0));
	if (!dropped)
		return;
	if (reason >= TXR_DROP_REASONS)
		reason = TXR_DROP_REASONS - 1;
	percpu_inc(&txr_drops, (last_stage < TXR_ST_COUNT ? last_stage : TXR_ST_DROP) * TXR_DROP_REASONS + reason);
}

/* A send syscall failed (summary with syscalls). */
static __always_inline void errno_add(long ret)
{
	if (ret >= 0)
		return;
	__u64 e = -ret;
	percpu_inc(&txr_errnos, e < TXR_ERRNOS ? e : TXR_ERRNOS - 1);
}

/* --by cgroup: packets and the end-to-end histogram per (cgroup, interface
 * slot). A cgroup that finds the table full counts in txr_cgroup_other and
 * TXR_C_CGROUP_FULL; packets of no cgroup (id 0) count there uncounted. */
const volatile __u8 by_cgroup = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1); /* TXR_CGROUP_ENTRIES with --by cgroup (user space) */
	__type(key, struct txr_cgroup_key);
	__type(value, struct txr_cgroup_row);
} txr_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TXR_IF_SLOTS);
	__type(key, __u32);
	__type(value, struct txr_cgroup_row);
} txr_cgroup_other SEC(".maps");

struct txr_cgroup_row txr_cgroup_zero; /* a new entry's value (never written) */

/* The cgroup v2 id of the socket's cgroup (the one cgroup_skb programs and
 * bpf_skb_cgroup_id see: sock_cgroup_ptr(), set when the socket was made).
 * Before Linux 5.15 sock_cgroup_data has no plain pointer (a tagged union):
 * there the current task's cgroup stands in. `trusted`: plain loads (KREAD). */
static __always_inline __u64 sk_cgroup_id(struct sock *sk, bool trusted)
{
	if (!bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return bpf_get_current_cgroup_id();
	if (!sk)
		return 0;
	__u8 state = KREAD(trusted, sk, __sk_common.skc_state);
	if (state == 6 /* TCP_TIME_WAIT */ || state == 12 /* TCP_NEW_SYN_RECV */)
		return 0; /* not a full socket: no cgroup data */
	struct cgroup *cg = KREAD(trusted, sk, sk_cgrp_data.cgroup);
	if (!cg)
		return 0;
	return trusted ? cg->kn->id : BPF_CORE_READ(cg, kn, id);
}

/* A packet ended: its cgroup's row (e2e_ns 0: no end-to-end time). Global:
 * verified once. */
__noinline int txr_cgroup_add(__u64 cgroup_id, __u32 slot, __u32 dropped, __u64 e2e_ns)
{
	struct txr_cgroup_key k = {.cgroup_id = cgroup_id, .ifslot = slot < TXR_IF_SLOTS ? slot : 0};
	struct txr_cgroup_row *r = NULL;
	if (cgroup_id) {
		r = bpf_map_lookup_elem(&txr_cgroups, &k);
		if (!r) { /* another CPU may make it meanwhile: look again */
			bpf_map_update_elem(&txr_cgroups, &k, &txr_cgroup_zero, BPF_NOEXIST);
			r = bpf_map_lookup_elem(&txr_cgroups, &k);
		}
		if (!r)
			count(TXR_C_CGROUP_FULL);
	}
	if (!r) {
		__u32 s = k.ifslot;
		r = bpf_map_lookup_elem(&txr_cgroup_other, &s);
		if (!r)
			return 0;
	}
	r->packets[dropped ? 1 : 0] += 1;
	if (e2e_ns) {
		r->e2e.buckets[log2_bucket(e2e_ns)] += 1;
		r->e2e.sum_ns += e2e_ns;
	}
	return 0;
}

/* What txr_summarise and txr_selected read of a packet's record. A global
 * function may take no pointer to memory before Linux 5.12, so the caller
 * copies it here (summary_row_push), one row per nesting level: a softirq
 * may end a packet while a program it interrupted on this CPU is between
 * copy and call. */
#define TXR_SUMMARY_NEST 4
struct txr_summary_row {
	__u64 ts[TXR_ST_COUNT];
	__u64 cgroup_id;
	__u32 netns, ifindex, drop_reason;
	__u8 end;
	__u8 pad[3];
	char ifname[TXR_IFNAME_LEN];
};
struct txr_summary_in {
	__u32 depth;
	__u32 pad;
	struct txr_summary_row row[TXR_SUMMARY_NEST];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct txr_summary_in);
} txr_summary_in SEC(".maps");

/* The row at nesting level `depth` (a global function's scalar argument). */
static __always_inline struct txr_summary_row *summary_row(__u32 depth)
{
	__u32 zero = 0;
	struct txr_summary_in *in = bpf_map_lookup_elem(&txr_summary_in, &zero);
	return in ? &in->row[depth & (TXR_SUMMARY_NEST - 1)] : NULL;
}

/* Copies p in; false when nested too deep. summary_row_pop(*depth) after. */
static __always_inline bool summary_row_push(const struct txr_packet *p, __u32 *depth)
{
	__u32 zero = 0;
	struct txr_summary_in *in = bpf_map_lookup_elem(&txr_summary_in, &zero);
	if (!in)
		return false;
	__u32 d = in->depth;
	if (d >= TXR_SUMMARY_NEST)
		return false;
	barrier_var(d); /* keep the mask below: 5.10's verifier loses the bound on a spill */
	struct txr_summary_row *r = &in->row[d & (TXR_SUMMARY_NEST - 1)];
	__builtin_memcpy(r->ts, p->ts, sizeof(r->ts));
	r->cgroup_id = p->cgroup_id;
	r->netns = p->netns;
	r->ifindex = p->ifindex;
	r->drop_reason = p->drop_reason;
	r->end = p->end;
	__builtin_memcpy(r->ifname, p->ifname, sizeof(r->ifname));
	in->depth = d + 1;
	*depth = d;
	return true;
}

static __always_inline void summary_row_pop(__u32 depth)
{
	__u32 zero = 0;
	struct txr_summary_in *in = bpf_map_lookup_elem(&txr_summary_in, &zero);
	if (in)
		in->depth = depth;
}

/* Records: each stage's time since the previous stage (kernel order), and
 * syscall (or first stage) to the driver's return, or to the drop; per the
 * packet's device (netns, ifindex, name as the record holds them).
 * Global too: verified once, not once per path of each caller. */
__noinline int txr_summarise(__u32 depth)
{
	__u64 prev = 0, first = 0, last = 0;
	__u32 before_drop = TXR_ST_DROP;
	struct txr_summary_row *p = summary_row(depth);
	if (!p)
		return 0;
	__u32 slot = p->ifindex ? if_slot(((__u64)p->netns << 32) | 1, p->ifindex, p->ifname) : 0;
	for (int s = 0; s < TXR_ST_SENDMSG_RETURN; s++) {
		__u64 ts = p->ts[s];
		if (!ts)
			continue;
		if (prev && ts >= prev)
			txr_hist_add(slot, s, ts - prev);
		prev = ts;
		if (!first)
			first = ts;
		if (s != TXR_ST_DROP)
			before_drop = s;
		if (s == TXR_ST_DRIVER_XMIT || s == TXR_ST_XMIT_DONE || s == TXR_ST_DROP || (s == TXR_ST_FREE && !last))
			last = ts;
	}
	if (first && last > first)
		txr_hist_add(slot, TXR_HIST_E2E, last - first);
	outcome_add(slot, p->end == TXR_END_DROP, before_drop, p->drop_reason);
	if (by_cgroup)
		txr_cgroup_add(p->cgroup_id, slot, p->end == TXR_END_DROP, first && last > first ? last - first : 0);
	return 0;
}

/* --slower-than / --drops-only: is this packet's record emitted? Slower:
 * first to last stage stamped in the kernel (the syscall's return is not in
 * the packet's record) above select_slower_ns. One whose end was never seen
 * (superseded: its skb's address came back first, finish_superseded) is
 * emitted unfinished either way, as user space's sweep emits the ones it
 * expires: how long it took, or whether it was dropped, is not known. */
__noinline int txr_selected(__u32 depth)
{
	struct txr_summary_row *p = summary_row(depth);
	if (!p)
		return 0;
	if (p->end == TXR_END_EXPIRED)
		return 1;
	if (select_drops && p->end == TXR_END_DROP)
		return 1;
	if (!select_slower_ns)
		return 0;
	__u64 first = 0, last = 0;
	for (int s = 0; s < TXR_ST_SENDMSG_RETURN; s++) {
		__u64 ts = p->ts[s];
		if (!ts)
			continue;
		if (!first || ts < first)
			first = ts;
		if (ts > last)
			last = ts;
	}
	return first && last - first > select_slower_ns;
}
