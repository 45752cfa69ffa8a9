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

// Format 1.3: a packet across devices shows its path, the flow where NAT
// changed it, and the device where its timeline moves on; a one-device
// packet's line is as before.
TEST(LivePrinter, PathAcrossDevices) {
    Packet p;
    p.comm = "pod";
    p.skb = 1;
    p.ifname = "txbp0";
    p.len = 100;
    p.flow.family = 4;
    p.flow.proto = 17;
    p.flow.saddr = *addr_from_string(4, "10.88.0.2");
    p.flow.daddr = *addr_from_string(4, "192.0.2.9");
    p.outcome = OutcomeKind::sent;
    p.stages = {{Stage::dev_queue_xmit, 1000, 0}, {Stage::route, 3000, 1}, {Stage::driver_xmit, 5000, 2}};
    p.hops = {{"txbp0", 2, 1, std::nullopt, {}}};
    const std::string one = format_packet_line(p, LiveStyle{});
    EXPECT_NE(one.find(" txbp0 100B |"), std::string::npos) << one;

    Flow nat = p.flow;
    nat.saddr = *addr_from_string(4, "192.0.2.1");
    p.hops = {{"txbp0", 2, 1, std::nullopt, {}}, {"txbbr", 3, 2, std::nullopt, {}}, {"txbu0", 7, 2, nat, {}}};
    const std::string line = format_packet_line(p, LiveStyle{});
    EXPECT_NE(line.find(" txbp0 → txbbr → txbu0 100B (txbu0: udp 192.0.2.1:0 -> 192.0.2.9:0) |"), std::string::npos)
        << line;
    EXPECT_NE(line.find("| dev_queue_xmit txbbr: route +2.0 txbu0: driver_xmit +2.0 |"), std::string::npos) << line;
}
