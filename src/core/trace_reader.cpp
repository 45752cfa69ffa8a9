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

namespace txray {
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

// ---------------------------------------------------------------------------
// Fast path: a strict cursor over one line. Every method returns false on
// anything it does not handle; the caller then falls back to the DOM parser.

class Cursor {
public:
    explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    void ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
    }
    bool eat(char c) {
        ws();
        if (p_ < end_ && *p_ == c) return ++p_, true;
        return false;
    }
    bool peek(char c) {
        ws();
        return p_ < end_ && *p_ == c;
    }
    bool at_end() {
        ws();
        return p_ == end_;
    }

    // A string of printable ASCII; the escapes \" \\ \/ \n \t \r \b \f and
    // \u00XX (XX < 0x80) are decoded into scratch.
    bool str(std::string_view& out, std::string& scratch) {
        if (!eat('"')) return false;
        const char* start = p_;
        while (p_ < end_ && kPlain[static_cast<unsigned char>(*p_)]) ++p_;
        if (p_ >= end_) return false;
        if (*p_ == '"') {
            out = std::string_view(start, static_cast<std::size_t>(p_ - start));
            ++p_;
            return true;
        }
        if (*p_ == '\\') return str_escaped(start, out, scratch);
        return false;  // a control character or non-ASCII: the DOM decides
    }

    // Up to 19 digits (always fits); longer numbers go to the DOM.
    bool u64(std::uint64_t& v) {
        ws();
        const char* q = p_;
        std::uint64_t x = 0;
        while (q < end_ && q - p_ < 20 && static_cast<unsigned>(*q - '0') < 10) x = x * 10 + static_cast<unsigned>(*q++ - '0');
        const auto n = q - p_;
        if (n == 0 || n > 19 || (n > 1 && *p_ == '0') || number_continues(q)) return false;
        v = x;
        p_ = q;
        return true;
    }
    bool i64(std::int64_t& v) {
        ws();
        const char* q = p_ < end_ && *p_ == '-' ? p_ + 1 : p_;
        if (q >= end_ || *q < '0' || *q > '9') return false;
        if (*q == '0' && q + 1 < end_ && q[1] >= '0' && q[1] <= '9') return false;
        auto [ptr, ec] = std::from_chars(p_, end_, v);
        if (ec != std::errc() || number_continues(ptr)) return false;
        p_ = ptr;
        return true;
    }
    bool str_into(std::string& out) {
        std::string scratch;
        std::string_view sv;
        if (!str(sv, scratch)) return false;
        out.assign(sv);
        return true;
    }
    template <typename T>
    bool uint(T& v) {
        std::uint64_t x = 0;
        if (!u64(x) || x > std::numeric_limits<T>::max()) return false;
        v = static_cast<T>(x);
        return true;
    }
    template <typename T>
    bool sint(T& v) {
        std::int64_t x = 0;
        if (!i64(x) || x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) return false;
        v = static_cast<T>(x);
        return true;
    }
    bool boolean(bool& v) {
        ws();
        if (lit("true")) return v = true, true;
        if (lit("false")) return v = false, true;
        return false;
    }

    // Skips any JSON value (validating it), for keys this version does not know.
    bool skip_value(int depth = 0) {
        if (depth > 64) return false;
        ws();
        if (p_ >= end_) return false;
        std::string scratch;
        std::string_view sv;
        switch (*p_) {
        case '"': return str(sv, scratch);
        case '{':
            ++p_;
            if (eat('}')) return true;
            do {
                if (!str(sv, scratch) || !eat(':') || !skip_value(depth + 1)) return false;
            } while (eat(','));
            return eat('}');
        case '[':
            ++p_;
            if (eat(']')) return true;
            do {
                if (!skip_value(depth + 1)) return false;
            } while (eat(','));
            return eat(']');
        case 't': return lit("true");
        case 'f': return lit("false");
        case 'n': return lit("null");
        default: return skip_number();
        }
    }

private:
    bool lit(std::string_view w) {
        if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
        p_ += w.size();
        return true;
    }
    // A float or exponent after the digits: not an integer field.
    bool number_continues(const char* q) const { return q < end_ && (*q == '.' || *q == 'e' || *q == 'E'); }
    // A number a double cannot hold (1e400) makes nlohmann reject the whole
    // line ("number overflow"): decline it too, so both parsers agree.
    bool skip_number() {
        auto digits = [&] {
            const char* s = p_;
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
            return p_ > s;
        };
        const char* start = p_;
        bool real = false;
        if (p_ < end_ && *p_ == '-') ++p_;
        if (p_ < end_ && *p_ == '0') ++p_;
        else if (!digits()) return false;
        if (p_ < end_ && *p_ == '.' && (real = true, ++p_, !digits())) return false;
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            real = true;
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (!digits()) return false;
        }
        if (!real) return true;  // integers of any length are fine (nlohmann makes big ones floats)
        // strtod, not from_chars: an underflow (1e-400) is 0 for nlohmann too.
        const std::string text(start, p_);
        return std::isfinite(std::strtod(text.c_str(), nullptr));
    }
    static int hexval(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    bool str_escaped(const char* start, std::string_view& out, std::string& scratch) {
        scratch.assign(start, p_);
        while (p_ < end_) {
            unsigned char c = static_cast<unsigned char>(*p_++);
            if (c == '"') {
                out = scratch;
                return true;
            }
            if (c < 0x20 || c >= 0x80) return false;
            if (c != '\\') {
                scratch.push_back(static_cast<char>(c));
                continue;
            }
            if (p_ >= end_) return false;
            switch (*p_++) {
            case '"': scratch.push_back('"'); break;
            case '\\': scratch.push_back('\\'); break;
            case '/': scratch.push_back('/'); break;
            case 'n': scratch.push_back('\n'); break;
            case 't': scratch.push_back('\t'); break;
            case 'r': scratch.push_back('\r'); break;
            case 'b': scratch.push_back('\b'); break;
            case 'f': scratch.push_back('\f'); break;
            case 'u': {
                if (end_ - p_ < 4) return false;
                int v = 0;
                for (int i = 0; i < 4; ++i) {
                    int h = hexval(p_[i]);
                    if (h < 0) return false;
                    v = v * 16 + h;
                }
                if (v >= 0x80) return false;  // multi-byte UTF-8: leave it to the DOM
                p_ += 4;
                scratch.push_back(static_cast<char>(v));
                break;
            }
            default: return false;
            }
        }
        return false;
    }

    // Characters that a string can hold as they are (printable ASCII but '"' and '\\').
    static constexpr std::array<bool, 256> kPlain = [] {
        std::array<bool, 256> t{};
        for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
        return t;
    }();

    const char* p_;
    const char* end_;
};

// Key comparison with a literal: inlined, no memcmp call.
template <std::size_t N>
bool is(std::string_view key, const char (&lit)[N]) {
    return key.size() == N - 1 && std::memcmp(key.data(), lit, N - 1) == 0;
}

std::optional<Stage> fast_stage(std::string_view n) {
    // The common names first; stage_from_name is a linear scan.
    static const std::array<std::pair<std::string_view, Stage>, kStageCount> table = [] {
        std::array<std::pair<std::string_view, Stage>, kStageCount> t{};
        for (std::size_t i = 0; i < kStageCount; ++i) t[i] = {stage_name(all_stages()[i]), all_stages()[i]};
        return t;
    }();
    for (const auto& [name, s] : table)
        if (name.size() == n.size() && name == n) return s;
    return std::nullopt;
}

bool fast_proto(std::string_view s, std::uint8_t& out) {
    if (s == "udp") return out = 17, true;
    if (s == "tcp") return out = 6, true;
    auto p = proto_from_name(std::string(s));
    if (!p) return false;
    out = *p;
    return true;
}

bool fast_addr(std::uint8_t family, std::string_view s, std::array<std::uint8_t, 16>& out) {
    char buf[64];
    if (s.size() >= sizeof buf) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    out = {};
    return inet_pton(family == 4 ? AF_INET : AF_INET6, buf, out.data()) == 1;
}

bool fast_hex(std::string_view s, std::uint64_t& v) {
    if (s.size() < 3 || s[0] != '0' || s[1] != 'x') return false;
    auto [ptr, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
    return ec == std::errc() && ptr == s.data() + s.size();
}

// Calls field(key) for each key of an object; field parses the value.
template <typename F>
bool for_each_field(Cursor& c, F&& field) {
    if (!c.eat('{')) return false;
    if (c.eat('}')) return true;
    std::string scratch;
    std::string_view key;
    do {
        if (!c.str(key, scratch) || !c.eat(':') || !field(key)) return false;
    } while (c.eat(','));
    return c.eat('}');
}

bool fast_flow(Cursor& c, Flow& f) {
    std::string scratch, sbuf, dbuf;
    std::string_view sv;
    bool have_family = false, have_proto = false, have_s = false, have_d = false;
    f = {};
    const bool ok = for_each_field(c, [&](std::string_view key) {
        if (is(key, "family")) return have_family = c.uint(f.family);
        if (is(key, "proto")) return have_proto = c.str(sv, scratch) && fast_proto(sv, f.proto);
        if (is(key, "saddr")) return have_s = c.str_into(sbuf);
        if (is(key, "daddr")) return have_d = c.str_into(dbuf);
        if (is(key, "sport")) return c.uint(f.sport);
        if (is(key, "dport")) return c.uint(f.dport);
        return c.skip_value();
    });
    if (!ok || !have_family || !have_proto) return false;
    if (f.family == 4 || f.family == 6)
        return have_s && have_d && fast_addr(f.family, sbuf, f.saddr) && fast_addr(f.family, dbuf, f.daddr);
    return true;
}

bool fast_frag(Cursor& c, Packet& p) {
    p.fragment = true;
    p.frag_offset = 0;
    p.frag_more = false;
    return for_each_field(c, [&](std::string_view key) {
        if (is(key, "offset")) return c.uint(p.frag_offset);
        if (is(key, "more")) return c.boolean(p.frag_more);
        return c.skip_value();
    });
}

bool fast_tcp(Cursor& c, Packet& p) {
    p.has_tcp = true;
    p.tcp_seq = p.tcp_end_seq = p.tcp_flags = 0;  // a repeated key replaces the object, as in the DOM
    return for_each_field(c, [&](std::string_view key) {
        if (is(key, "seq")) return c.uint(p.tcp_seq);
        if (is(key, "end_seq")) return c.uint(p.tcp_end_seq);
        if (is(key, "flags")) return c.uint(p.tcp_flags);
        return c.skip_value();
    });
}

bool fast_qdisc(Cursor& c, Packet& p) {
    p.has_qdisc = true;
    p.qdisc_backlog = p.qdisc_qlen = 0;  // a repeated key replaces the object, as in the DOM
    return for_each_field(c, [&](std::string_view key) {
        if (is(key, "backlog")) return c.uint(p.qdisc_backlog);
        if (is(key, "qlen")) return c.uint(p.qdisc_qlen);
        return c.skip_value();
    });
}

bool fast_gso(Cursor& c, Packet& p) {
    p.gso_segs = p.gso_size = 0;
    return for_each_field(c, [&](std::string_view key) {
        if (is(key, "segs")) return c.uint(p.gso_segs);
        if (is(key, "size")) return c.uint(p.gso_size);
        return c.skip_value();
    });
}

struct StageExtras {
    std::optional<std::string> drop_reason;
};

bool fast_stage_object(Cursor& c, Packet& p, StageExtras& ex) {
    std::string scratch, reason_buf;
    std::string_view sv;
    std::optional<Stage> stage;
    bool have_name = false, have_ts = false, have_rc = false, have_ret = false, have_reason = false;
    std::uint64_t ts = 0;
    std::int32_t rc = 0;
    std::int64_t ret = 0;
    const bool ok = for_each_field(c, [&](std::string_view key) {
        if (is(key, "name")) {
            if (!(have_name = c.str(sv, scratch))) return false;
            stage = fast_stage(sv);
            return true;
        }
        if (is(key, "ts_ns")) return have_ts = c.u64(ts);
        if (is(key, "rc")) return have_rc = c.sint(rc);
        if (is(key, "ret")) return have_ret = c.i64(ret);
        if (is(key, "reason")) return have_reason = c.str_into(reason_buf);
        return c.skip_value();
    });
    if (!ok || !have_name) return false;
    if (!stage) return true;  // a stage from a newer minor version: ignore
    if (!have_ts) return false;
    p.stages.push_back({*stage, ts});
    if (*stage == Stage::xmit_done) p.xmit_rc = have_rc ? rc : 0;
    if (*stage == Stage::drop && have_reason) ex.drop_reason = std::move(reason_buf);
    if (*stage == Stage::sendmsg_return && have_ret) p.send_ret = ret;
    return true;
}

bool fast_stages(Cursor& c, Packet& p, StageExtras& ex) {
    if (!c.eat('[')) return false;
    p.stages.clear();
    p.stages.reserve(12);
    p.xmit_rc.reset();
    p.send_ret.reset();
    ex = {};
    if (c.eat(']')) return true;
    do {
        if (!fast_stage_object(c, p, ex)) return false;
    } while (c.eat(','));
    return c.eat(']');
}

bool fast_packet(std::string_view line, Packet& p) {
    Cursor c(line);
    std::string scratch, outcome, errno_name;
    std::string_view sv;
    bool have_type = false, have_id = false, have_pid = false, have_tid = false, have_comm = false;
    bool have_ifname = false, have_len = false, have_flow = false, have_outcome = false, have_stages = false;
    bool have_errno = false;
    StageExtras ex;
    const bool ok = for_each_field(c, [&](std::string_view key) {
        switch (key.empty() ? 0 : key[0]) {  // first letter, then the whole key
        case 't':
            if (is(key, "type")) return have_type = c.str(sv, scratch) && is(sv, "packet");
            if (is(key, "tid")) return have_tid = c.uint(p.tid);
            if (is(key, "tcp")) return fast_tcp(c, p);
            break;
        case 'i':
            if (is(key, "id")) return have_id = c.u64(p.id);
            if (is(key, "ifname")) return have_ifname = c.str_into(p.ifname);
            if (is(key, "ifindex")) return c.uint(p.ifindex);
            break;
        case 's':
            if (is(key, "skb")) return c.peek('"') ? c.str(sv, scratch) && fast_hex(sv, p.skb) : c.u64(p.skb);
            if (is(key, "send")) return c.u64(p.send_id);
            if (is(key, "stages")) return have_stages = fast_stages(c, p, ex);
            if (is(key, "sock")) return c.str(sv, scratch) && fast_hex(sv, p.sock);
            if (is(key, "send_by_seq")) return c.boolean(p.send_by_seq);
            break;
        case 'p':
            if (is(key, "pid")) return have_pid = c.uint(p.pid);
            if (is(key, "parent")) return c.u64(p.parent_id);
            break;
        case 'c':
            if (is(key, "comm")) return have_comm = c.str_into(p.comm);
            if (is(key, "cgroup")) return c.u64(p.cgroup_id);
            break;
        case 'm': if (is(key, "msg")) return c.uint(p.msg_index); break;
        case 'n': if (is(key, "netns")) return c.uint(p.netns); break;
        case 'q':
            if (is(key, "queue")) return c.uint(p.queue);
            if (is(key, "qdisc")) return fast_qdisc(c, p);
            break;
        case 'l': if (is(key, "len")) return have_len = c.uint(p.len); break;
        case 'f':
            if (is(key, "flow")) return have_flow = fast_flow(c, p.flow);
            if (is(key, "frag")) return fast_frag(c, p);
            break;
        case 'r':
            if (is(key, "requeues")) return c.uint(p.requeues);
            if (is(key, "retransmit")) return c.boolean(p.retransmit);
            if (is(key, "retransmit_of")) return c.u64(p.retransmit_of);
            break;
        case 'g':
            if (is(key, "gso")) return fast_gso(c, p);
            if (is(key, "gso_segment")) return c.boolean(p.gso_segment);
            break;
        case 'o': if (is(key, "outcome")) return have_outcome = c.str_into(outcome); break;
        case 'e': if (is(key, "errno")) return have_errno = c.str_into(errno_name); break;
        case 'h': if (is(key, "headers")) return c.str(sv, scratch) && headers_from_hex(sv, p.headers); break;
        }
        return c.skip_value();  // a field from a newer minor version
    });
    if (!ok || !c.at_end()) return false;
    if (!have_type || !have_id || !have_pid || !have_tid || !have_comm || !have_ifname || !have_len ||
        !have_flow || !have_outcome || !have_stages)
        return false;
    // Same precedence as the DOM parser: outcome, then "errno", then the drop stage's reason.
    if (!parse_outcome(outcome, p)) return false;
    if (have_errno) p.send_errno = std::move(errno_name);
    if (ex.drop_reason) p.drop_reason = std::move(*ex.drop_reason);
    auto before = [](const StageMark& a, const StageMark& b) {
        return a.ts_ns != b.ts_ns ? a.ts_ns < b.ts_ns : index(a.stage) < index(b.stage);
    };
    if (!std::is_sorted(p.stages.begin(), p.stages.end(), before)) p.sort_stages();
    return true;
}

// ---------------------------------------------------------------------------
// Line source: reads the stream in large chunks and hands out lines as views
// into its buffer (no per-line copy). Memory: one chunk plus the longest line
// up to the limit; longer lines are skipped without being held.

class LineSource {
public:
    explicit LineSource(std::istream& in) : in_(in) { buf_.resize(kFirstChunk); }

    enum class Got { line, too_long, eof };
    // line: the text without '\n'; complete: it ended with '\n'; length: its size in bytes.
    Got next(std::size_t max_line, std::string_view& line, bool& complete, std::size_t& length) {
        for (;;) {
            if (const char* nl = static_cast<const char*>(
                    std::memchr(buf_.data() + scan_, '\n', end_ - scan_))) {
                std::size_t n = static_cast<std::size_t>(nl - buf_.data());
                line = std::string_view(buf_.data() + begin_, n - begin_);
                length = line.size();
                complete = true;
                begin_ = scan_ = n + 1;
                bytes_ += length + 1;
                if (length > max_line) return Got::too_long;
                return Got::line;
            }
            scan_ = end_;
            if (end_ - begin_ > max_line) return skip_long_line(line, complete, length);
            if (eof_) {
                if (begin_ == end_) return Got::eof;
                line = std::string_view(buf_.data() + begin_, end_ - begin_);
                length = line.size();
                complete = false;
                bytes_ += length;
                begin_ = scan_ = end_;
                return Got::line;
            }
            fill();
        }
    }
    std::uint64_t bytes() const { return bytes_; }

private:
    // Small inputs stay cheap; the buffer doubles up to kChunk while reads fill it.
    static constexpr std::size_t kFirstChunk = 64u << 10, kChunk = 1u << 20;

    void fill() {
        if (begin_ > 0) {  // keep the partial line, drop the consumed text
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            scan_ -= begin_;
            begin_ = 0;
        }
        if (buf_.size() - end_ < buf_.size() / 2 || (full_reads_ > 2 && buf_.size() < kChunk)) {
            buf_.resize(buf_.size() * 2);
            full_reads_ = 0;
        }
        in_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
        std::streamsize got = in_.gcount();
        end_ += static_cast<std::size_t>(got);
        full_reads_ = end_ == buf_.size() ? full_reads_ + 1 : 0;
        if (got == 0 || !in_) eof_ = true;
    }
    // Drops the rest of an over-long line, reading until its newline or the end.
    Got skip_long_line(std::string_view& line, bool& complete, std::size_t& length) {
        length = end_ - begin_;
        head_.assign(buf_.data() + begin_, std::min<std::size_t>(length, 4096));
        begin_ = scan_ = end_ = 0;
        for (;;) {
            if (eof_) {
                complete = false;
                break;
            }
            fill();
            if (const char* nl = static_cast<const char*>(std::memchr(buf_.data(), '\n', end_))) {
                std::size_t n = static_cast<std::size_t>(nl - buf_.data());
                length += n;
                begin_ = scan_ = n + 1;
                complete = true;
                break;
            }
            length += end_;
            begin_ = scan_ = end_ = 0;
        }
        bytes_ += length + (complete ? 1 : 0);
        line = head_;
        return Got::too_long;
    }

    std::istream& in_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, scan_ = 0, end_ = 0;
    int full_reads_ = 0;
    bool eof_ = false;
    std::uint64_t bytes_ = 0;
    std::string head_;  // the start of the last over-long line skipped
};

// A header line is small; a first line longer than this is not a trace.
constexpr std::size_t kMaxHeaderLine = 1u << 20;

}  // namespace

bool headers_from_hex(std::string_view hex, std::vector<std::uint8_t>& out) {
    if (hex.size() % 2) return false;
    out.resize(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto [ptr, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, out[i], 16);
        if (ec != std::errc() || ptr != hex.data() + 2 * i + 2) return false;
    }
    return true;
}

bool packet_from_json_text(const std::string& line, Packet& out, std::string& err) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        err = "not a JSON object";
        return false;
    }
    return packet_from_json(j, out, err);
}

bool packet_from_json_fast(std::string_view line, Packet& out) { return fast_packet(line, out); }

std::string ReadStatus::summary() const {
    if (error.empty()) return "";
    if (stopped_line) return fmt::format("stopped at line {}: {}", stopped_line, error);
    return error;
}

namespace {

// The record-level state machine: takes lines in order, feeds the sink, and
// decides when to stop. `fast` is the line's fast-parsed packet, if any.
class RecordHandler {
public:
    RecordHandler(TraceSink& sink, const ReadOptions& opt, ReadStatus& st) : sink_(sink), opt_(opt), st_(st) {}

    // false: stop reading.
    bool too_long(std::size_t n, std::string_view head, std::size_t length) {
        std::string why = fmt::format("line too long ({} bytes)", length);
        if (!have_header_)
            return stop(n, looks_binary(head) ? "not a txray trace: binary data" : "not a txray trace: " + why, true);
        return bad_line(n, why);
    }

    // fast: the packet the batch parsed from this line; tried: the batch tried and failed.
    bool line(std::size_t n, std::string_view text, bool complete, Packet* fast, bool tried) {
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos) return true;
        if (have_header_) {
            Packet p;
            if (fast || (!tried && fast_packet(text, p))) {
                ++st_.packets;
                sink_.on_packet(std::move(fast ? *fast : p));
                return true;
            }
        }
        return slow_line(n, text, complete);
    }

    bool have_header() const { return have_header_; }

private:
    bool stop(std::size_t n, std::string why, bool fatal) {
        st_.stopped_line = n;
        st_.error = std::move(why);
        st_.fatal = fatal;
        return false;
    }
    bool bad_line(std::size_t n, const std::string& why) {
        if (opt_.strict) return stop(n, why, false);
        st_.warnings.push_back(fmt::format("line {}: {}, skipped", n, why));
        return true;
    }

    // Anything the fast parser declined: headers, footers, odd or bad packets.
    bool slow_line(std::size_t n, std::string_view text, bool complete) {
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            if (!have_header_)
                return stop(n, looks_binary(text) ? "not a txray trace: binary data"
                                                  : fmt::format("not a txray trace: line {} is not a JSON object", n),
                            true);
            if (!complete) return stop(n, "truncated record (file ends mid-line)", false);
            return bad_line(n, "not valid JSON");
        }
        auto type_it = j.find("type");
        std::string type = type_it != j.end() && type_it->is_string() ? type_it->get<std::string>() : "";
        std::string err;
        if (!have_header_) {
            TraceHeader h;
            if (type != "header") return stop(n, "not a txray trace: the first record is not a header", true);
            if (!header_from_json(j, h, err)) return stop(n, err, true);
            have_header_ = true;
            sink_.on_header(h);
        } else if (type == "packet") {
            Packet p;
            if (!packet_from_json(j, p, err)) return bad_line(n, "bad packet (" + err + ")");
            ++st_.packets;
            sink_.on_packet(std::move(p));
        } else if (type == "footer") {
            TraceFooter f;
            if (!footer_from_json(j, f, err))
                st_.warnings.push_back(fmt::format("line {}: bad footer ({}), ignored", n, err));
            else {
                st_.has_footer = true;
                sink_.on_footer(f);
            }
        } else if (type == "header") {
            st_.warnings.push_back(fmt::format("line {}: second header, ignored", n));
        }
        // Other types: from a newer minor version; ignored by design.
        return true;
    }

    TraceSink& sink_;
    const ReadOptions& opt_;
    ReadStatus& st_;
    bool have_header_ = false;
};

// A run of lines copied out of the line source, fast-parsed on `threads` threads.
struct Batch {
    struct Line {
        std::size_t off = 0, len = 0;  // in text
        bool complete = true;
        bool too_long = false;
        std::size_t length = 0;  // of a too-long line
    };
    static constexpr std::size_t kLines = 2048;
    static constexpr std::size_t kParallelMin = 256;
    std::string text;
    std::vector<Line> lines;
    std::vector<Packet> packets;
    std::vector<char> parsed;

    std::string_view view(const Line& l) const { return std::string_view(text).substr(l.off, l.len); }
    void clear() {
        text.clear();
        lines.clear();
    }
    void parse_range(std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            packets[i] = Packet{};
            parsed[i] = !lines[i].too_long && fast_packet(view(lines[i]), packets[i]);
        }
    }
    void parse(unsigned threads) {
        packets.resize(lines.size());
        parsed.assign(lines.size(), 0);
        if (threads < 2 || lines.size() < kParallelMin) return parse_range(0, lines.size());
        // The calling thread takes the first part; the others run on helper threads.
        std::vector<std::jthread> helpers;
        const std::size_t part = (lines.size() + threads - 1) / threads;
        for (std::size_t from = part; from < lines.size(); from += part)
            helpers.emplace_back([this, from, part] { parse_range(from, std::min(from + part, lines.size())); });
        parse_range(0, part);
    }
};

}  // namespace

namespace {
ReadStatus read_lines(std::istream& in, TraceSink& sink, const ReadOptions& opt);
}

// A trace is JSON Lines, plain or zstd-compressed (`record -o X.zst`): the
// first byte tells ('{' starts a plain trace's header; 0x28 a zstd frame).
ReadStatus read_trace(std::istream& in, TraceSink& sink, const ReadOptions& opt) {
    if (in.peek() != 0x28) return read_lines(in, sink, opt);
    char magic[4] = {};
    in.read(magic, sizeof magic);
    const std::string_view first(magic, static_cast<std::size_t>(in.gcount()));
    if (!starts_with_zstd_magic(first)) {
        ReadStatus st;
        st.fatal = true;
        st.error = "not a txray trace: neither JSON Lines nor zstd-compressed";
        return st;
    }
    ZstdReadBuf zbuf(in, first);
    std::istream plain(&zbuf);
    ReadOptions o = opt;
    if (opt.progress) o.progress = [&](std::uint64_t) { opt.progress(zbuf.compressed_bytes()); };
    ReadStatus st = read_lines(plain, sink, o);
    if (!zbuf.error().empty()) {
        // The text ended where decoding stopped (mid-line, or between lines):
        // every complete record before it was loaded; the decoder says why.
        st.error = zbuf.error();
        if (!st.stopped_line) st.stopped_line = st.lines + 1;
        std::erase_if(st.warnings, [](const std::string& w) { return w.starts_with("no footer"); });
    }
    return st;
}

namespace {

ReadStatus read_lines(std::istream& in, TraceSink& sink, const ReadOptions& opt) {
    ReadStatus st;
    LineSource src(in);
    RecordHandler handler(sink, opt, st);
    const unsigned threads = opt.threads ? opt.threads : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    Batch batch;
    std::size_t n = 0;  // lines handed to the handler
    bool more = true, go_on = true;
    while (more && go_on) {
        // Before the header, lines go one at a time: a huge or binary first line must not be buffered.
        batch.clear();
        const std::size_t want = handler.have_header() ? Batch::kLines : 1;
        while (batch.lines.size() < want) {
            const std::size_t limit = handler.have_header() ? opt.max_line : std::min(opt.max_line, kMaxHeaderLine);
            std::string_view text;
            Batch::Line l;
            LineSource::Got got = src.next(limit, text, l.complete, l.length);
            if (got == LineSource::Got::eof) {
                more = false;
                break;
            }
            l.too_long = got == LineSource::Got::too_long;
            if (l.too_long) text = text.substr(0, 4096);  // enough to tell binary data
            l.off = batch.text.size();
            l.len = text.size();
            batch.text.append(text);
            batch.lines.push_back(l);
        }
        if (handler.have_header()) batch.parse(threads);
        for (std::size_t i = 0; i < batch.lines.size() && go_on; ++i) {
            ++n;
            if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) {
                st.cancelled = true;
                st.stopped_line = n;
                st.error = "cancelled";
                go_on = false;
                break;
            }
            st.lines = n;
            if (opt.progress && (n & 4095) == 0) opt.progress(src.bytes());
            const Batch::Line& l = batch.lines[i];
            if (l.too_long) go_on = handler.too_long(n, batch.view(l), l.length);
            else {
                const bool fast = i < batch.parsed.size() && batch.parsed[i];
                go_on = handler.line(n, batch.view(l), l.complete, fast ? &batch.packets[i] : nullptr,
                                     i < batch.parsed.size());
            }
        }
        batch.parsed.clear();
    }
    if (!handler.have_header() && st.error.empty()) {
        st.fatal = true;
        st.error = n == 0 ? "empty file: no trace header" : "not a txray trace: no header, only blank lines";
    }
    if (opt.progress) opt.progress(src.bytes());
    if (st.error.empty() && !st.has_footer && handler.have_header())
        st.warnings.push_back("no footer: the recording did not finish (killed?); every complete record was loaded");
    return st;
}

}  // namespace

Trace load_trace(const std::string& path, const ReadOptions& opt) {
    Trace t;
    struct Collect : TraceSink {
        Trace& t;
        explicit Collect(Trace& tr) : t(tr) {}
        void on_header(const TraceHeader& h) override { t.header = h; }
        void on_packet(Packet&& p) override { t.packets.push_back(std::move(p)); }
        void on_footer(const TraceFooter& f) override { t.footer = f; }
    } sink(t);
    if (path == "-") {
        t.status = read_trace(std::cin, sink, opt);
        return t;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        t.status.fatal = true;
        t.status.error = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return t;
    }
    t.status = read_trace(in, sink, opt);
    return t;
}

}  // namespace txray
