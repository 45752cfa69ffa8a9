// The in-flight tables seen from user space: packets the kernel follows
// (txr_inflight, or txr_lean_inflight in the lean summary), counted, and
// swept when their end never came (a drop or free no hook saw, a device
// that kept the skb).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <vector>

#include "session.h"
#include "txray.skel.h"

namespace txray {

namespace {

// The ids user space gives the lean packets it sweeps: the kernel's are
// (per-CPU counter << 8) | cpu, far below this bit.
constexpr std::uint64_t kSweptIdBit = 1ull << 63;

// Calls f(key) for every key of a map keyed by skb address. When the kernel
// deletes the current key meanwhile, the walk restarts at the first key
// (htab_map_get_next_key), so a key may come twice: take_stale's "read
// again and delete" skips a repeat; a count is approximate.
template <typename F>
void for_each_skb_key(int fd, F&& f) {
    std::uint64_t key = 0, next = 0;
    bool first = true;
    while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
        first = false;
        key = next;
        f(key);
    }
}

// Removes the entries of the table `fd` that `stale(value)` picks, and calls
// taken(key, value) for each one this call deleted. Each is read again
// before its delete: one the kernel finished meanwhile is gone, not taken.
template <typename Value, typename Stale, typename Taken>
void take_stale(int fd, Stale&& stale, Taken&& taken) {
    std::vector<std::uint64_t> keys;
    Value v{};
    for_each_skb_key(fd, [&](std::uint64_t key) {
        if (bpf_map_lookup_elem(fd, &key, &v) == 0 && stale(v)) keys.push_back(key);
    });
    for (auto k : keys)
        if (bpf_map_lookup_elem(fd, &k, &v) == 0 && bpf_map_delete_elem(fd, &k) == 0) taken(k, v);
}

// An entry this sweep deleted leaves its hash's count (bpf/lib/counted_hash.bpf.h),
// or txr_parked, which the programs raise and lower with atomics on the same
// mapped page.
void forget_counted(__u64& entries) {
    __atomic_fetch_sub(&entries, 1, __ATOMIC_SEQ_CST);
}

}  // namespace

std::vector<txr_packet> Session::sweep(std::uint64_t before_ns) {
    std::vector<txr_packet> out;
    auto older = [before_ns](const txr_packet& p) {
        std::uint64_t newest = 0;
        for (auto ts : p.ts) newest = ts > newest ? ts : newest;
        return newest < before_ns;
    };
    take_stale<txr_packet>(bpf_map__fd(skel_->maps.txr_inflight), older, [&](std::uint64_t, txr_packet& p) {
        forget_counted(skel_->bss->txr_inflight_entries);
        // Parked for its receive (bpf/hops.bpf.h park): no longer.
        if (p.hop_state) forget_counted(skel_->bss->txr_parked);
        // No hop passed the filters (yet): left out, as the kernel would.
        if (p.flags & TXR_PF_PENDING_FILTER) return;
        p.end = TXR_END_EXPIRED;
        out.push_back(p);
    });
    return out;
}

std::vector<txr_lean_record> Session::sweep_lean(std::uint64_t before_ns) {
    std::vector<txr_lean_record> out;
    auto older = [before_ns](const txr_lean& l) { return l.prev < before_ns; };
    // A map without the selection keeps only the head of each txr_lean
    // (Session::size_maps): the tail read here stays zero then.
    take_stale<txr_lean>(bpf_map__fd(skel_->maps.txr_lean_inflight), older,
                         [&](std::uint64_t key, const txr_lean& l) {
        forget_counted(skel_->bss->txr_lean_inflight_entries);
        // Pending: no device passed the filters, never counted: left out.
        if (l.pending) return;
        txr_lean_record r{};
        r.l = l;
        r.kind = TXR_REC_LEAN;
        r.end = TXR_END_EXPIRED;
        r.skb = key;
        r.id = kSweptIdBit | ++swept_ids_;
        if (l.ifslot != TXR_IF_UNSET && l.ifslot != 0 && l.ifslot < TXR_IF_SLOTS) {
            const txr_iface& i = skel_->bss->txr_ifaces[l.ifslot];
            r.ifindex = i.ifindex;
            std::memcpy(r.ifname, i.name, sizeof r.ifname);
        }
        out.push_back(r);
    });
    return out;
}

std::size_t Session::inflight_count() const {
    std::size_t n = 0;
    const bpf_map* map = lean_ ? skel_->maps.txr_lean_inflight : skel_->maps.txr_inflight;
    const int fd = bpf_map__fd(map);
    txr_lean l{};
    txr_packet p{};
    // A packet pending on the device filters (no device passed them yet) is
    // not one the output would count: left out if none does.
    for_each_skb_key(fd, [&](std::uint64_t key) {
        if (lean_)
            n += bpf_map_lookup_elem(fd, &key, &l) == 0 && !l.pending;
        else
            n += bpf_map_lookup_elem(fd, &key, &p) == 0 && !(p.flags & TXR_PF_PENDING_FILTER);
    });
    return n;
}

}  // namespace txray
