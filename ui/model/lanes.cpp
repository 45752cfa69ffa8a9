#include "lanes.h"

#include <functional>
#include <queue>
#include <utility>

namespace txray::ui {

std::vector<std::uint32_t> pack_lanes(std::span<const Interval> intervals, std::uint32_t* lane_count) {
    std::vector<std::uint32_t> lane(intervals.size());
    using Busy = std::pair<std::uint64_t, std::uint32_t>;  // end, lane
    std::priority_queue<Busy, std::vector<Busy>, std::greater<>> busy;
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> free_lanes;
    std::uint32_t lanes = 0;
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        const Interval& iv = intervals[i];
        while (!busy.empty() && busy.top().first < iv.start) {
            free_lanes.push(busy.top().second);
            busy.pop();
        }
        std::uint32_t l;
        if (free_lanes.empty()) {
            l = lanes++;
        } else {
            l = free_lanes.top();
            free_lanes.pop();
        }
        lane[i] = l;
        busy.emplace(iv.end, l);
    }
    if (lane_count) *lane_count = lanes;
    return lane;
}

}  // namespace txray::ui
