// Latency histograms: log-spaced bins when the values span decades, linear
// otherwise; bin lookup for a value, so a clicked bin can select its packets.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace txray::ui {

struct Histogram {
    std::vector<double> edges;           // bins + 1 ascending edges; bin i is [edges[i], edges[i+1])
    std::vector<std::uint32_t> counts;   // the last bin also holds edges.back()
    bool log_scale = false;
    std::uint32_t max_count = 0;

    std::size_t bins() const { return counts.size(); }
    // Bin of v, or -1 outside [edges.front(), edges.back()].
    std::int64_t bin_of(double v) const;
    bool empty() const { return counts.empty(); }
};

// Log scale when max/min > 50 (and min > 0).
Histogram make_histogram(std::span<const std::uint64_t> values, std::size_t bins);

}  // namespace txray::ui
