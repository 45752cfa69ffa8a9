// The collector writes every packet through append_packet_json (txray record
// at full rate), so it is written for speed: the fields and their order come
// from packet_fields.h, expanded at compile time; one bound on the line's length,
// then raw writes into the string (literal copies of known length and
// std::to_chars), with no format-string parsing and no per-append capacity
// checks. docs/performance.md has the figures.
#include "packet_json.h"
#include "packet_fields.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <type_traits>

namespace txray {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// "00" to "99": two decimal digits per lookup.
constexpr auto kDigitPairs = [] {
    std::array<char, 200> t{};
    for (int i = 0; i < 100; ++i) {
        t[2 * i] = static_cast<char>('0' + i / 10);
        t[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
    return t;
}();

// Exactly 8 digits of v < 10^8, zero-padded.
inline char* put8(char* p, std::uint32_t v) {
    const std::uint32_t hi = v / 10000, lo = v % 10000;
    std::memcpy(p, &kDigitPairs[2 * (hi / 100)], 2);
    std::memcpy(p + 2, &kDigitPairs[2 * (hi % 100)], 2);
    std::memcpy(p + 4, &kDigitPairs[2 * (lo / 100)], 2);
    std::memcpy(p + 6, &kDigitPairs[2 * (lo % 100)], 2);
    return p + 8;
}

// A u64 in decimal, in 8-digit chunks: the nanosecond timestamps (19
// digits, ten per packet) are most of a trace line's numbers, and
// std::to_chars takes them two digits (a 64-bit division) at a time.
inline char* put_u64(char* p, std::uint64_t v) {
    constexpr std::uint64_t e8 = 100000000, e16 = e8 * e8;
    if (v < e8) return std::to_chars(p, p + 8, static_cast<std::uint32_t>(v)).ptr;
    if (v < e16) {
        p = std::to_chars(p, p + 8, static_cast<std::uint32_t>(v / e8)).ptr;
        return put8(p, static_cast<std::uint32_t>(v % e8));
    }
    p = std::to_chars(p, p + 4, static_cast<std::uint32_t>(v / e16)).ptr;
    v %= e16;
    p = put8(p, static_cast<std::uint32_t>(v / e8));
    return put8(p, static_cast<std::uint32_t>(v % e8));
}

class RawOut {
public:
    explicit RawOut(char* p) : p_(p) {}
    char* end() const { return p_; }

    template <std::size_t N>
    void lit(const char (&s)[N]) {
        std::memcpy(p_, s, N - 1);
        p_ += N - 1;
    }
    void text(std::string_view s) {
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    void ch(char c) { *p_++ = c; }
    template <typename T>
    void num(T v) {
        if constexpr (std::is_same_v<T, std::uint64_t>) p_ = put_u64(p_, v);
        else p_ = std::to_chars(p_, p_ + 24, v).ptr;
    }
    // `"key":value`, key given with its leading comma.
    template <std::size_t N, typename T>
    void field(const char (&key)[N], T v) {
        lit(key);
        num(v);
    }
    void hex_addr(std::uint64_t v) {
        lit("\"0x");
        p_ = std::to_chars(p_, p_ + 24, v, 16).ptr;
        ch('"');
    }
    void str(std::string_view s) {
        ch('"');
        for (unsigned char c : s) {
            switch (c) {
            case '"': lit("\\\""); break;
            case '\\': lit("\\\\"); break;
            case '\n': lit("\\n"); break;
            case '\t': lit("\\t"); break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    lit("\\u00");
                    ch(kHex[c >> 4]);
                    ch(kHex[c & 15]);
                } else {
                    ch(static_cast<char>(c));
                }
            }
        }
        ch('"');
    }
    void addr(std::uint8_t family, const std::array<std::uint8_t, 16>& a) {
        ch('"');
        if (family == 4) {
            for (int i = 0; i < 4; ++i) {
                if (i) ch('.');
                num(static_cast<unsigned>(a[i]));
            }
        } else if (family == 6) {
            text(addr_to_string(family, a));
        }
        ch('"');
    }

private:
    char* p_;
};

// Most bytes a string can take once quoted and escaped.
constexpr std::size_t quoted(std::size_t n) { return 2 + 6 * n; }
constexpr std::size_t kNumber = 24;  // to_chars of any integer, or "0x" + 16 digits + quotes

using packet_fields::Scope;

// What the writer needs beside the packet.
struct WriteCtx {
    const std::string* outcome;  // nullptr: "sent"
};

template <Scope S>
void write_scope(RawOut& o, const Packet& p, const WriteCtx& ctx);
template <Scope S>
std::size_t scope_bound(const Packet& p, const WriteCtx& ctx);

// ---- The custom fields (packet_fields.h): written and bounded here ----

void write_type(RawOut& o, const Packet&, const WriteCtx&) { o.lit(R"("packet")"); }
std::size_t bound_type(const Packet&, const WriteCtx&) { return 8; }

void write_proto(RawOut& o, const Packet& p, const WriteCtx&) {
    o.ch('"');
    switch (p.flow.proto) {
    case 17: o.lit("udp"); break;
    case 6: o.lit("tcp"); break;
    default: o.text(proto_name(p.flow.proto));
    }
    o.ch('"');
}
std::size_t bound_proto(const Packet&, const WriteCtx&) { return 2 + 8; }  // "icmpv6", "255"

void write_saddr(RawOut& o, const Packet& p, const WriteCtx&) { o.addr(p.flow.family, p.flow.saddr); }
void write_daddr(RawOut& o, const Packet& p, const WriteCtx&) { o.addr(p.flow.family, p.flow.daddr); }
std::size_t bound_saddr(const Packet&, const WriteCtx&) { return 2 + 46; }  // INET6_ADDRSTRLEN
std::size_t bound_daddr(const Packet&, const WriteCtx&) { return 2 + 46; }

void write_outcome(RawOut& o, const Packet&, const WriteCtx& ctx) {
    if (ctx.outcome) o.str(*ctx.outcome);
    else o.lit(R"("sent")");
}
std::size_t bound_outcome(const Packet&, const WriteCtx& ctx) { return quoted(ctx.outcome ? ctx.outcome->size() : 4); }

void write_errno_name(RawOut& o, const Packet& p, const WriteCtx&) { o.str(p.send_errno); }
std::size_t bound_errno_name(const Packet& p, const WriteCtx&) { return quoted(p.send_errno.size()); }

void write_hex_bytes(RawOut& o, const std::vector<std::uint8_t>& bytes) {
    o.ch('"');
    for (std::uint8_t b : bytes) {
        o.ch(kHex[b >> 4]);
        o.ch(kHex[b & 15]);
    }
    o.ch('"');
}
void write_headers(RawOut& o, const Packet& p, const WriteCtx&) { write_hex_bytes(o, p.headers); }
std::size_t bound_headers(const Packet& p, const WriteCtx&) { return 2 + 2 * p.headers.size(); }

// Format 1.3: the devices the packet left through, written only when more
// than one (packet_fields.h). A hop's flow, when NAT or encapsulation changed
// it, is the flow scope's fields written from a scratch packet.
void write_hops(RawOut& o, const Packet& p, const WriteCtx& ctx) {
    o.ch('[');
    for (std::size_t i = 0; i < p.hops.size(); ++i) {
        const Hop& h = p.hops[i];
        if (i) o.ch(',');
        o.lit(R"({"ifname":)");
        o.str(h.ifname);
        o.field(R"(,"ifindex":)", h.ifindex);
        o.field(R"(,"netns":)", h.netns);
        if (h.flow) {
            Packet scratch;
            scratch.flow = *h.flow;
            o.lit(R"(,"flow":{)");
            write_scope<Scope::flow>(o, scratch, ctx);
            o.ch('}');
        }
        if (!h.headers.empty()) {
            o.lit(R"(,"headers":)");
            write_hex_bytes(o, h.headers);
        }
        o.ch('}');
    }
    o.ch(']');
}
std::size_t bound_hops(const Packet& p, const WriteCtx& ctx) {
    constexpr std::size_t kKeys = 64;  // the hop's keys, braces and separators
    std::size_t n = 2;
    for (const Hop& h : p.hops)
        n += kKeys + quoted(h.ifname.size()) + 2 * kNumber + 2 + 2 * h.headers.size() +
             (h.flow ? 2 + scope_bound<Scope::flow>(p, ctx) : 0);
    return n;
}

// One object per stage: its name, time and the time since the one before,
// and what only that stage knows (xmit_done's rc, the drop's reason and
// site, sendmsg_return's ret).
void write_stages(RawOut& o, const Packet& p, const WriteCtx&) {
    o.ch('[');
    std::uint64_t prev = 0;
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const auto& m = p.stages[i];
        if (i) o.ch(',');
        o.lit(R"({"name":")");
        o.text(stage_name(m.stage));  // txray's own names: nothing to escape
        o.field(R"(","ts_ns":)", m.ts_ns);
        o.field(R"(,"dt_ns":)", i ? m.ts_ns - prev : 0);
        prev = m.ts_ns;
        if (m.hop) o.field(R"(,"hop":)", +m.hop);  // format 1.3; absent: hop 0
        if (m.stage == Stage::xmit_done && p.xmit_rc) o.field(R"(,"rc":)", *p.xmit_rc);
        if (m.stage == Stage::drop) {
            o.lit(R"(,"reason":)");
            o.str(p.drop_reason);
            if (!p.drop_site.empty()) {  // format 1.1
                o.lit(R"(,"at":)");
                o.str(p.drop_site);
            }
        }
        if (m.stage == Stage::sendmsg_return && p.send_ret) o.field(R"(,"ret":)", *p.send_ret);
        o.ch('}');
    }
    o.ch(']');
}
std::size_t bound_stages(const Packet& p, const WriteCtx&) {
    constexpr std::size_t kPerStage = 192;  // keys, name, ts, dt, hop, rc or ret
    return 2 + p.stages.size() * (kPerStage + quoted(p.drop_reason.size()) + quoted(p.drop_site.size()));
}

// ---- The table's expansions ----

// A field's key with its separator.
#define TXR_PF_KEY(o, first, key)    \
    do {                             \
        if (!first) (o).ch(',');     \
        first = false;               \
        (o).lit("\"" key "\":");     \
    } while (0)

#define TXR_PF_WRITE_num(o, p, scope, id, key, member) (o).num(+(member))
#define TXR_PF_WRITE_hex(o, p, scope, id, key, member) (o).hex_addr(member)
#define TXR_PF_WRITE_str(o, p, scope, id, key, member) (o).str(member)
#define TXR_PF_WRITE_flag(o, p, scope, id, key, member) (o).lit("true")
#define TXR_PF_WRITE_boolean(o, p, scope, id, key, member) ((member) ? (o).lit("true") : (o).lit("false"))
#define TXR_PF_WRITE_custom(o, p, scope, id, key, member) write_##id(o, p, ctx)
#define TXR_PF_WRITE_object(o, p, scope, id, key, member) \
    ((o).ch('{'), write_scope<Scope::id>(o, p, ctx), (o).ch('}'))

template <Scope S>
void write_scope(RawOut& o, const Packet& p, const WriteCtx& ctx) {
    bool first = true;
#define TXR_PF_WRITE(scope, id, key, kind, member, when, need, seen, since) \
    if constexpr (Scope::scope == S)                                         \
        if (when) {                                                          \
            TXR_PF_KEY(o, first, key);                                       \
            TXR_PF_WRITE_##kind(o, p, scope, id, key, member);               \
        }
    TXR_PACKET_FIELDS(TXR_PF_WRITE)
#undef TXR_PF_WRITE
}

// An upper bound on the length of scope S's fields (all of them when
// `every`): each key with its separator and value (a number at kNumber
// bytes, a string quoted and escaped). The flow scope's custom fields do not
// depend on the packet, so its bound holds for a hop's flow too.
#define TXR_PF_BOUND_num(p, id, member) kNumber
#define TXR_PF_BOUND_hex(p, id, member) kNumber
#define TXR_PF_BOUND_str(p, id, member) quoted((member).size())
#define TXR_PF_BOUND_flag(p, id, member) std::size_t{5}
#define TXR_PF_BOUND_boolean(p, id, member) std::size_t{5}
#define TXR_PF_BOUND_object(p, id, member) std::size_t{2}
#define TXR_PF_BOUND_custom(p, id, member) bound_##id(p, ctx)

template <Scope S, bool every>
std::size_t fields_bound(const Packet& p, const WriteCtx& ctx) {
    std::size_t n = 0;
#define TXR_PF_BOUND(scope, id, key, kind, member, when, need, seen, since) \
    if constexpr (every || Scope::scope == S) n += sizeof(key) + 3 + TXR_PF_BOUND_##kind(p, id, member);
    TXR_PACKET_FIELDS(TXR_PF_BOUND)
#undef TXR_PF_BOUND
    return n;
}
template <Scope S>
std::size_t scope_bound(const Packet& p, const WriteCtx& ctx) {
    return fields_bound<S, false>(p, ctx);
}

// An upper bound on the line's length.
std::size_t json_bound(const Packet& p, const WriteCtx& ctx) {
    return 2 + fields_bound<Scope::packet, true>(p, ctx);  // the packet's braces and every field
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    const std::size_t at = out.size();
    out.resize(at + quoted(s.size()));
    RawOut o(out.data() + at);
    o.str(s);
    out.resize(static_cast<std::size_t>(o.end() - out.data()));
}

void append_packet_json(std::string& out, const Packet& p) {
    // Most packets were sent: skip building the outcome string for them.
    std::string outcome;
    const bool plain_sent = p.outcome == OutcomeKind::sent;
    if (!plain_sent) outcome = p.outcome_string();
    const WriteCtx ctx{plain_sent ? nullptr : &outcome};
    // Written into this thread's scratch buffer, then appended: `out.resize`
    // to the bound would zero all of it (~4 KiB for ~850 bytes written; C++20
    // has no resize_and_overwrite), ~6% of the collector's time (perf).
    thread_local std::unique_ptr<char[]> scratch;
    thread_local std::size_t scratch_size = 0;
    const std::size_t bound = json_bound(p, ctx);
    if (bound > scratch_size) {
        scratch_size = std::max<std::size_t>(bound, 2 * scratch_size);
        scratch = std::make_unique_for_overwrite<char[]>(scratch_size);
    }
    RawOut o(scratch.get());
    o.ch('{');
    write_scope<Scope::packet>(o, p, ctx);
    o.ch('}');
    out.append(scratch.get(), static_cast<std::size_t>(o.end() - scratch.get()));
}

}  // namespace txray
