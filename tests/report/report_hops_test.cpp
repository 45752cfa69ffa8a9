// txray report on packets that cross devices (trace format 1.3): time on each
// hop and the paths, on the hand-made examples/hops-trace.json, whose numbers
// follow from how it was made: every pod packet spends 800 + 350 + 450 ns on
// the bridge hop (route, ip_output, neigh_output, then the uplink's
// dev_queue_xmit), the dropped one 800 + 350 + 600 ns (to its drop).
#include <gtest/gtest.h>

#include <fstream>

#include "report/report_json.h"
#include "report/report_model.h"
#include "report/report_text.h"

using namespace txray;

namespace {

Report example(PacketFilter f = {}) {
    std::ifstream in(std::string(TXRAY_SOURCE_DIR) + "/examples/hops-trace.json");
    ReportBuilder b(std::move(f));
    b.report().status = read_trace(in, b);
    return std::move(b.report());
}

const HopStats* device(const Report& r, const std::string& name) {
    for (const HopStats& h : r.hops)
        if (h.device == name) return &h;
    return nullptr;
}

}  // namespace

TEST(ReportHops, TimeOnEachDevice) {
    const Report r = example();
    ASSERT_EQ(r.packets_matched, 9u);
    EXPECT_EQ(r.multi_hop, 8u);
    ASSERT_EQ(r.hops.size(), 3u);
    EXPECT_EQ(r.hops[0].device, "txbp0");  // in the order first seen
    const HopStats* bridge = device(r, "txbbr");
    ASSERT_TRUE(bridge);
    EXPECT_EQ(bridge->on_hop.count(), 8u);
    EXPECT_EQ(bridge->on_hop.percentile(0.5), 1600u);
    EXPECT_EQ(bridge->on_hop.max(), 1750u);
    const HopStats* uplink = device(r, "txbu0");
    ASSERT_TRUE(uplink);
    EXPECT_EQ(uplink->on_hop.count(), 8u);  // 7 pod packets and the host's own
    // The pod's veth: sendmsg to the bridge's first stage, 3600 ns + the forward delay.
    EXPECT_EQ(device(r, "txbp0")->on_hop.min(), 3600u + 5500u);
}

TEST(ReportHops, PathsTextAndJson) {
    const Report r = example();
    ASSERT_EQ(r.paths.size(), 3u);
    const PathStats& pod = r.paths.at({"txbp0", "txbu0"});
    EXPECT_EQ(pod.packets, 7u);
    EXPECT_EQ(pod.drops, 0u);
    // End to end runs to the uplink's xmit_done: 3600 on the veth + 5500 forward
    // delay + 1600 on the bridge + 3700 on the uplink for the first packet.
    EXPECT_EQ(pod.end_to_end.min(), 14400u);
    EXPECT_EQ(r.paths.at({"txbp0", "txbbr"}).drops, 1u);
    EXPECT_EQ(r.paths.at({"txbu0", "txbu0"}).packets, 1u);

    const std::string text = render_report_text(r);
    for (const char* want : {"Per-hop latency", "8 packets crossed devices", "Paths (first device -> last device)",
                             "txbp0 -> txbu0", "txbbr "})
        EXPECT_NE(text.find(want), std::string::npos) << "missing \"" << want << "\" in\n" << text;

    const auto j = report_to_json(r);
    ASSERT_EQ(j["paths"].size(), 3u);
    bool found = false;
    for (const auto& p : j["paths"])
        if (p["first_device"] == "txbp0" && p["last_device"] == "txbu0") {
            found = true;
            EXPECT_EQ(p["packets"], 7);
            EXPECT_EQ(p["end_to_end"]["count"], 7);
        }
    EXPECT_TRUE(found) << j["paths"].dump();
    EXPECT_EQ(j["hops"][1]["device"], "txbbr");
    EXPECT_EQ(j["hops"][1]["p50_ns"], 1600);
}

TEST(ReportHops, IfaceFilterMatchesAnyHop) {
    PacketFilter f;
    f.ifaces = {"txbbr"};
    EXPECT_EQ(example(f).packets_matched, 8u);  // every pod packet, not the host's own
    f.ifaces = {"txbu0"};
    EXPECT_EQ(example(f).packets_matched, 8u);  // 7 pod packets that reached it, and the host's
}

TEST(ReportHops, OneDeviceTracesHaveNoHopSection) {
    PacketFilter f;
    f.ifaces = {"txbu0"};
    std::string err;
    f.flow = parse_flow_match(":123", err);  // the host's own packet only
    const Report r = example(f);
    EXPECT_EQ(r.packets_matched, 1u);
    EXPECT_EQ(render_report_text(r).find("Per-hop latency"), std::string::npos);
}

// A pod's eth0 and the host's eth0 are two devices: two rows, named with their namespace.
TEST(ReportHops, SameNameInTwoNamespacesIsTwoDevices) {
    Packet p;
    p.stages = {{Stage::sendmsg, 100, 0}, {Stage::route, 400, 1}, {Stage::driver_xmit, 900, 1}};
    p.hops = {{"eth0", 2, 4026532900u, std::nullopt, {}}, {"eth0", 2, 4026531840u, std::nullopt, {}}};
    p.ifname = "eth0";
    ReportBuilder b;
    b.on_packet(std::move(p));
    const Report& r = b.report();
    ASSERT_EQ(r.hops.size(), 2u);
    EXPECT_EQ(r.hops[0].on_hop.max(), 300u);
    EXPECT_EQ(r.hops[1].on_hop.max(), 500u);
    const std::string text = render_report_text(r);
    EXPECT_NE(text.find("eth0 (netns 4026532900)"), std::string::npos) << text;
    EXPECT_NE(text.find("eth0 (netns 4026531840)"), std::string::npos) << text;
}
