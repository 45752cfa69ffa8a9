#include <gtest/gtest.h>

#include <sstream>

#include "trace_reader.h"
#include "trace_writer.h"

using namespace txray;

namespace {

Packet sample_packet() {
    Packet p;
    p.id = 42;
    p.skb = 0xffff888108ad6100ull;
    p.send_id = 7;
    p.pid = 100;
    p.tid = 101;
    p.comm = "sen\"der";
    p.ifname = "veth0";
    p.ifindex = 5;
    p.len = 128;
    p.flow.family = 4;
    p.flow.proto = 17;
    p.flow.saddr = *addr_from_string(4, "10.0.0.1");
    p.flow.daddr = *addr_from_string(4, "10.0.0.2");
    p.flow.sport = 5000;
    p.flow.dport = 9;
    p.outcome = OutcomeKind::dropped;
    p.drop_reason = "QDISC_DROP";
    p.send_ret = 100;
    p.xmit_rc = 16;
    p.stages = {{Stage::sendmsg, 1000}, {Stage::ip_output, 1500}, {Stage::xmit_done, 2000},
                {Stage::drop, 2500}, {Stage::sendmsg_return, 3000}};
    return p;
}

}  // namespace

TEST(TraceRoundTrip, PacketSurvivesWriteAndRead) {
    std::string line;
    const Packet in = sample_packet();
    append_packet_json(line, in);
    Packet out;
    std::string err;
    ASSERT_TRUE(packet_from_json_text(line, out, err)) << err;
    EXPECT_EQ(out.id, in.id);
    EXPECT_EQ(out.skb, in.skb);
    EXPECT_EQ(out.comm, in.comm);
    EXPECT_EQ(out.flow, in.flow);
    EXPECT_EQ(out.outcome_string(), "dropped:QDISC_DROP");
    EXPECT_EQ(out.send_ret, 100);
    EXPECT_EQ(out.xmit_rc, 16);
    ASSERT_EQ(out.stages.size(), in.stages.size());
    for (std::size_t i = 0; i < in.stages.size(); ++i) {
        EXPECT_EQ(out.stages[i].stage, in.stages[i].stage);
        EXPECT_EQ(out.stages[i].ts_ns, in.stages[i].ts_ns);
    }
}

TEST(TraceRoundTrip, TruncatedLastLineLoadsTheRest) {
    TraceHeader h;
    h.host = "h";
    std::string text = header_json(h) + "\n";
    append_packet_json(text, sample_packet());
    text += "\n";
    std::string second;
    append_packet_json(second, sample_packet());
    text += second.substr(0, second.size() / 2);  // the recorder was killed mid-write
    std::istringstream in(text);
    struct : TraceSink {
        int packets = 0;
        void on_packet(Packet&&) override { ++packets; }
    } sink;
    ReadStatus st = read_trace(in, sink);
    EXPECT_EQ(sink.packets, 1);
    EXPECT_FALSE(st.fatal);
    EXPECT_EQ(st.stopped_line, 3u);
    EXPECT_NE(st.summary().find("stopped at line 3"), std::string::npos) << st.summary();
}
