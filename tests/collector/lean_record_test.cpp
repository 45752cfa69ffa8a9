// The agent's capture on the lean state (bpf/lean_select.bpf.h): a selected
// packet comes as a txr_lean_record, its stages as offsets from its first
// and a bit each in `seen`; one swept unfinished comes the same way. The
// Assembler must make of it the packet the record programs would have
// made with --no-syscalls. Synthetic records, no BPF.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>

#include "collector/assembler.h"

using namespace txray;

namespace {

// A datagram over veth txlc0 that the kernel dropped in its qdisc.
txr_lean_record dropped_datagram() {
    txr_lean_record r{};
    r.kind = TXR_REC_LEAN;
    r.end = TXR_END_DROP;
    r.end_ctx = TXR_END_CTX_SOFTIRQ;
    r.end_cpu = 1;
    r.drop_reason = 7;
    r.id = 0x4201;
    r.skb = 0xffff888100001000;
    r.ifindex = 9;
    std::strcpy(r.ifname, "txlc0");
    txr_lean& l = r.l;
    l.first = 5000;
    l.seen = (1u << TXR_ST_IP_OUTPUT) | (1u << TXR_ST_DEV_QUEUE_XMIT) | (1u << TXR_ST_QDISC_ENQUEUE) |
             (1u << TXR_ST_DROP);
    l.ts_off[TXR_ST_DEV_QUEUE_XMIT] = 300;
    l.ts_off[TXR_ST_QDISC_ENQUEUE] = 450;
    l.ts_off[TXR_ST_DROP] = 900;
    l.ts_off[TXR_ST_DRIVER_XMIT] = 777;  // not in `seen`: a device before this one's
    l.pid = l.tid = 321;
    std::strcpy(l.comm, "sender");
    l.cgroup_id = 55;
    l.netns = 4026531840u;
    l.len = 242;
    l.family = 4;
    l.proto = 17;
    l.saddr[0] = 10, l.saddr[3] = 1;
    l.daddr[0] = 10, l.daddr[3] = 2;
    l.sport = 4000, l.dport = 9400;
    l.ethertype = 0x0800;
    return r;
}

struct LeanRecord : ::testing::Test {
    std::vector<Packet> out;
    Assembler a{[this](Packet&& p) { out.push_back(std::move(p)); },
                [](std::uint32_t r) { return fmt::format("R{}", r); }};
};

}  // namespace

TEST_F(LeanRecord, IsThePacketTheRecordProgramsWouldHaveMade) {
    const txr_lean_record r = dropped_datagram();
    a.on_record(&r, sizeof r, 0);
    a.finish();
    ASSERT_EQ(out.size(), 1u);
    const Packet& p = out[0];
    EXPECT_EQ(p.id, 0x4201u);
    EXPECT_EQ(p.pid, 321u);
    EXPECT_EQ(p.comm, "sender");
    EXPECT_EQ(p.send_id, 0u);
    EXPECT_EQ(p.ifname, "txlc0");
    EXPECT_EQ(p.ifindex, 9u);
    EXPECT_EQ(p.netns, 4026531840u);
    EXPECT_EQ(p.len, 242u);
    EXPECT_EQ(flow_to_string(p.flow), "udp 10.0.0.1:4000 -> 10.0.0.2:9400");
    EXPECT_EQ(p.outcome, OutcomeKind::dropped);
    EXPECT_EQ(p.drop_reason, "R7");
    std::vector<std::pair<Stage, std::uint64_t>> got;
    for (const StageMark& m : p.stages) got.emplace_back(m.stage, m.ts_ns);
    const std::vector<std::pair<Stage, std::uint64_t>> want = {
        {Stage::ip_output, 5000}, {Stage::dev_queue_xmit, 5300}, {Stage::qdisc_enqueue, 5450}, {Stage::drop, 5900}};
    EXPECT_EQ(got, want) << "the stages in `seen`, each at first + its offset";
}

TEST_F(LeanRecord, OneSweptUnfinishedIsWrittenUnfinished) {
    txr_lean_record r = dropped_datagram();
    r.end = TXR_END_EXPIRED;
    r.l.seen &= ~(1u << TXR_ST_DROP);
    a.on_record(&r, sizeof r, 0);
    a.finish();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].outcome, OutcomeKind::unfinished);
    EXPECT_EQ(out[0].stages.size(), 3u);
}

TEST_F(LeanRecord, AShortOneIsIgnored) {
    const txr_lean_record r = dropped_datagram();
    a.on_record(&r, sizeof r - 1, 0);
    a.finish();
    EXPECT_TRUE(out.empty());
}
