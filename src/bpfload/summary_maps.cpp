// Session::summary_maps(): the summary's per-CPU maps summed over CPUs, and
// the interface slots the kernel named (bpf/agent_metrics.bpf.h).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>

#include "session.h"
#include "txray.skel.h"

namespace txray {

namespace {

// Sums entry `key` of a per-CPU map over the CPUs into `out` (values of T:
// arrays of u64, added element-wise).
template <typename T>
void sum_percpu_entry(int fd, std::uint32_t key, std::vector<T>& per_cpu, T& out) {
    std::memset(&out, 0, sizeof(out));
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data())) return;
    static_assert(sizeof(T) % sizeof(std::uint64_t) == 0);
    auto* o = reinterpret_cast<std::uint64_t*>(&out);
    for (const T& v : per_cpu) {
        const auto* in = reinterpret_cast<const std::uint64_t*>(&v);
        for (std::size_t i = 0; i < sizeof(T) / sizeof(std::uint64_t); ++i) o[i] += in[i];
    }
}

template <typename T>
std::vector<T> sum_percpu_map(const bpf_map* map, std::size_t n) {
    const int ncpu = libbpf_num_possible_cpus();
    std::vector<T> per_cpu(ncpu > 0 ? ncpu : 1);
    std::vector<T> out(n);
    for (std::uint32_t k = 0; k < n; ++k) sum_percpu_entry(bpf_map__fd(map), k, per_cpu, out[k]);
    return out;
}

}  // namespace

SummaryMaps Session::summary_maps() const {
    SummaryMaps m;
    const auto& maps = skel_->maps;
    m.hist = sum_percpu_map<txr_hist_row>(maps.txr_hist, TXR_IF_SLOTS * TXR_HIST_ROWS);
    m.outcomes = sum_percpu_map<std::uint64_t>(maps.txr_outcomes, TXR_OUTCOME_SLOTS);
    m.drops = sum_percpu_map<std::uint64_t>(maps.txr_drops, TXR_DROP_SLOTS);
    m.errnos = sum_percpu_map<std::uint64_t>(maps.txr_errnos, TXR_ERRNOS);
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
