// Packs intervals into lanes so that intervals on one lane never overlap.
#pragma once
#include <cstdint>
#include <vector>

namespace txray {

struct Interval {
    std::uint64_t begin = 0, end = 0;  // [begin, end]; end >= begin
};

// lane[i] for interval i: the lowest-numbered lane whose last interval ended
// strictly before intervals[i].begin. Greedy in begin order: optimal (uses as
// many lanes as the maximum overlap). O(n log n).
std::vector<std::uint32_t> assign_lanes(const std::vector<Interval>& intervals);

}  // namespace txray
