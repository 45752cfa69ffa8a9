#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/lanes.h"

using namespace txray;

TEST(Lanes, NoOverlapOnALaneAndNoMoreLanesThanTheMaxOverlap) {
    std::mt19937_64 rng(7);
    std::vector<Interval> iv;
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t b = rng() % 100'000;
        iv.push_back({b, b + rng() % 3000});
    }
    iv.push_back({500, 500});  // zero length
    iv.push_back({500, 500});
    const auto lane = assign_lanes(iv);
    ASSERT_EQ(lane.size(), iv.size());
    const std::uint32_t lanes = *std::max_element(lane.begin(), lane.end()) + 1;
    for (std::uint32_t l = 0; l < lanes; ++l) {
        std::vector<Interval> on;
        for (std::size_t i = 0; i < iv.size(); ++i)
            if (lane[i] == l) on.push_back(iv[i]);
        std::sort(on.begin(), on.end(), [](auto& a, auto& b) { return a.begin < b.begin; });
        for (std::size_t i = 1; i < on.size(); ++i) ASSERT_LT(on[i - 1].end, on[i].begin) << "lane " << l;
    }
    // Max number of intervals alive at one instant (closed intervals).
    std::vector<std::pair<std::uint64_t, int>> ev;
    for (auto& i : iv) ev.push_back({i.begin, -1}), ev.push_back({i.end, +1});  // starts before ends at a tie
    std::sort(ev.begin(), ev.end());
    int cur = 0, peak = 0;
    for (auto& [t, d] : ev) peak = std::max(peak, cur -= d);
    EXPECT_EQ(lanes, static_cast<std::uint32_t>(peak));
}

TEST(Lanes, ReusesTheLowestFreeLane) {
    const std::vector<Interval> iv{{0, 10}, {5, 20}, {11, 12}, {21, 30}};
    const auto lane = assign_lanes(iv);
    EXPECT_EQ(lane, (std::vector<std::uint32_t>{0, 1, 0, 0}));
}
