// A prototype of a faster append_packet_json (src/core/trace_writer.cpp) for
// the collector benchmark: the same bytes, written with std::to_chars and
// plain appends instead of fmt::format_to on a back_insert_iterator (whose
// runtime format parsing and iterator_buffer copies were ~70% of the cost).
// collector_bench.cpp checks it byte for byte against the real one on every
// kind of packet before measuring. Not used by txray itself.
#pragma once
#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "packet.h"
#include "trace_writer.h"

namespace txray::bench {

template <typename T>
inline void put_int(std::string& out, T v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

inline void put_addr(std::string& out, std::uint8_t family, const std::array<std::uint8_t, 16>& a) {
    if (family == 4) {
        for (int i = 0; i < 4; ++i) {
            if (i) out.push_back('.');
            put_int(out, static_cast<unsigned>(a[i]));
        }
    } else if (family == 6) {
        char buf[INET6_ADDRSTRLEN] = {};
        inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
        out += buf;
    }
}

// Fields that never need escaping (names chosen by txray).
inline void put_plain(std::string& out, std::string_view s) { out += s; }

inline void append_packet_json_fast(std::string& out, const Packet& p) {
    out.reserve(out.size() + 1024);
    out += R"({"type":"packet","id":)";
    put_int(out, p.id);
    out += R"(,"skb":"0x)";
    {
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, p.skb, 16);
        out.append(buf, end);
    }
    out += R"(","send":)";
    put_int(out, p.send_id);
    out += R"(,"msg":)";
    put_int(out, p.msg_index);
    out.push_back(',');
    if (p.parent_id) {
        out += R"("parent":)";
        put_int(out, p.parent_id);
        out.push_back(',');
    }
    out += R"("pid":)";
    put_int(out, p.pid);
    out += R"(,"tid":)";
    put_int(out, p.tid);
    out += R"(,"comm":)";
    append_json_string(out, p.comm);
    out += R"(,"cgroup":)";
    put_int(out, p.cgroup_id);
    out += R"(,"netns":)";
    put_int(out, p.netns);
    out += R"(,"ifname":)";
    append_json_string(out, p.ifname);
    out += R"(,"ifindex":)";
    put_int(out, p.ifindex);
    out += R"(,"queue":)";
    put_int(out, p.queue);
    out += R"(,"len":)";
    put_int(out, p.len);
    out += R"(,"flow":{"family":)";
    put_int(out, static_cast<unsigned>(p.flow.family));
    out += R"(,"proto":")";
    out += proto_name(p.flow.proto);
    out += R"(","saddr":")";
    put_addr(out, p.flow.family, p.flow.saddr);
    out += R"(","daddr":")";
    put_addr(out, p.flow.family, p.flow.daddr);
    out += R"(","sport":)";
    put_int(out, p.flow.sport);
    out += R"(,"dport":)";
    put_int(out, p.flow.dport);
    out.push_back('}');
    if (p.fragment) {
        out += R"(,"frag":{"offset":)";
        put_int(out, p.frag_offset);
        out += p.frag_more ? R"(,"more":true})" : R"(,"more":false})";
    }
    if (p.requeues) {
        out += R"(,"requeues":)";
        put_int(out, p.requeues);
    }
    if (p.gso_segs > 1) {
        out += R"(,"gso":{"segs":)";
        put_int(out, p.gso_segs);
        out += R"(,"size":)";
        put_int(out, p.gso_size);
        out.push_back('}');
    }
    out += R"(,"outcome":)";
    if (p.outcome == OutcomeKind::sent) out += R"("sent")";
    else append_json_string(out, p.outcome_string());
    if (!p.send_errno.empty()) {
        out += R"(,"errno":)";
        append_json_string(out, p.send_errno);
    }
    if (!p.headers.empty()) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += R"(,"headers":")";
        for (std::uint8_t b : p.headers) {
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 15]);
        }
        out.push_back('"');
    }
    out += R"(,"stages":[)";
    std::uint64_t prev = 0;
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const auto& m = p.stages[i];
        if (i) out.push_back(',');
        out += R"({"name":")";
        put_plain(out, stage_name(m.stage));
        out += R"(","ts_ns":)";
        put_int(out, m.ts_ns);
        out += R"(,"dt_ns":)";
        put_int(out, i ? m.ts_ns - prev : 0);
        prev = m.ts_ns;
        if (m.stage == Stage::xmit_done && p.xmit_rc) {
            out += R"(,"rc":)";
            put_int(out, *p.xmit_rc);
        }
        if (m.stage == Stage::drop) {
            out += R"(,"reason":)";
            append_json_string(out, p.drop_reason);
        }
        if (m.stage == Stage::sendmsg_return && p.send_ret) {
            out += R"(,"ret":)";
            put_int(out, *p.send_ret);
        }
        out.push_back('}');
    }
    out += "]}";
}

}  // namespace txray::bench
