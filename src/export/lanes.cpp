#include "lanes.h"

#include <algorithm>
#include <numeric>
#include <queue>
#include <set>

namespace txray {

std::vector<std::uint32_t> assign_lanes(const std::vector<Interval>& intervals) {
    std::vector<std::size_t> order(intervals.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return intervals[a].begin < intervals[b].begin; });
    using Busy = std::pair<std::uint64_t, std::uint32_t>;  // (end, lane)
    std::priority_queue<Busy, std::vector<Busy>, std::greater<>> busy;
    std::set<std::uint32_t> free;
    std::uint32_t lanes = 0;
    std::vector<std::uint32_t> lane(intervals.size());
    for (std::size_t i : order) {
        const Interval& iv = intervals[i];
        while (!busy.empty() && busy.top().first < iv.begin) {
            free.insert(busy.top().second);
            busy.pop();
        }
        std::uint32_t l;
        if (free.empty()) l = lanes++;
        else {
            l = *free.begin();
            free.erase(free.begin());
        }
        lane[i] = l;
        busy.push({iv.end, l});
    }
    return lane;
}

}  // namespace txray
