// Trace format 1.3: the devices a packet crossed ("hops"), the stages' hop
// index, encap_of; written only for multi-device packets, and normalized by
// both readers so that every packet that reached a device has hops.
#include <gtest/gtest.h>

#include <string>

#include "both_readers.h"

namespace {

using namespace txray;

// A one-device 1.2 packet line, as txray wrote it before hops.
const std::string kOneDevice =
    R"({"type":"packet","id":1,"skb":"0x0","send":0,"msg":0,"pid":1,"tid":1,"comm":"c","cgroup":0,)"
    R"("netns":4026531840,"ifname":"veth0","ifindex":5,"queue":0,"len":60,)"
    R"("flow":{"family":4,"proto":"udp","saddr":"10.0.0.1","daddr":"10.0.0.2","sport":1,"dport":2},)"
    R"("outcome":"sent","stages":[{"name":"dev_queue_xmit","ts_ns":10,"dt_ns":0}]})";

// A pod's packet: veth, bridge, then the uplink with the masqueraded flow.
const std::string kThreeHops =
    R"({"type":"packet","id":2,"skb":"0x0","send":0,"msg":0,"pid":1,"tid":1,"comm":"c","cgroup":0,)"
    R"("netns":4026532900,"ifname":"txbp0","ifindex":5,"queue":0,"len":60,)"
    R"("flow":{"family":4,"proto":"udp","saddr":"10.88.0.2","daddr":"192.0.2.9","sport":1,"dport":53},)"
    R"("hops":[{"ifname":"txbp0","ifindex":5,"netns":4026532900},{"ifname":"txbbr","ifindex":3,"netns":4026531840},)"
    R"({"ifname":"txbu0","ifindex":7,"netns":4026531840,)"
    R"("flow":{"family":4,"proto":"udp","saddr":"192.0.2.1","daddr":"192.0.2.9","sport":40001,"dport":53},"headers":"4500"}],)"
    R"("encap_of":9,"outcome":"sent","stages":[{"name":"dev_queue_xmit","ts_ns":10,"dt_ns":0},)"
    R"({"name":"route","ts_ns":20,"dt_ns":10,"hop":1},{"name":"driver_xmit","ts_ns":30,"dt_ns":10,"hop":2}]})";

// Both readers, which must agree.
void read_both(const std::string& line, Packet& fast, Packet& dom) {
    test::read_both(line, fast, dom);
    EXPECT_EQ(fast.hops, dom.hops);
}

TEST(HopsFormat, ALineWithoutHopsReadsAsOneHop) {
    Packet fast, dom;
    read_both(kOneDevice, fast, dom);
    ASSERT_EQ(fast.hops.size(), 1u);
    EXPECT_EQ(fast.hops[0], (Hop{"veth0", 5, 4026531840u, std::nullopt, {}}));
    EXPECT_EQ(fast.stages[0].hop, 0);
}

TEST(HopsFormat, OneHopWritesNoExtraBytes) {
    Packet p;
    std::string err;
    ASSERT_TRUE(packet_from_json_text(kOneDevice, p, err)) << err;
    std::string line;
    append_packet_json(line, p);
    EXPECT_EQ(line, kOneDevice);  // byte for byte: no "hops", no "hop"
}

TEST(HopsFormat, NoDeviceNoHop) {
    std::string line = kOneDevice;
    line.replace(line.find(R"("veth0")"), 7, R"("")");
    line.replace(line.find(R"("ifindex":5)"), 11, R"("ifindex":0)");
    Packet fast, dom;
    read_both(line, fast, dom);
    EXPECT_TRUE(fast.hops.empty());
}

TEST(HopsFormat, ThreeHopsReadAndWriteBack) {
    Packet fast, dom;
    read_both(kThreeHops, fast, dom);
    ASSERT_EQ(fast.hops.size(), 3u);
    EXPECT_EQ(fast.hops[1].ifname, "txbbr");
    EXPECT_EQ(fast.hops[0].netns, 4026532900u);
    EXPECT_FALSE(fast.hops[1].flow);
    ASSERT_TRUE(fast.hops[2].flow);
    EXPECT_EQ(flow_to_string(*fast.hops[2].flow), "udp 192.0.2.1:40001 -> 192.0.2.9:53");
    EXPECT_EQ(fast.hops[2].headers, (std::vector<std::uint8_t>{0x45, 0x00}));
    EXPECT_EQ(fast.encap_of, 9u);
    ASSERT_EQ(fast.stages.size(), 3u);
    EXPECT_EQ(fast.stages[1].hop, 1);
    EXPECT_EQ(fast.stages[2].hop, 2);
    std::string line;
    append_packet_json(line, fast);
    EXPECT_EQ(line, kThreeHops);
}

TEST(HopsFormat, AStageOnAMissingHopIsABadPacket) {
    std::string line = kThreeHops;
    line.replace(line.find(R"("hop":2)"), 7, R"("hop":3)");
    Packet p;
    std::string err;
    EXPECT_FALSE(packet_from_json_fast(line, p));
    EXPECT_FALSE(packet_from_json_text(line, p, err));
    EXPECT_NE(err.find("hop 3"), std::string::npos) << err;
    line.replace(line.find(R"("hop":3)"), 7, R"("hop":300)");
    EXPECT_FALSE(packet_from_json_text(line, p, err));
}

TEST(HopsFormat, AHopWithoutANameIsABadPacket) {
    std::string line = kThreeHops;
    line.replace(line.find(R"("ifname":"txbbr",)"), 17, "");
    Packet p;
    std::string err;
    EXPECT_FALSE(packet_from_json_fast(line, p));
    EXPECT_FALSE(packet_from_json_text(line, p, err));
}

// The hand-made example trace loads whole, every packet with its hops.
TEST(HopsFormat, ExampleTraceLoads) {
    Trace t = load_trace(std::string(TXRAY_SOURCE_DIR) + "/examples/hops-trace.json");
    ASSERT_TRUE(t.status.error.empty()) << t.status.summary();
    EXPECT_TRUE(t.status.warnings.empty());
    ASSERT_EQ(t.packets.size(), 9u);
    EXPECT_EQ(t.header.version_minor, 3);
    for (const Packet& p : t.packets) {
        ASSERT_FALSE(p.hops.empty());
        EXPECT_EQ(p.hops[0].ifname, p.ifname);
        for (const StageMark& m : p.stages) EXPECT_LT(m.hop, p.hops.size());
    }
    EXPECT_EQ(t.packets[0].hops.size(), 3u);
    EXPECT_EQ(t.packets.back().hops.size(), 1u);  // the host's own packet
}

}  // namespace
