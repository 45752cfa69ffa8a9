#include "selection_stats.h"

#include <algorithm>
#include <cmath>

#include "core/stats.h"

namespace txray::ui {

SelectionStats compute_selection_stats(const TimelineData& d, std::span<const std::uint32_t> flows,
                                       std::optional<std::pair<double, double>> range) {
    SelectionStats s;
    s.values.resize(kMetricCount);
    s.owners.resize(kMetricCount);
    s.summary.resize(kMetricCount);
    for (auto fi : flows) {
        if (fi >= d.flows.size()) continue;
        const FlowTrack& f = d.flows[fi];
        std::size_t b = 0, e = f.by_start.size();
        if (range) {
            const auto [lo, hi] = *range;
            b = static_cast<std::size_t>(std::lower_bound(f.starts.begin(), f.starts.end(), lo,
                                                          [](std::uint64_t x, double v) { return static_cast<double>(x) < v; }) -
                                         f.starts.begin());
            e = static_cast<std::size_t>(std::upper_bound(f.starts.begin(), f.starts.end(), hi,
                                                          [](double v, std::uint64_t x) { return v < static_cast<double>(x); }) -
                                         f.starts.begin());
            e = std::max(b, e);
        }
        for (std::size_t k = b; k < e; ++k) {
            const std::uint32_t pi = f.by_start[k];
            const Packet& p = d.packets[pi];
            if (range && p.stages.empty()) continue;
            ++s.packets;
            s.drops += p.outcome == OutcomeKind::dropped;
            for (std::size_t i = 1; i < p.stages.size(); ++i) {
                const auto m = index(p.stages[i].stage);
                s.values[m].push_back(p.stages[i].ts_ns - p.stages[i - 1].ts_ns);
                s.owners[m].push_back(pi);
            }
            if (const auto e2e = end_to_end_ns(p)) {
                s.values[kEndToEnd].push_back(e2e);
                s.owners[kEndToEnd].push_back(pi);
            }
        }
    }
    for (std::size_t m = 0; m < kMetricCount; ++m) {
        std::vector<std::uint64_t> v = s.values[m];
        if (v.empty()) continue;
        auto pct = [&](double q) {
            auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
            auto i = rank == 0 ? 0 : rank - 1;
            std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
            return v[i];
        };
        s.summary[m] = {v.size(), pct(0.5), pct(0.9), pct(0.99), *std::max_element(v.begin(), v.end())};
    }
    return s;
}

std::vector<std::uint32_t> packets_in_bin(const SelectionStats& s, std::size_t metric, const Histogram& h,
                                          std::size_t bin) {
    std::vector<std::uint32_t> out;
    if (metric >= kMetricCount || bin >= h.bins()) return out;
    const auto& v = s.values[metric];
    for (std::size_t i = 0; i < v.size(); ++i)
        if (h.bin_of(static_cast<double>(v[i])) == static_cast<std::int64_t>(bin)) out.push_back(s.owners[metric][i]);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace txray::ui
