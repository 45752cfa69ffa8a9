// --flow / --pid / --since / --until parsing and matching, and duration text.
#include <gtest/gtest.h>

#include "core/duration.h"
#include "core/packet_filter.h"

using namespace txray;

namespace {

Flow flow(const char* s, std::uint16_t sport, const char* d, std::uint16_t dport, std::uint8_t proto = 17) {
    Flow f;
    f.family = std::string(s).find(':') == std::string::npos ? 4 : 6;
    f.proto = proto;
    f.saddr = *addr_from_string(f.family, s);
    f.daddr = *addr_from_string(f.family, d);
    f.sport = sport;
    f.dport = dport;
    return f;
}

bool match(const std::string& spec, const Flow& f) {
    std::string err;
    auto m = parse_flow_match(spec, err);
    EXPECT_TRUE(m) << spec << ": " << err;
    return m && m->matches(f);
}

}  // namespace

TEST(FlowMatch, MatchesEitherSideOrDirected) {
    const Flow dns = flow("10.0.0.1", 40000, "10.0.0.2", 53);
    EXPECT_TRUE(match("udp", dns));
    EXPECT_FALSE(match("tcp", dns));
    EXPECT_TRUE(match(":53", dns));
    EXPECT_TRUE(match(":40000", dns));
    EXPECT_FALSE(match(":5300", dns));
    EXPECT_TRUE(match("10.0.0.2", dns));
    EXPECT_TRUE(match("udp 10.0.0.2:53", dns));
    EXPECT_FALSE(match("10.0.0.2:54", dns));
    EXPECT_TRUE(match("10.0.0.1:40000 -> 10.0.0.2:53", dns));
    EXPECT_FALSE(match("10.0.0.2 -> 10.0.0.1", dns));
    EXPECT_TRUE(match("-> :53", dns));
    EXPECT_TRUE(match("17 :53", dns));
    const Flow v6 = flow("fd00::1", 1, "fd00::2", 53);
    EXPECT_TRUE(match("[fd00::2]:53", v6));
    EXPECT_TRUE(match("fd00::2", v6));
    EXPECT_FALSE(match("10.0.0.2", v6));
}

TEST(FlowMatch, MalformedSpecsSayWhy) {
    std::string err;
    EXPECT_FALSE(parse_flow_match("bogus :53", err));
    EXPECT_EQ(err, "unknown protocol \"bogus\"");
    EXPECT_FALSE(parse_flow_match("10.0.0.300", err));
    EXPECT_EQ(err, "bad address \"10.0.0.300\"");
    EXPECT_FALSE(parse_flow_match(":99999", err));
    EXPECT_EQ(err, "bad port \"99999\"");
    EXPECT_FALSE(parse_flow_match("[fd00::1", err));
    EXPECT_FALSE(parse_flow_match("", err));
}

TEST(PacketFilter, PidAndTimeWindow) {
    Packet p;
    p.pid = 7;
    p.stages = {{Stage::sendmsg, 1'000'500'000}};
    PacketFilter f;
    f.pids = {3, 7};
    EXPECT_TRUE(f.matches(p, 1'000'000'000));
    f.pids = {3};
    EXPECT_FALSE(f.matches(p, 1'000'000'000));
    f.pids.clear();
    f.since_ns = 500'000'000;  // exactly at the packet: included
    EXPECT_TRUE(f.matches(p, 500'000'000));
    f.until_ns = 500'000'000;  // until is exclusive
    f.since_ns.reset();
    EXPECT_FALSE(f.matches(p, 500'000'000));
}

TEST(Duration, ParseAndFormat) {
    EXPECT_EQ(parse_duration_ns("1.5s"), 1'500'000'000u);
    EXPECT_EQ(parse_duration_ns("200ms"), 200'000'000u);
    EXPECT_EQ(parse_duration_ns("300us"), 300'000u);
    EXPECT_EQ(parse_duration_ns("250ns"), 250u);
    EXPECT_EQ(parse_duration_ns("2"), 2'000'000'000u);
    EXPECT_FALSE(parse_duration_ns("-1s"));
    EXPECT_FALSE(parse_duration_ns("5 min"));
    EXPECT_FALSE(parse_duration_ns("ms"));
    EXPECT_EQ(format_duration_ns(812), "812ns");
    EXPECT_EQ(format_duration_ns(12'345), "12.3us");
    EXPECT_EQ(format_duration_ns(4'560'000), "4.56ms");
    EXPECT_EQ(format_duration_ns(999'999), "1.00ms");
    EXPECT_EQ(format_duration_ns(1'200'000'000), "1.20s");
}

// Format 1.3: --iface matches any hop; --flow the first flow or any hop's
// (the masqueraded one on the uplink).
TEST(PacketFilter, MatchesAnyHop) {
    Packet p;
    p.ifname = "txbp0";
    p.flow = flow("10.88.0.2", 5353, "192.0.2.9", 53);
    p.hops = {{"txbp0", 2, 1, std::nullopt, {}}, {"txbbr", 3, 2, std::nullopt, {}},
              {"txbu0", 7, 2, flow("192.0.2.1", 40001, "192.0.2.9", 53), {}}};
    PacketFilter f;
    f.ifaces = {"txbu0"};
    EXPECT_TRUE(f.matches(p, 0));
    f.ifaces = {"txbbr", "eth9"};
    EXPECT_TRUE(f.matches(p, 0));
    f.ifaces = {"eth9"};
    EXPECT_FALSE(f.matches(p, 0));
    f.ifaces.clear();
    std::string err;
    for (const char* spec : {"10.88.0.2", "192.0.2.1", ":40001", "udp 10.88.0.2:5353 -> 192.0.2.9:53"}) {
        f.flow = parse_flow_match(spec, err);
        EXPECT_TRUE(f.matches(p, 0)) << spec;
    }
    for (const char* spec : {"10.0.0.1", ":40002", "tcp"}) {
        f.flow = parse_flow_match(spec, err);
        EXPECT_FALSE(f.matches(p, 0)) << spec;
    }
    p.hops.clear();  // a packet made by hand, without hops: its ifname
    f.flow.reset();
    f.ifaces = {"txbp0"};
    EXPECT_TRUE(f.matches(p, 0));
}
