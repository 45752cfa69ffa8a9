#include <gtest/gtest.h>

#include <sstream>

#include "core/trace_reader.h"
#include "core/trace_writer.h"

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
    p.drop_site = "kfree_skb_list_reason+0x4a";
    p.send_ret = 100;
    p.xmit_rc = 16;
    p.stages = {{Stage::sendmsg, 1000}, {Stage::ip_output, 1500}, {Stage::xmit_done, 2000},
                {Stage::drop, 2500}, {Stage::sendmsg_return, 3000}};
    return p;
}

// The packets of a whole trace's text, through the streaming reader.
std::vector<Packet> stream_read(const std::string& text) {
    std::istringstream stream(text);
    struct : TraceSink {
        std::vector<Packet> got;
        void on_packet(Packet&& p) override { got.push_back(std::move(p)); }
    } sink;
    read_trace(stream, sink);
    return std::move(sink.got);
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
    EXPECT_EQ(out.drop_site, in.drop_site);
    EXPECT_EQ(out.send_ret, 100);
    EXPECT_EQ(out.xmit_rc, 16);
    ASSERT_EQ(out.stages.size(), in.stages.size());
    for (std::size_t i = 0; i < in.stages.size(); ++i) {
        EXPECT_EQ(out.stages[i].stage, in.stages[i].stage);
        EXPECT_EQ(out.stages[i].ts_ns, in.stages[i].ts_ns);
    }
}

TEST(TraceRoundTrip, DropSiteSurvivesTheStreamingReader) {
    TraceHeader h;
    std::string text = header_json(h) + "\n";
    append_packet_json(text, sample_packet());
    text += "\n";
    const std::vector<Packet> got = stream_read(text);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].drop_reason, "QDISC_DROP");
    EXPECT_EQ(got[0].drop_site, "kfree_skb_list_reason+0x4a");
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

TEST(TraceRoundTrip, TcpSocketAndQdiscFieldsSurviveBothParsers) {
    Packet in;
    in.id = 9;
    in.comm = "c";
    in.ifname = "veth0";
    in.flow.family = 4;
    in.flow.proto = 6;
    in.sock = 0xffff888100001234ull;
    in.has_tcp = true;
    in.tcp_seq = 4000000000u;
    in.tcp_end_seq = 4000065160u;
    in.tcp_flags = 0x18;
    in.retransmit = true;
    in.retransmit_of = 5;
    in.send_by_seq = true;
    in.has_qdisc = true;
    in.qdisc_backlog = 3000;
    in.qdisc_qlen = 2;
    in.outcome = OutcomeKind::sent;
    in.stages = {{Stage::ip_output, 10}, {Stage::qdisc_enqueue, 20}};
    TraceHeader h;
    std::string text = header_json(h) + "\n";
    append_packet_json(text, in);
    text += "\n";
    // The streaming reader (fast path) and the one-record DOM parser must agree.
    const std::vector<Packet> got = stream_read(text);
    Packet dom;
    std::string err, line;
    append_packet_json(line, in);
    ASSERT_TRUE(packet_from_json_text(line, dom, err)) << err;
    ASSERT_EQ(got.size(), 1u);
    for (const Packet* out : {&got[0], static_cast<const Packet*>(&dom)}) {
        EXPECT_EQ(out->sock, in.sock);
        EXPECT_TRUE(out->has_tcp);
        EXPECT_EQ(out->tcp_seq, in.tcp_seq);
        EXPECT_EQ(out->tcp_end_seq, in.tcp_end_seq);
        EXPECT_EQ(out->tcp_flags, in.tcp_flags);
        EXPECT_TRUE(out->retransmit);
        EXPECT_EQ(out->retransmit_of, 5u);
        EXPECT_TRUE(out->send_by_seq);
        EXPECT_TRUE(out->has_qdisc);
        EXPECT_EQ(out->qdisc_backlog, 3000u);
        EXPECT_EQ(out->qdisc_qlen, 2u);
    }
}

// Format 1.1: ICMP type/code and a non-IP frame's ethertype, through both
// readers; a 1.0 packet without them reads as before.
TEST(TraceRoundTrip, IcmpAndEthertypeSurviveBothParsers) {
    Packet icmp = sample_packet();
    icmp.flow.proto = 1;
    icmp.flow.sport = icmp.flow.dport = 0;
    icmp.flow.has_icmp = true;
    icmp.flow.icmp_type = 8;
    icmp.flow.icmp_code = 0;
    Packet arp = sample_packet();
    arp.id = 43;
    arp.flow = {};
    arp.flow.ethertype = 0x0806;
    TraceHeader h;
    std::string text = header_json(h) + "\n";
    for (const Packet* p : {&icmp, &arp}) {
        append_packet_json(text, *p);
        text += "\n";
    }
    EXPECT_NE(text.find(R"("icmp_type":8,"icmp_code":0)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("ethertype":2054)"), std::string::npos) << text;
    const std::vector<Packet> got = stream_read(text);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].flow, icmp.flow);
    EXPECT_EQ(got[1].flow, arp.flow);
    for (const Packet* in : {&icmp, &arp}) {
        std::string line;
        append_packet_json(line, *in);
        Packet dom;
        std::string err;
        ASSERT_TRUE(packet_from_json_text(line, dom, err)) << err;
        EXPECT_EQ(dom.flow, in->flow);
    }
    EXPECT_EQ(flow_to_string(icmp.flow), "icmp 10.0.0.1 -> 10.0.0.2 echo-request 8/0");
    EXPECT_EQ(flow_to_string(arp.flow), "arp");
}

TEST(FlowText, IcmpTypesEthertypesAndPorts) {
    Flow f;
    f.family = 6;
    f.proto = 58;
    f.saddr = *addr_from_string(6, "fd77::1");
    f.daddr = *addr_from_string(6, "fd77::2");
    f.has_icmp = true;
    f.icmp_type = 135;
    EXPECT_EQ(flow_to_string(f), "icmpv6 fd77::1 -> fd77::2 neighbor-solicitation 135/0");
    f.icmp_type = 200;
    f.icmp_code = 3;
    EXPECT_EQ(flow_to_string(f), "icmpv6 fd77::1 -> fd77::2 type 200/3");
    f.has_icmp = false;  // a later fragment: no ICMP header, ports 0
    f.proto = 17;
    f.sport = 5000;
    f.dport = 53;
    EXPECT_EQ(flow_to_string(f), "udp [fd77::1]:5000 -> [fd77::2]:53");
    Flow raw;
    raw.ethertype = 0x88b5;
    EXPECT_EQ(flow_to_string(raw), "ethertype 0x88b5");
    EXPECT_EQ(flow_to_string(Flow{}), "non-IP");
}

// The writer's decimal numbers at the edges of its 8-digit chunks (packet
// ids and timestamps are u64), read back by the parser and seen in the text.
TEST(TraceRoundTrip, U64NumbersAtChunkEdgesSurvive) {
    const std::uint64_t e8 = 100000000ull, e16 = e8 * e8;
    for (std::uint64_t v : std::initializer_list<std::uint64_t>{0, 7, e8 - 1, e8, e8 + 1, 123456789012ull, e16 - 1, e16,
                                                                e16 + 5, 1764619200123456789ull, 18446744073709551615ull}) {
        Packet in = sample_packet();
        in.id = v;
        in.stages = {{Stage::ip_output, v}};
        std::string line;
        append_packet_json(line, in);
        EXPECT_NE(line.find("\"id\":" + std::to_string(v) + ","), std::string::npos) << line;
        EXPECT_NE(line.find("\"ts_ns\":" + std::to_string(v) + ","), std::string::npos) << line;
        Packet out;
        std::string err;
        ASSERT_TRUE(packet_from_json_text(line, out, err)) << err << " " << line;
        EXPECT_EQ(out.id, v);
        ASSERT_EQ(out.stages.size(), 1u);
        EXPECT_EQ(out.stages[0].ts_ns, v);
    }
}

// Stages in time order, equal times in kernel order, whatever order they came in.
TEST(TraceRoundTrip, SortStagesOrdersByTimeThenKernelOrder) {
    Packet p;
    p.stages = {{Stage::xmit_done, 30}, {Stage::driver_xmit, 30}, {Stage::sendmsg, 10},
                {Stage::ip_output, 20}, {Stage::dev_queue_xmit, 20}, {Stage::sendmsg_return, 40}};
    p.sort_stages();
    const std::vector<Stage> want = {Stage::sendmsg, Stage::ip_output, Stage::dev_queue_xmit,
                                     Stage::driver_xmit, Stage::xmit_done, Stage::sendmsg_return};
    ASSERT_EQ(p.stages.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(p.stages[i].stage, want[i]) << i;
}
