// A packet followed across devices (issue 19): the kernel's txr_hops record,
// emitted right before the packet's own, becomes Packet::hops and the hop
// index of each stage. Synthetic records, no BPF.
#include <gtest/gtest.h>

#include <cstring>

#include "collector/assembler.h"

using namespace txray;

namespace {

// A pod's datagram: veth txbp0 (hop 0), passed up to bridge txbbr (hop 1),
// forwarded and masqueraded out of txbu0 (hop 2), freed there.
txr_packet pod_packet(std::uint64_t id) {
    txr_packet r{};
    r.kind = TXR_REC_PACKET;
    r.end = TXR_END_FREE;
    r.family = 4;
    r.proto = 17;
    r.id = id;
    r.pid = r.tid = 42;
    std::strcpy(r.comm, "app");
    std::strcpy(r.ifname, "txbp0");
    r.ifindex = 5;
    r.netns = 4026532900u;
    r.saddr[0] = 10, r.saddr[3] = 2;
    r.daddr[0] = 10, r.daddr[1] = 9, r.daddr[3] = 2;
    r.sport = 5000, r.dport = 9;
    r.ts[TXR_ST_DEV_QUEUE_XMIT] = 1000;
    r.ts[TXR_ST_DRIVER_XMIT] = 1100;
    r.ts[TXR_ST_NETIF_RX] = 1200;
    r.ts[TXR_ST_XMIT_DONE] = 1300;
    r.hop = 2;
    return r;
}

txr_hops pod_hops(std::uint64_t id) {
    txr_hops h{};
    h.kind = TXR_REC_HOPS;
    h.id = id;
    h.count = 3;
    txr_hop& br = h.hop[0];
    std::strcpy(br.ifname, "txbbr");
    br.ifindex = 3;
    br.netns = 4026531840u;
    br.ts[TXR_ST_NETIF_RECEIVE] = 1500;
    txr_hop& up = h.hop[1];
    std::strcpy(up.ifname, "txbu0");
    up.ifindex = 7;
    up.netns = 4026531840u;
    up.has_flow = 1;
    up.family = 4;
    up.proto = 17;
    up.saddr[0] = 10, up.saddr[1] = 9, up.saddr[3] = 1;  // masqueraded
    up.daddr[0] = 10, up.daddr[1] = 9, up.daddr[3] = 2;
    up.sport = 5000, up.dport = 9;
    up.ts[TXR_ST_DEV_QUEUE_XMIT] = 2000;
    up.ts[TXR_ST_DRIVER_XMIT] = 2100;
    up.ts[TXR_ST_XMIT_DONE] = 2300;
    up.ts[TXR_ST_FREE] = 9000;
    return h;
}

struct Hops : ::testing::Test {
    std::vector<Packet> out;
    Assembler a{[this](Packet&& p) { out.push_back(std::move(p)); }, [](std::uint32_t r) { return std::to_string(r); }};
};

}  // namespace

TEST_F(Hops, ThePacketGetsEveryDeviceItPassedWithItsStages) {
    const txr_hops h = pod_hops(11);
    const txr_packet r = pod_packet(11);
    a.on_record(&h, sizeof h, 0);
    a.on_record(&r, sizeof r, 0);
    ASSERT_EQ(out.size(), 1u);
    const Packet& p = out[0];
    ASSERT_EQ(p.hops.size(), 3u);
    EXPECT_EQ(p.hops[0].ifname, "txbp0");
    EXPECT_EQ(p.hops[0].netns, 4026532900u);
    EXPECT_FALSE(p.hops[0].flow.has_value());
    EXPECT_EQ(p.hops[1].ifname, "txbbr");
    EXPECT_FALSE(p.hops[1].flow.has_value()) << "same headers as the top-level flow";
    EXPECT_EQ(p.hops[2].ifname, "txbu0");
    EXPECT_EQ(p.hops[2].ifindex, 7u);
    ASSERT_TRUE(p.hops[2].flow.has_value());
    EXPECT_EQ(flow_to_string(*p.hops[2].flow), "udp 10.9.0.1:5000 -> 10.9.0.2:9");
    // Top level stays the first hop's.
    EXPECT_EQ(p.ifname, "txbp0");
    EXPECT_EQ(flow_to_string(p.flow), "udp 10.0.0.2:5000 -> 10.9.0.2:9");
    EXPECT_EQ(p.outcome, OutcomeKind::sent);
    // Stages in time order, each on its hop; two of each device stage.
    std::vector<std::pair<Stage, int>> got;
    for (const StageMark& m : p.stages) got.emplace_back(m.stage, m.hop);
    const std::vector<std::pair<Stage, int>> want = {
        {Stage::dev_queue_xmit, 0}, {Stage::driver_xmit, 0}, {Stage::netif_rx, 0},  {Stage::xmit_done, 0},
        {Stage::netif_receive, 1},  {Stage::dev_queue_xmit, 2}, {Stage::driver_xmit, 2}, {Stage::xmit_done, 2},
        {Stage::free, 2}};
    EXPECT_EQ(got, want);
    EXPECT_EQ(p.ring_ns(), 9000u - 2300u) << "the completion of the hop it was freed on";
}

TEST_F(Hops, APacketOnOneDeviceHasOneHopAndNoHopsRecordIsNeeded) {
    txr_packet r = pod_packet(12);
    r.hop = 0;
    r.end = TXR_END_HANDOFF;
    a.on_record(&r, sizeof r, 0);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].hops.size(), 1u);
    EXPECT_EQ(out[0].hops[0].ifname, "txbp0");
    for (const StageMark& m : out[0].stages) EXPECT_EQ(m.hop, 0);
}

TEST_F(Hops, AHopsRecordGoesOnlyToItsPacket) {
    const txr_hops h = pod_hops(13);
    a.on_record(&h, sizeof h, 0);
    txr_packet other = pod_packet(14);  // its hops record was lost
    a.on_record(&other, sizeof other, 0);
    const txr_packet r = pod_packet(13);
    a.on_record(&r, sizeof r, 0);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].hops.size(), 1u) << "a lost hops record leaves the first device only";
    EXPECT_EQ(out[1].hops.size(), 3u);
}

TEST_F(Hops, ADropAfterTheHandOffIsOnTheDeviceItWasReceivedOn) {
    txr_hops h{};
    h.kind = TXR_REC_HOPS;
    h.id = 15;
    h.count = 2;
    std::strcpy(h.hop[0].ifname, "txbbr");
    h.hop[0].ts[TXR_ST_NETIF_RECEIVE] = 1500;
    h.hop[0].ts[TXR_ST_DROP] = 1600;
    txr_packet r = pod_packet(15);
    r.hop = 1;
    r.end = TXR_END_DROP;
    r.drop_reason = 6;
    a.on_record(&h, sizeof h, 0);
    a.on_record(&r, sizeof r, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].outcome, OutcomeKind::dropped);
    ASSERT_EQ(out[0].hops.size(), 2u);
    const StageMark* d = out[0].find(Stage::drop);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->hop, 1);
}
