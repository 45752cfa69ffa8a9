// Packs intervals into lanes so that intervals on one lane never overlap:
// the Perfetto export's tracks and the GUI's lanes.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace txray {

struct Interval {
    std::uint64_t begin = 0, end = 0;  // [begin, end]; end >= begin
};

// lane[i] for interval i: the lowest-numbered lane whose last interval ended
// strictly before intervals[i].begin. Greedy in begin order (ties keep their
// order): optimal, it uses as many lanes as the maximum overlap. O(n log n);
// no sort when the intervals come sorted by begin. *lane_count: lanes used.
std::vector<std::uint32_t> assign_lanes(std::span<const Interval> intervals, std::uint32_t* lane_count = nullptr);

}  // namespace txray
