// Lost records are never silent: the live line and `record`'s progress line
// say how many, and at which stage.
#include <gtest/gtest.h>

#include "cli/live_printer.h"

using namespace txray;

TEST(LivePrinter, LostRecordsAreBrokenDownByStage) {
    TickStats t;
    t.lost = 15;
    t.lost_by_stage = {{Stage::xmit_done, 10}, {Stage::free, 2}};
    EXPECT_EQ(lost_breakdown(t), "10 at xmit_done, 2 at free, 3 send records");
    const std::string line = format_tick_line(t, LiveStyle{});
    EXPECT_NE(line.find("15 lost"), std::string::npos) << line;
    EXPECT_NE(line.find("(10 at xmit_done, 2 at free, 3 send records)"), std::string::npos) << line;
}

TEST(LivePrinter, NoLossNoBreakdown) {
    TickStats t;
    const std::string line = format_tick_line(t, LiveStyle{});
    EXPECT_NE(line.find("0 lost"), std::string::npos) << line;
    EXPECT_EQ(line.find("send records"), std::string::npos) << line;
}
