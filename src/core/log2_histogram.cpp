#include "log2_histogram.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "duration.h"

namespace txray {

std::size_t log2_bucket(std::uint64_t v) { return v ? static_cast<std::size_t>(std::bit_width(v) - 1) : 0; }

std::uint64_t log2_percentile(std::span<const std::uint64_t> buckets, double q) {
    std::uint64_t total = 0;
    for (auto n : buckets) total += n;
    if (!total) return 0;
    const double want = q * static_cast<double>(total);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        seen += buckets[i];
        if (static_cast<double>(seen) >= want && buckets[i]) return (2ull << i) - 1;  // bucket i: [2^i, 2^(i+1))
    }
    return (2ull << (buckets.size() - 1)) - 1;
}

std::string Log2Histogram::render(std::size_t bar_width) const {
    if (!total_) return "  (no samples)\n";
    std::size_t lo = 0, hi = counts_.size() - 1;
    while (!counts_[lo]) ++lo;
    while (!counts_[hi]) --hi;
    const std::uint64_t peak = *std::max_element(counts_.begin(), counts_.end());
    std::string out;
    for (std::size_t b = lo; b <= hi; ++b) {
        const std::uint64_t n = counts_[b];
        const std::uint64_t from = b ? std::uint64_t{1} << b : 0;
        const std::uint64_t to = b < 63 ? std::uint64_t{1} << (b + 1) : UINT64_MAX;
        const auto bar = static_cast<std::size_t>((n * bar_width + peak - 1) / peak);  // non-empty shows
        out += fmt::format("  {:>7} - {:<7} |{:<{}}| {:>8}  {:5.1f}%\n", format_duration_ns(from),
                           format_duration_ns(to), std::string(bar, '#'), bar_width, n,
                           100.0 * static_cast<double>(n) / static_cast<double>(total_));
    }
    return out;
}

}  // namespace txray
