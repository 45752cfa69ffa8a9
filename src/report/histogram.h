// A latency histogram with power-of-two buckets, and its terminal rendering.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace txray {

class Log2Histogram {
public:
    // Bucket k holds [2^k, 2^(k+1)) ns; bucket 0 also holds 0.
    static std::size_t bucket(std::uint64_t v);
    void add(std::uint64_t v) { ++counts_[bucket(v)], ++total_; }
    std::uint64_t count(std::size_t bucket) const { return counts_.at(bucket); }
    std::uint64_t total() const { return total_; }

    // One line per bucket from the lowest to the highest non-empty one:
    // "   1.02us - 2.05us   |##########          |     1234   12.3%".
    std::string render(std::size_t bar_width = 40) const;

private:
    std::array<std::uint64_t, 64> counts_{};
    std::uint64_t total_ = 0;
};

}  // namespace txray
