#include "trace_parse.h"
#include "trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "zstd_stream.h"


namespace txray::reader {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------
// DOM parsers: the reference for every record type (and the fallback for
// packet lines the fast parser declines).

// get<T>, but a float that does not fit an integer T is an error, not
// undefined behaviour (nlohmann casts it; the fuzzer found 1.7e25 -> uint64).
template <typename T>
T num(const json& v) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (v.is_number_float()) {
            const double d = v.get<double>();
            const double hi = std::ldexp(1.0, std::numeric_limits<T>::digits);
            const double lo = std::is_signed_v<T> ? -hi : 0.0;
            if (!(d >= lo && d < hi)) throw std::out_of_range(fmt::format("number {} out of range", d));
            return static_cast<T>(d);
        }
    }
    return v.get<T>();
}

template <typename T>
T get_or(const json& j, const char* key, T dflt) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return dflt;
    return num<T>(*it);
}

std::uint64_t parse_hex(const std::string& s) {
    return std::strtoull(s.c_str(), nullptr, s.rfind("0x", 0) == 0 ? 16 : 10);
}

}  // namespace

bool packet_from_json(const json& j, Packet& p, std::string& err) {
    try {
        p.id = num<std::uint64_t>(j.at("id"));
        if (auto it = j.find("skb"); it != j.end())
            p.skb = it->is_string() ? parse_hex(it->get<std::string>()) : num<std::uint64_t>(*it);
        p.send_id = get_or<std::uint64_t>(j, "send", 0);
        p.msg_index = get_or<std::uint32_t>(j, "msg", 0);
        p.parent_id = get_or<std::uint64_t>(j, "parent", 0);
        p.pid = num<std::uint32_t>(j.at("pid"));
        p.tid = num<std::uint32_t>(j.at("tid"));
        p.comm = j.at("comm").get<std::string>();
        p.cgroup_id = get_or<std::uint64_t>(j, "cgroup", 0);
        p.netns = get_or<std::uint32_t>(j, "netns", 0);
        p.ifname = j.at("ifname").get<std::string>();
        p.ifindex = get_or<std::uint32_t>(j, "ifindex", 0);
        p.queue = get_or<std::uint16_t>(j, "queue", 0);
        p.len = num<std::uint32_t>(j.at("len"));
        const json& f = j.at("flow");
        p.flow.family = num<std::uint8_t>(f.at("family"));
        auto proto = proto_from_name(f.at("proto").get<std::string>());
        if (!proto) throw std::runtime_error("unknown proto");
        p.flow.proto = *proto;
        if (p.flow.family == 4 || p.flow.family == 6) {
            auto s = addr_from_string(p.flow.family, f.at("saddr").get<std::string>());
            auto d = addr_from_string(p.flow.family, f.at("daddr").get<std::string>());
            if (!s || !d) throw std::runtime_error("bad address in flow");
            p.flow.saddr = *s;
            p.flow.daddr = *d;
        }
        p.flow.sport = get_or<std::uint16_t>(f, "sport", 0);
        p.flow.dport = get_or<std::uint16_t>(f, "dport", 0);
        if (auto it = f.find("icmp_type"); it != f.end()) {  // format 1.1
            p.flow.has_icmp = true;
            p.flow.icmp_type = num<std::uint8_t>(*it);
            p.flow.icmp_code = get_or<std::uint8_t>(f, "icmp_code", 0);
        }
        p.flow.ethertype = get_or<std::uint16_t>(f, "ethertype", 0);  // format 1.1
        if (auto it = j.find("frag"); it != j.end() && it->is_object()) {
            p.fragment = true;
            p.frag_offset = get_or<std::uint16_t>(*it, "offset", 0);
            p.frag_more = get_or<bool>(*it, "more", false);
        }
        p.requeues = get_or<std::uint16_t>(j, "requeues", 0);
        if (auto it = j.find("sock"); it != j.end() && it->is_string()) p.sock = parse_hex(it->get<std::string>());
        if (auto it = j.find("tcp"); it != j.end() && it->is_object()) {
            p.has_tcp = true;
            p.tcp_seq = get_or<std::uint32_t>(*it, "seq", 0);
            p.tcp_end_seq = get_or<std::uint32_t>(*it, "end_seq", 0);
            p.tcp_flags = get_or<std::uint16_t>(*it, "flags", 0);
        }
        p.retransmit = get_or<bool>(j, "retransmit", false);
        p.retransmit_of = get_or<std::uint64_t>(j, "retransmit_of", 0);
        p.send_by_seq = get_or<bool>(j, "send_by_seq", false);
        p.gso_segment = get_or<bool>(j, "gso_segment", false);
        if (auto it = j.find("qdisc"); it != j.end() && it->is_object()) {
            p.has_qdisc = true;
            p.qdisc_backlog = get_or<std::uint32_t>(*it, "backlog", 0);
            p.qdisc_qlen = get_or<std::uint32_t>(*it, "qlen", 0);
        }
        if (auto it = j.find("gso"); it != j.end() && it->is_object()) {
            p.gso_segs = get_or<std::uint16_t>(*it, "segs", 0);
            p.gso_size = get_or<std::uint16_t>(*it, "size", 0);
        }
        if (auto it = j.find("bql"); it != j.end() && it->is_object()) {  // format 1.2
            p.has_bql = true;
            p.bql_inflight = get_or<std::uint32_t>(*it, "inflight", 0);
            p.bql_limit = get_or<std::uint32_t>(*it, "limit", 0);
        }
        p.stopped_by_driver = get_or<bool>(j, "stopped_by_driver", false);
        p.stopped_by_bql = get_or<bool>(j, "stopped_by_bql", false);
        if (!parse_outcome(j.at("outcome").get<std::string>(), p)) throw std::runtime_error("unknown outcome");
        if (auto it = j.find("errno"); it != j.end() && it->is_string()) p.send_errno = it->get<std::string>();
        if (auto it = j.find("headers"); it != j.end() && !it->is_null()) {
            if (!it->is_string() || !headers_from_hex(it->get<std::string>(), p.headers))
                throw std::runtime_error("headers is not a hex string");
        }
        const json& st = j.at("stages");
        if (!st.is_array()) throw std::runtime_error("stages is not an array");
        p.stages.reserve(st.size());
        for (const json& s : st) {
            auto name = s.at("name").get<std::string>();
            auto stage = stage_from_name(name);
            if (!stage) continue;  // a stage from a newer minor version: ignore
            p.stages.push_back({*stage, num<std::uint64_t>(s.at("ts_ns"))});
            if (*stage == Stage::xmit_done) p.xmit_rc = get_or<std::int32_t>(s, "rc", 0);
            if (*stage == Stage::drop && s.contains("reason")) p.drop_reason = s["reason"].get<std::string>();
            if (*stage == Stage::drop && s.contains("at")) p.drop_site = s["at"].get<std::string>();  // 1.1
            if (*stage == Stage::sendmsg_return && s.contains("ret")) p.send_ret = num<std::int64_t>(s["ret"]);
        }
        p.sort_stages();
        return true;
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}


bool header_from_json(const json& j, TraceHeader& h, std::string& err) {
    try {
        if (get_or<std::string>(j, "format", "") != kTraceFormatName) {
            err = "not a txray trace (header has no \"format\":\"txray-trace\")";
            return false;
        }
        auto v = j.at("version").get<std::string>();
        if (std::sscanf(v.c_str(), "%d.%d", &h.version_major, &h.version_minor) != 2) {
            err = "bad version \"" + v + "\"";
            return false;
        }
        if (h.version_major > kTraceVersionMajor) {
            err = fmt::format("trace format version {} is newer than this txray reads ({}.x): upgrade txray", v,
                              kTraceVersionMajor);
            return false;
        }
        if (h.version_major < 1) {
            err = fmt::format("bad version \"{}\": the first trace format version is 1.0", v);
            return false;
        }
        h.host = get_or<std::string>(j, "host", "");
        h.kernel = get_or<std::string>(j, "kernel", "");
        h.clock = get_or<std::string>(j, "clock", "CLOCK_MONOTONIC");
        h.wall_offset_ns = get_or<std::int64_t>(j, "wall_offset_ns", 0);
        h.start_ns = get_or<std::uint64_t>(j, "start_ns", 0);
        h.tool = get_or<std::string>(j, "tool", "");
        if (auto it = j.find("stages"); it != j.end() && it->is_array()) {
            for (const json& s : *it) {
                auto st = stage_from_name(get_or<std::string>(s, "name", ""));
                if (!st) continue;
                StageHook sh{*st, get_or<bool>(s, "available", false), get_or<std::string>(s, "hook", ""), {}};
                if (auto r = s.find("rejected"); r != s.end() && r->is_array())
                    for (const json& x : *r) sh.rejected.push_back(x.get<std::string>());
                h.stages.push_back(std::move(sh));
            }
        }
        if (auto it = j.find("filters"); it != j.end() && it->is_object())
            for (auto& [k, v2] : it->items()) h.filters.emplace_back(k, v2.is_string() ? v2.get<std::string>() : v2.dump());
        return true;
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}


bool footer_from_json(const json& j, TraceFooter& f, std::string& err) {
    try {
        f.end_ns = get_or<std::uint64_t>(j, "end_ns", 0);
        f.packets = get_or<std::uint64_t>(j, "packets", 0);
        f.sends = get_or<std::uint64_t>(j, "sends", 0);
        f.dropped = get_or<std::uint64_t>(j, "dropped", 0);
        f.lost = get_or<std::uint64_t>(j, "lost", 0);
        f.lost_sends = get_or<std::uint64_t>(j, "lost_sends", 0);
        f.untracked = get_or<std::uint64_t>(j, "untracked", 0);
        f.unfinished = get_or<std::uint64_t>(j, "unfinished", 0);
        if (j.contains("unselected")) f.unselected = get_or<std::uint64_t>(j, "unselected", 0);
        if (auto it = j.find("lost_by_stage"); it != j.end() && it->is_object())
            for (auto& [k, v] : it->items()) f.lost_by_stage[k] = num<std::uint64_t>(v);
        return true;
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}


bool looks_binary(std::string_view s) {
    for (unsigned char c : s)
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\r')) return true;
    return false;
}

}  // namespace txray::reader
