// Packs time intervals into the fewest lanes so that none overlap in a lane.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace txray::ui {

struct Interval {
    std::uint64_t start, end;  // end >= start; [start, end]
};

// intervals must be sorted by start. Returns the lane of each interval: the
// lowest-numbered lane whose last interval ended strictly before this one
// starts. Uses as many lanes as the maximum overlap (optimal), O(n log lanes).
std::vector<std::uint32_t> pack_lanes(std::span<const Interval> intervals, std::uint32_t* lane_count = nullptr);

}  // namespace txray::ui
