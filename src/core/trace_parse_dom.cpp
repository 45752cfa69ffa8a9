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

#include "packet_fields.h"
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

namespace {

using packet_fields::Scope;

// The value of `key` in object j: nullptr when absent or null, unless the
// field is required (then j.at's error names the key).
const json* field(const json& j, const char* key, bool required) {
    if (required) return &j.at(key);
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

// ---- The custom fields (packet_fields.h): read here ----
// v: the field's value, nullptr when absent (only for optional fields).

void dom_type(const json*, Packet&) {}  // the caller dispatched on it

void dom_proto(const json* v, Packet& p) {
    auto proto = proto_from_name(v->get<std::string>());
    if (!proto) throw std::runtime_error("unknown proto");
    p.flow.proto = *proto;
}

// Addresses are required for IPv4 and IPv6 only; "family" comes first in
// the table, so it is known here.
void dom_addr(const json* v, std::uint8_t family, std::array<std::uint8_t, 16>& out) {
    if (family != 4 && family != 6) return;
    if (!v) throw std::runtime_error("flow without an address");
    auto a = addr_from_string(family, v->get<std::string>());
    if (!a) throw std::runtime_error("bad address in flow");
    out = *a;
}
void dom_saddr(const json* v, Packet& p) { dom_addr(v, p.flow.family, p.flow.saddr); }
void dom_daddr(const json* v, Packet& p) { dom_addr(v, p.flow.family, p.flow.daddr); }

void dom_outcome(const json* v, Packet& p) {
    if (!parse_outcome(v->get<std::string>(), p)) throw std::runtime_error("unknown outcome");
}

void dom_errno_name(const json* v, Packet& p) {
    if (v && v->is_string()) p.send_errno = v->get<std::string>();
}

void dom_headers(const json* v, Packet& p) {
    if (v && (!v->is_string() || !headers_from_hex(v->get<std::string>(), p.headers)))
        throw std::runtime_error("headers is not a hex string");
}

template <Scope S>
void read_scope(const json& j, Packet& p);

// Format 1.3. Absent: finish_hops makes the one hop from the top-level fields.
void dom_hops(const json* v, Packet& p) {
    if (!v) return;
    if (!v->is_array()) throw std::runtime_error("hops is not an array");
    p.hops.clear();
    p.hops.reserve(v->size());
    for (const json& h : *v) {
        if (!h.is_object()) throw std::runtime_error("a hop is not an object");
        Hop hop;
        hop.ifname = h.at("ifname").get<std::string>();
        hop.ifindex = get_or<std::uint32_t>(h, "ifindex", 0);
        hop.netns = get_or<std::uint32_t>(h, "netns", 0);
        if (auto f = h.find("flow"); f != h.end() && !f->is_null()) {
            Packet scratch;  // the flow scope's fields, read as the packet's
            read_scope<Scope::flow>(*f, scratch);
            hop.flow = scratch.flow;
        }
        if (auto b = h.find("headers"); b != h.end() && !b->is_null())
            if (!b->is_string() || !headers_from_hex(b->get<std::string>(), hop.headers))
                throw std::runtime_error("a hop's headers is not a hex string");
        p.hops.push_back(std::move(hop));
    }
}

void dom_stages(const json* st, Packet& p) {
    if (!st->is_array()) throw std::runtime_error("stages is not an array");
    p.stages.reserve(st->size());
    for (const json& s : *st) {
        auto name = s.at("name").get<std::string>();
        auto stage = stage_from_name(name);
        if (!stage) continue;  // a stage from a newer minor version: ignore
        const auto hop = get_or<std::uint64_t>(s, "hop", 0);  // 1.3
        if (hop > std::numeric_limits<std::uint8_t>::max()) throw std::runtime_error("stage hop out of range");
        p.stages.push_back({*stage, num<std::uint64_t>(s.at("ts_ns")), static_cast<std::uint8_t>(hop)});
        if (*stage == Stage::xmit_done) p.xmit_rc = get_or<std::int32_t>(s, "rc", 0);
        if (*stage == Stage::drop && s.contains("reason")) p.drop_reason = s["reason"].get<std::string>();
        if (*stage == Stage::drop && s.contains("at")) p.drop_site = s["at"].get<std::string>();  // 1.1
        if (*stage == Stage::sendmsg_return && s.contains("ret")) p.send_ret = num<std::int64_t>(s["ret"]);
    }
}

// ---- The table's expansion: every field of scope S, in table order ----

#define TXR_PF_DOM_num(v, p, id, member) member = num<std::remove_cvref_t<decltype(member)>>(*v)
#define TXR_PF_DOM_hex(v, p, id, member) \
    member = v->is_string() ? parse_hex(v->get<std::string>()) : num<std::uint64_t>(*v)
#define TXR_PF_DOM_str(v, p, id, member) member = v->get<std::string>()
#define TXR_PF_DOM_flag(v, p, id, member) member = num<bool>(*v)
#define TXR_PF_DOM_boolean(v, p, id, member) member = num<bool>(*v)
// A required object that is not one fails on its first required key.
#define TXR_PF_DOM_object(v, p, id, member)            \
    if (required || v->is_object()) {                  \
        member = true;                                 \
        read_scope<Scope::id>(*v, p);                  \
    }

template <Scope S>
void read_scope(const json& j, Packet& p) {
    [[maybe_unused]] bool none = false;  // the table's "no member"
#define TXR_PF_DOM(scope, id, key, kind, member, when, need, seen, since)        \
    if constexpr (Scope::scope == S) {                                            \
        constexpr bool required = TXR_PF_NEED_##need;                             \
        if (const json* v = field(j, key, required)) {                            \
            seen = true;                                                          \
            TXR_PF_DOM_##kind(v, p, id, member);                                  \
        } else {                                                                  \
            TXR_PF_DOM_ABSENT_##kind(id, p);                                      \
        }                                                                         \
    }
#define TXR_PF_DOM_custom(v, p, id, member) dom_##id(v, p)
// An absent custom field is the function's to judge; any other keeps its default.
#define TXR_PF_DOM_ABSENT_custom(id, p) dom_##id(nullptr, p)
#define TXR_PF_DOM_ABSENT_num(id, p)
#define TXR_PF_DOM_ABSENT_hex(id, p)
#define TXR_PF_DOM_ABSENT_str(id, p)
#define TXR_PF_DOM_ABSENT_flag(id, p)
#define TXR_PF_DOM_ABSENT_boolean(id, p)
#define TXR_PF_DOM_ABSENT_object(id, p)
    TXR_PACKET_FIELDS(TXR_PF_DOM)
#undef TXR_PF_DOM
}

}  // namespace

bool packet_from_json(const json& j, Packet& p, std::string& err) {
    try {
        read_scope<Scope::packet>(j, p);
        p.sort_stages();
        return finish_hops(p, err);
    } catch (const std::exception& e) {
        err = e.what();
        return false;
    }
}


bool finish_hops(Packet& p, std::string& err) {
    if (p.hops.empty() && (!p.ifname.empty() || p.ifindex))
        p.hops.push_back(Hop{p.ifname, p.ifindex, p.netns, std::nullopt, {}});
    for (const StageMark& m : p.stages)
        if (m.hop && m.hop >= p.hops.size()) {
            err = fmt::format("a stage on hop {} of a packet with {} hops", m.hop, p.hops.size());
            return false;
        }
    return true;
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
        f.receive_unseen = get_or<std::uint64_t>(j, "receive_unseen", 0);
        if (auto it = j.find("missed_runs"); it != j.end() && it->is_object())
            for (auto& [k, v] : it->items()) f.missed_runs[k] = num<std::uint64_t>(v);
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
