// Session::summary_maps(): the summary's per-CPU maps summed over CPUs, and
// the interface slots the kernel named (bpf/agent_metrics.bpf.h).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "session.h"
#include "txray.skel.h"

namespace txray {

namespace {

// Sums entry `key` of a per-CPU map over the CPUs into `out` (values of T:
// arrays of u64, added element-wise).
template <typename T, typename Key = std::uint32_t>
void sum_percpu_entry(int fd, const Key& key, std::vector<T>& per_cpu, T& out) {
    std::memset(&out, 0, sizeof(out));
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data())) return;
    static_assert(sizeof(T) % sizeof(std::uint64_t) == 0);
    auto* o = reinterpret_cast<std::uint64_t*>(&out);
    for (const T& v : per_cpu) {
        const auto* in = reinterpret_cast<const std::uint64_t*>(&v);
        for (std::size_t i = 0; i < sizeof(T) / sizeof(std::uint64_t); ++i) o[i] += in[i];
    }
}

// Adds the per-CPU values of `count` entries (ncpu values each, keys from
// `first`) into out[key].
template <typename T>
void add_values(const std::vector<T>& values, const std::vector<std::uint32_t>& keys, std::size_t count,
                std::size_t ncpu, std::vector<T>& out) {
    for (std::size_t i = 0; i < count; ++i) {
        if (keys[i] >= out.size()) continue;
        auto* o = reinterpret_cast<std::uint64_t*>(&out[keys[i]]);
        for (std::size_t c = 0; c < ncpu; ++c) {
            const auto* in = reinterpret_cast<const std::uint64_t*>(&values[i * ncpu + c]);
            for (std::size_t w = 0; w < sizeof(T) / sizeof(std::uint64_t); ++w) o[w] += in[w];
        }
    }
}

// The whole map summed over CPUs: in batches of 256 entries (one syscall
// each: the drop table has 4608), or entry by entry where the kernel has no
// batch lookup for arrays.
template <typename T>
std::vector<T> sum_percpu_map(const bpf_map* map, std::size_t n) {
    const int ncpu_i = libbpf_num_possible_cpus();
    const std::size_t ncpu = ncpu_i > 0 ? static_cast<std::size_t>(ncpu_i) : 1;
    const int fd = bpf_map__fd(map);
    std::vector<T> out(n);
    constexpr std::uint32_t kBatch = 256;
    std::vector<std::uint32_t> keys(kBatch);
    std::vector<T> values(kBatch * ncpu);
    std::uint32_t next = 0;
    bool first = true, batched = true;
    for (;;) {
        std::uint32_t count = kBatch;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        const int err = bpf_map_lookup_batch(fd, first ? nullptr : &next, &next, keys.data(), values.data(), &count, &opts);
        first = false;
        if (err && errno != ENOENT) {
            batched = false;
            break;
        }
        add_values(values, keys, count, ncpu, out);
        if (err) break;  // ENOENT: that was the last batch
    }
    if (batched) return out;
    out.assign(n, T{});  // what a failed batch walk added
    std::vector<T> per_cpu(ncpu);
    for (std::uint32_t k = 0; k < n; ++k) sum_percpu_entry(fd, k, per_cpu, out[k]);
    return out;
}

}  // namespace

// The per-CPU hash walked key by key (at most TXR_CGROUP_ENTRIES, once a
// second), each entry summed over the CPUs.
void Session::read_cgroups(SummaryMaps& m) const {
    m.cgroup_other = sum_percpu_map<txr_cgroup_row>(skel_->maps.txr_cgroup_other, TXR_IF_SLOTS);
    const int fd = bpf_map__fd(skel_->maps.txr_cgroups);
    const int ncpu = std::max(1, libbpf_num_possible_cpus());
    std::vector<txr_cgroup_row> per_cpu(static_cast<std::size_t>(ncpu));
    txr_cgroup_key key{}, next{};
    const txr_cgroup_key* prev = nullptr;
    while (m.cgroups.size() < TXR_CGROUP_ENTRIES && bpf_map_get_next_key(fd, prev, &next) == 0) {
        key = next;
        prev = &key;
        txr_cgroup_row sum{};
        sum_percpu_entry(fd, key, per_cpu, sum);
        m.cgroups.emplace_back(key, sum);
    }
}

void Session::forget_cgroups(const std::vector<txr_cgroup_key>& keys) const {
    const int fd = bpf_map__fd(skel_->maps.txr_cgroups);
    for (const auto& k : keys) bpf_map_delete_elem(fd, &k);
}

SummaryMaps Session::summary_maps() const {
    SummaryMaps m;
    const auto& maps = skel_->maps;
    m.hist = sum_percpu_map<txr_hist_row>(maps.txr_hist, TXR_IF_SLOTS * TXR_HIST_ROWS);
    m.outcomes = sum_percpu_map<std::uint64_t>(maps.txr_outcomes, TXR_OUTCOME_SLOTS);
    m.drops = sum_percpu_map<std::uint64_t>(maps.txr_drops, TXR_DROP_SLOTS);
    m.errnos = sum_percpu_map<std::uint64_t>(maps.txr_errnos, TXR_ERRNOS);
    if (by_cgroup_) read_cgroups(m);
    // The kernel writes a slot's name before its key: a slot with a key is named.
    m.ifaces.resize(TXR_IF_SLOTS);
    for (std::size_t i = 0; i < TXR_IF_SLOTS; ++i) {
        const volatile txr_iface& k = skel_->bss->txr_ifaces[i];
        m.ifaces[i].key = k.key;
        __sync_synchronize();
        m.ifaces[i].ifindex = k.ifindex;
        for (std::size_t c = 0; c < sizeof(m.ifaces[i].name); ++c) m.ifaces[i].name[c] = k.name[c];
        m.ifaces[i].name[sizeof(m.ifaces[i].name) - 1] = 0;
    }
    return m;
}

}  // namespace txray
