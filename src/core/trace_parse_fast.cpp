#include "trace_parse.h"
#include "trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
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

struct StageExtras {
    std::optional<std::string> drop_reason;
    std::optional<std::string> drop_site;
};

bool fast_stage_object(Cursor& c, Packet& p, StageExtras& ex) {
    std::string scratch, reason_buf, site_buf;
    std::string_view sv;
    std::optional<Stage> stage;
    bool have_name = false, have_ts = false, have_rc = false, have_ret = false, have_reason = false,
         have_site = false;
    std::uint64_t ts = 0;
    std::uint8_t hop = 0;
    std::int32_t rc = 0;
    std::int64_t ret = 0;
    const bool ok = for_each_field(c, [&](std::string_view key) {
        if (is(key, "name")) {
            if (!(have_name = c.str(sv, scratch))) return false;
            stage = fast_stage(sv);
            return true;
        }
        if (is(key, "ts_ns")) return have_ts = c.u64(ts);
        if (is(key, "hop")) return c.uint(hop);  // format 1.3
        if (is(key, "rc")) return have_rc = c.sint(rc);
        if (is(key, "ret")) return have_ret = c.i64(ret);
        if (is(key, "reason")) return have_reason = c.str_into(reason_buf);
        if (is(key, "at")) return have_site = c.str_into(site_buf);  // format 1.1
        return c.skip_value();
    });
    if (!ok || !have_name) return false;
    if (!stage) return true;  // a stage from a newer minor version: ignore
    if (!have_ts) return false;
    p.stages.push_back({*stage, ts, hop});
    if (*stage == Stage::xmit_done) p.xmit_rc = have_rc ? rc : 0;
    if (*stage == Stage::drop && have_reason) ex.drop_reason = std::move(reason_buf);
    if (*stage == Stage::drop && have_site) ex.drop_site = std::move(site_buf);
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

using packet_fields::Id;
using packet_fields::Scope;

// What a line's fields leave for after the line: which were seen, and the
// strings read before the fields they depend on.
struct FastState {
    std::bitset<packet_fields::kCount> have;
    std::string scratch, outcome, errno_name, saddr, daddr;
    std::string_view sv;
    StageExtras ex;
};

template <Scope S>
bool fast_scope(Cursor& c, Packet& p, FastState& st);

// ---- The custom fields (packet_fields.h): read here ----

// Format 1.3: the devices it left through. A hop's flow is the flow scope
// read into a scratch packet (its fields' state in st starts over there).
bool fast_hop(Cursor& c, Hop& h, FastState& st) {
    bool have_ifname = false;
    return for_each_field(c, [&](std::string_view key) {
               if (is(key, "ifname")) return have_ifname = c.str_into(h.ifname);
               if (is(key, "ifindex")) return c.uint(h.ifindex);
               if (is(key, "netns")) return c.uint(h.netns);
               if (is(key, "flow")) {
                   Packet scratch;
                   if (!fast_scope<Scope::flow>(c, scratch, st)) return false;
                   h.flow = scratch.flow;
                   return true;
               }
               if (is(key, "headers")) return c.str(st.sv, st.scratch) && headers_from_hex(st.sv, h.headers);
               return c.skip_value();
           }) &&
           have_ifname;
}
bool fast_hops(Cursor& c, Packet& p, FastState& st) {
    if (!c.eat('[')) return false;
    p.hops.clear();
    if (c.eat(']')) return true;
    do {
        if (!fast_hop(c, p.hops.emplace_back(), st)) return false;
    } while (c.eat(','));
    return c.eat(']');
}

bool fast_type(Cursor& c, Packet&, FastState& st) { return c.str(st.sv, st.scratch) && is(st.sv, "packet"); }
bool fast_proto(Cursor& c, Packet& p, FastState& st) {
    return c.str(st.sv, st.scratch) && fast_proto(st.sv, p.flow.proto);
}
bool fast_saddr(Cursor& c, Packet&, FastState& st) { return c.str_into(st.saddr); }  // family may come later
bool fast_daddr(Cursor& c, Packet&, FastState& st) { return c.str_into(st.daddr); }
bool fast_outcome(Cursor& c, Packet&, FastState& st) { return c.str_into(st.outcome); }
bool fast_errno_name(Cursor& c, Packet&, FastState& st) { return c.str_into(st.errno_name); }
bool fast_headers(Cursor& c, Packet& p, FastState& st) {
    return c.str(st.sv, st.scratch) && headers_from_hex(st.sv, p.headers);
}
bool fast_stages(Cursor& c, Packet& p, FastState& st) { return fast_stages(c, p, st.ex); }

// ---- The table's expansion ----

#define TXR_PF_FAST_num(c, p, st, id, member) c.uint(member)
#define TXR_PF_FAST_hex(c, p, st, id, member) \
    (c.peek('"') ? c.str(st.sv, st.scratch) && fast_hex(st.sv, member) : c.u64(member))
#define TXR_PF_FAST_str(c, p, st, id, member) c.str_into(member)
#define TXR_PF_FAST_flag(c, p, st, id, member) c.boolean(member)
#define TXR_PF_FAST_boolean(c, p, st, id, member) c.boolean(member)
#define TXR_PF_FAST_custom(c, p, st, id, member) fast_##id(c, p, st)
#define TXR_PF_FAST_object(c, p, st, id, member) (member = true, fast_scope<Scope::id>(c, p, st))

// Reads the value of `key` in an object of scope S (false: not this shape).
template <Scope S>
bool fast_field(Cursor& c, std::string_view key, Packet& p, FastState& st) {
    [[maybe_unused]] bool none = false;  // the table's "no member"
#define TXR_PF_FAST(scope, id, key_, kind, member, when, need, seen, since)          \
    if constexpr (Scope::scope == S)                                                 \
        if (is(key, key_)) {                                                         \
            if (!(TXR_PF_FAST_##kind(c, p, st, id, member))) return false;           \
            seen = true;                                                             \
            st.have.set(static_cast<std::size_t>(Id::id));                           \
            return true;                                                             \
        }
    TXR_PACKET_FIELDS(TXR_PF_FAST)
#undef TXR_PF_FAST
    return c.skip_value();  // a field from a newer minor version
}

// A repeated object replaces the first, as in the DOM: its fields start over.
template <Scope S>
void reset_scope(Packet& p, FastState& st) {
    [[maybe_unused]] bool none = false;
#define TXR_PF_RESET(scope, id, key, kind, member, when, need, seen, since) \
    if constexpr (Scope::scope == S) {                                        \
        TXR_PF_RESET_##kind(member);                                          \
        seen = {};                                                            \
        st.have.reset(static_cast<std::size_t>(Id::id));                      \
    }
#define TXR_PF_RESET_num(member) member = {}
#define TXR_PF_RESET_hex(member) member = {}
#define TXR_PF_RESET_str(member) member = {}
#define TXR_PF_RESET_flag(member) member = {}
#define TXR_PF_RESET_boolean(member) member = {}
#define TXR_PF_RESET_object(member)
#define TXR_PF_RESET_custom(member)
    TXR_PACKET_FIELDS(TXR_PF_RESET)
#undef TXR_PF_RESET
}

// Every required field of scope S was read.
template <Scope S>
bool have_required(const FastState& st) {
#define TXR_PF_REQUIRED(scope, id, key, kind, member, when, need, seen, since) \
    if constexpr (Scope::scope == S && TXR_PF_NEED_##need)                      \
        if (!st.have.test(static_cast<std::size_t>(Id::id))) return false;
    TXR_PACKET_FIELDS(TXR_PF_REQUIRED)
#undef TXR_PF_REQUIRED
    return true;
}

// What a scope needs once all its fields are read.
template <Scope S>
bool finish_scope(Packet& p, FastState& st) {
    if constexpr (S == Scope::flow) {
        const std::uint8_t fam = p.flow.family;
        if (fam != 4 && fam != 6) return true;
        return st.have.test(static_cast<std::size_t>(Id::saddr)) && st.have.test(static_cast<std::size_t>(Id::daddr)) &&
               fast_addr(fam, st.saddr, p.flow.saddr) && fast_addr(fam, st.daddr, p.flow.daddr);
    }
    return true;
}

template <Scope S>
bool fast_scope(Cursor& c, Packet& p, FastState& st) {
    reset_scope<S>(p, st);
    return for_each_field(c, [&](std::string_view key) { return fast_field<S>(c, key, p, st); }) &&
           have_required<S>(st) && finish_scope<S>(p, st);
}

}  // namespace

bool fast_packet(std::string_view line, Packet& p) {
    Cursor c(line);
    FastState st;
    const bool ok = for_each_field(c, [&](std::string_view key) { return fast_field<Scope::packet>(c, key, p, st); });
    if (!ok || !c.at_end() || !have_required<Scope::packet>(st)) return false;
    // Same precedence as the DOM parser: outcome, then "errno", then the drop stage's reason.
    if (!parse_outcome(st.outcome, p)) return false;
    if (st.have.test(static_cast<std::size_t>(Id::errno_name))) p.send_errno = std::move(st.errno_name);
    if (st.ex.drop_reason) p.drop_reason = std::move(*st.ex.drop_reason);
    if (st.ex.drop_site) p.drop_site = std::move(*st.ex.drop_site);
    auto before = [](const StageMark& a, const StageMark& b) {
        return a.ts_ns != b.ts_ns ? a.ts_ns < b.ts_ns : index(a.stage) < index(b.stage);
    };
    if (!std::is_sorted(p.stages.begin(), p.stages.end(), before)) p.sort_stages();
    return finish_hops(p, st.scratch);  // false: the DOM parser says why
}

}  // namespace txray::reader
