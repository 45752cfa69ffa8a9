// Latency histograms with power-of-two buckets, as the kernel keeps them
// (bpf/txray.h TXR_HIST_BUCKETS; `live --summary`) and as `txray report`
// counts them: the bucket rule, percentiles and the terminal rendering.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace txray {

// Bucket k holds [2^k, 2^(k+1)) ns; bucket 0 also holds 0.
std::size_t log2_bucket(std::uint64_t v);
// Approximate q-quantile of a row of log2 buckets: the upper bound of the
// bucket that holds it (ns); 0 when empty.
std::uint64_t log2_percentile(std::span<const std::uint64_t> buckets, double q);

class Log2Histogram {
public:
    static std::size_t bucket(std::uint64_t v) { return log2_bucket(v); }
    void add(std::uint64_t v) { ++counts_[bucket(v)], ++total_; }
    std::uint64_t count(std::size_t bucket) const { return counts_.at(bucket); }
    std::uint64_t total() const { return total_; }
    std::uint64_t percentile(double q) const { return log2_percentile(counts_, q); }

    // One line per bucket from the lowest to the highest non-empty one:
    // "   1.02us - 2.05us   |##########          |     1234   12.3%".
    std::string render(std::size_t bar_width = 40) const;

private:
    std::array<std::uint64_t, 64> counts_{};
    std::uint64_t total_ = 0;
};

}  // namespace txray
