#include "lanes.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <utility>

namespace txray {

std::vector<std::uint32_t> assign_lanes(std::span<const Interval> intervals, std::uint32_t* lane_count) {
    std::vector<std::size_t> order(intervals.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto by_begin = [&](std::size_t a, std::size_t b) { return intervals[a].begin < intervals[b].begin; };
    if (!std::is_sorted(order.begin(), order.end(), by_begin)) std::stable_sort(order.begin(), order.end(), by_begin);
    using Busy = std::pair<std::uint64_t, std::uint32_t>;  // (end, lane)
    std::priority_queue<Busy, std::vector<Busy>, std::greater<>> busy;
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> free_lanes;
    std::uint32_t lanes = 0;
    std::vector<std::uint32_t> lane(intervals.size());
    for (std::size_t i : order) {
        const Interval& iv = intervals[i];
        while (!busy.empty() && busy.top().first < iv.begin) {
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

}  // namespace txray
