#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace txray::ui {

std::int64_t Histogram::bin_of(double v) const {
    if (counts.empty() || v < edges.front() || v > edges.back()) return -1;
    auto it = std::upper_bound(edges.begin(), edges.end(), v);
    auto i = static_cast<std::int64_t>(it - edges.begin()) - 1;
    return std::min<std::int64_t>(i, static_cast<std::int64_t>(counts.size()) - 1);
}

Histogram make_histogram(std::span<const std::uint64_t> values, std::size_t bins) {
    Histogram h;
    if (values.empty() || bins == 0) return h;
    const auto [mn_it, mx_it] = std::minmax_element(values.begin(), values.end());
    double lo = static_cast<double>(*mn_it), hi = static_cast<double>(*mx_it);
    if (hi <= lo) hi = lo + 1;
    h.log_scale = lo > 0 && hi / lo > 50;
    h.edges.resize(bins + 1);
    for (std::size_t i = 0; i <= bins; ++i) {
        const double f = static_cast<double>(i) / static_cast<double>(bins);
        h.edges[i] = h.log_scale ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f;
    }
    h.edges.front() = lo;
    h.edges.back() = hi;
    h.counts.assign(bins, 0);
    for (auto v : values) {
        const auto b = h.bin_of(static_cast<double>(v));
        if (b >= 0) ++h.counts[static_cast<std::size_t>(b)];
    }
    h.max_count = *std::max_element(h.counts.begin(), h.counts.end());
    return h;
}

}  // namespace txray::ui
