// `txray live` prints packets by the time they began, within a window.
#include <gtest/gtest.h>

#include <vector>

#include "cli/live_reorder.h"

using namespace txray;

namespace {
Packet began_at(std::uint64_t id, std::uint64_t ts) {
    Packet p;
    p.id = id;
    p.stages = {{Stage::sendmsg, ts}, {Stage::xmit_done, ts + 10}};
    return p;
}
}  // namespace

TEST(LiveReorder, PacketsComeOutByFirstStageWithinTheWindow) {
    std::vector<std::pair<std::uint64_t, bool>> out;
    LiveReorder r(500, [&](Packet&& p, bool late) { out.emplace_back(p.id, late); });
    // Ended in this order: 2 (began at 1100), 1 (began at 1000, held by a qdisc), 3.
    r.push(began_at(2, 1100));
    r.push(began_at(1, 1000));
    r.push(began_at(3, 1400));
    r.release(1550);  // cutoff 1050: only packet 1
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first, 1u);
    r.release(1650);  // cutoff 1150: packet 2
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].first, 2u);
    // Packet 4 began at 1050, before packet 2 already printed: out at once, late.
    r.push(began_at(4, 1050));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[2], std::make_pair(std::uint64_t{4}, true));
    r.push(began_at(5, 1300));
    r.release_all();
    ASSERT_EQ(out.size(), 5u);
    EXPECT_EQ(out[3], std::make_pair(std::uint64_t{5}, false));
    EXPECT_EQ(out[4], std::make_pair(std::uint64_t{3}, false));
    EXPECT_EQ(r.waiting(), 0u);
}

TEST(LiveReorder, ABusyHostHandsOutTheOldestEarly) {
    std::size_t out = 0;
    std::uint64_t last = 0;
    LiveReorder r(1'000'000'000, [&](Packet&& p, bool late) {
        EXPECT_FALSE(late);
        EXPECT_GE(p.first_ts(), last);
        last = p.first_ts();
        ++out;
    });
    for (std::uint64_t i = 0; i < LiveReorder::kMaxWaiting + 10; ++i) r.push(began_at(i, 1000 + i));
    EXPECT_EQ(out, 10u);
    EXPECT_EQ(r.waiting(), LiveReorder::kMaxWaiting);
}
