// The packet line's fields are declared once (src/core/packet_fields.h); the
// writer and both readers expand that table. These tests hold the table to
// the docs and check that every field survives a write and both reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "both_readers.h"
#include "core/packet_fields.h"
#include "core/packet_json.h"
#include "core/trace_reader.h"

namespace {

using namespace txray;

std::string packet_section() {
    std::ifstream f(std::string(TXRAY_SOURCE_DIR) + "/docs/trace-format.md");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string doc = ss.str();
    const auto from = doc.find("## Packet");
    const auto to = doc.find("\n## ", from + 1);
    return from == std::string::npos ? "" : doc.substr(from, to - from);
}

// Every key the table declares is documented in docs/trace-format.md's
// packet section (as `key`, or inside an object's {a, b}).
TEST(PacketFields, EveryKeyIsDocumented) {
    const std::string doc = packet_section();
    ASSERT_FALSE(doc.empty());
    for (const auto& f : packet_fields::kFields) {
        const std::regex word("[`{ ,]" + std::string(f.key) + "[`}, ]");
        EXPECT_TRUE(std::regex_search(doc, word)) << "docs/trace-format.md does not document \"" << f.key << "\"";
    }
}

// docs/trace-format.schema.json has every key, in the right object, and
// requires exactly those written on every packet.
TEST(PacketFields, SchemaMatchesTable) {
    std::ifstream f(std::string(TXRAY_SOURCE_DIR) + "/docs/trace-format.schema.json");
    const auto schema = nlohmann::json::parse(f);
    const auto& defs = schema.at("$defs");
    auto object_of = [&](const nlohmann::json& o) -> const nlohmann::json& {
        if (o.contains("$ref")) return defs.at(o["$ref"].get<std::string>().substr(sizeof("#/$defs/") - 1));
        return o;
    };
    auto scope_object = [&](packet_fields::Scope s) -> const nlohmann::json& {
        const auto& packet = defs.at("packet");
        if (s == packet_fields::Scope::packet) return packet;
        for (const auto& g : packet_fields::kFields)  // the object field whose id names the scope
            if (g.scope == packet_fields::Scope::packet && packet.at("properties").contains(g.key) &&
                std::string(g.key) == (s == packet_fields::Scope::flow    ? "flow"
                                       : s == packet_fields::Scope::frag  ? "frag"
                                       : s == packet_fields::Scope::tcp   ? "tcp"
                                       : s == packet_fields::Scope::qdisc ? "qdisc"
                                       : s == packet_fields::Scope::bql   ? "bql"
                                                                          : "gso"))
                return object_of(packet.at("properties").at(g.key));
        return packet;
    };
    for (const auto& fld : packet_fields::kFields) {
        const auto& obj = scope_object(fld.scope);
        ASSERT_TRUE(obj.at("properties").contains(fld.key)) << "the schema lacks \"" << fld.key << "\"";
        const auto& req = obj.value("required", nlohmann::json::array());
        const bool required = std::find(req.begin(), req.end(), fld.key) != req.end();
        EXPECT_EQ(required, fld.always) << "\"" << fld.key << "\": the schema's \"required\" and the writer disagree";
    }
}

// A packet with every optional field set: written, read by both readers, and
// written again byte for byte.
TEST(PacketFields, EveryFieldRoundTrips) {
    Packet p;
    p.id = 7;
    p.skb = 0xffff888012345678;
    p.send_id = 3;
    p.msg_index = 1;
    p.parent_id = 6;
    p.pid = 100;
    p.tid = 101;
    p.comm = "sender \"q\"";
    p.cgroup_id = 9;
    p.netns = 4026531840u;
    p.ifname = "veth0";
    p.ifindex = 5;
    p.queue = 2;
    p.len = 1500;
    p.flow.family = 6;
    p.flow.proto = 58;
    p.flow.saddr[15] = 1;
    p.flow.daddr[0] = 0xfe;
    p.flow.daddr[1] = 0x80;
    p.flow.has_icmp = true;
    p.flow.icmp_type = 135;
    p.flow.ethertype = 0x86dd;
    p.fragment = true;
    p.frag_more = true;
    p.frag_offset = 1480;
    p.requeues = 2;
    p.sock = 0xffff888000001000;
    p.has_tcp = true;
    p.tcp_seq = 1;
    p.tcp_end_seq = 2;
    p.tcp_flags = 0x18;
    p.retransmit = true;
    p.retransmit_of = 5;
    p.send_by_seq = true;
    p.gso_segment = true;
    p.has_qdisc = true;
    p.qdisc_backlog = 3000;
    p.qdisc_qlen = 2;
    p.gso_segs = 3;
    p.gso_size = 1448;
    p.has_bql = true;
    p.bql_inflight = 9000;
    p.bql_limit = 30000;
    p.stopped_by_driver = true;
    p.stopped_by_bql = true;
    p.outcome = OutcomeKind::dropped;
    p.drop_reason = "QDISC_DROP";
    p.drop_site = "sch_direct_xmit+0x1c";
    p.send_errno = "ENOBUFS";
    p.send_syscall = "io_uring_enter";
    p.headers = {0x45, 0x00};
    Flow outer;  // format 1.3: the last hop's flow after NAT
    outer.family = 4;
    outer.proto = 17;
    outer.saddr = *addr_from_string(4, "192.0.2.1");
    outer.daddr = *addr_from_string(4, "192.0.2.9");
    outer.sport = 40001;
    outer.dport = 53;
    p.hops = {{"veth0", 5, 4026531840u, std::nullopt, {}},
              {"br0", 3, 4026531841u, std::nullopt, {}},
              {"uplink \"0\"", 7, 4026531841u, outer, {0x45, 0x01}}};
    p.encap_of = 4;
    p.end_cpu = 1;  // format 1.6
    p.end_context = "hardirq";
    p.stages = {{Stage::sendmsg, 10}, {Stage::ip_output, 20, 1}, {Stage::drop, 30, 2}};
    std::string line;
    append_packet_json(line, p);
    for (const auto& f : packet_fields::kFields) {
        const std::string quoted_key = fmt::format("\"{}\":", f.key);
        EXPECT_NE(line.find(quoted_key), std::string::npos) << f.key << " not written";
    }

    Packet fast, dom;
    test::read_both(line, fast, dom);
    std::string again;
    append_packet_json(again, fast);
    EXPECT_EQ(again, line);
}

}  // namespace
