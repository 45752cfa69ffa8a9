// The collector writes every packet through append_packet_json (txray record
// at full rate), so it is written for speed: one bound on the line's length,
// then raw writes into the string (literal copies of known length and
// std::to_chars), with no format-string parsing and no per-append capacity
// checks. docs/performance.md has the figures.
#include "packet_json.h"

#include <charconv>
#include <cstring>

namespace txray {
namespace {

constexpr char kHex[] = "0123456789abcdef";

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
        p_ = std::to_chars(p_, p_ + 24, v).ptr;
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

// An upper bound on the line's length (each number counted at 24 bytes).
std::size_t json_bound(const Packet& p, const std::string& outcome) {
    constexpr std::size_t kFixed = 2048;   // keys and punctuation (~500), 26 numbers, 2 addresses
    constexpr std::size_t kPerStage = 192; // keys, name, ts, dt, rc or ret
    return kFixed + quoted(p.comm.size()) + quoted(p.ifname.size()) + quoted(outcome.size()) +
           quoted(p.send_errno.size()) + 2 * p.headers.size() + 8 +
           p.stages.size() * (kPerStage + quoted(p.drop_reason.size()) + quoted(p.drop_site.size()));
}

void write_packet(RawOut& o, const Packet& p, const std::string* outcome) {
    o.field(R"({"type":"packet","id":)", p.id);
    o.lit(R"(,"skb":)");
    o.hex_addr(p.skb);
    o.field(R"(,"send":)", p.send_id);
    o.field(R"(,"msg":)", p.msg_index);
    if (p.parent_id) o.field(R"(,"parent":)", p.parent_id);
    o.field(R"(,"pid":)", p.pid);
    o.field(R"(,"tid":)", p.tid);
    o.lit(R"(,"comm":)");
    o.str(p.comm);
    o.field(R"(,"cgroup":)", p.cgroup_id);
    o.field(R"(,"netns":)", p.netns);
    o.lit(R"(,"ifname":)");
    o.str(p.ifname);
    o.field(R"(,"ifindex":)", p.ifindex);
    o.field(R"(,"queue":)", p.queue);
    o.field(R"(,"len":)", p.len);
    o.field(R"(,"flow":{"family":)", static_cast<unsigned>(p.flow.family));
    o.lit(R"(,"proto":")");
    switch (p.flow.proto) {
    case 17: o.lit("udp"); break;
    case 6: o.lit("tcp"); break;
    default: o.text(proto_name(p.flow.proto));
    }
    o.lit(R"(","saddr":)");
    o.addr(p.flow.family, p.flow.saddr);
    o.lit(R"(,"daddr":)");
    o.addr(p.flow.family, p.flow.daddr);
    o.field(R"(,"sport":)", p.flow.sport);
    o.field(R"(,"dport":)", p.flow.dport);
    if (p.flow.has_icmp) {
        o.field(R"(,"icmp_type":)", static_cast<unsigned>(p.flow.icmp_type));
        o.field(R"(,"icmp_code":)", static_cast<unsigned>(p.flow.icmp_code));
    }
    if (p.flow.ethertype) o.field(R"(,"ethertype":)", p.flow.ethertype);
    o.ch('}');
    if (p.fragment) {
        o.field(R"(,"frag":{"offset":)", p.frag_offset);
        if (p.frag_more) o.lit(R"(,"more":true})");
        else o.lit(R"(,"more":false})");
    }
    if (p.requeues) o.field(R"(,"requeues":)", p.requeues);
    if (p.sock) {
        o.lit(R"(,"sock":)");
        o.hex_addr(p.sock);
    }
    if (p.has_tcp) {
        o.field(R"(,"tcp":{"seq":)", p.tcp_seq);
        o.field(R"(,"end_seq":)", p.tcp_end_seq);
        o.field(R"(,"flags":)", p.tcp_flags);
        o.ch('}');
    }
    if (p.retransmit) o.field(R"(,"retransmit":true,"retransmit_of":)", p.retransmit_of);
    if (p.send_by_seq) o.lit(R"(,"send_by_seq":true)");
    if (p.gso_segment) o.lit(R"(,"gso_segment":true)");
    if (p.has_qdisc) {
        o.field(R"(,"qdisc":{"backlog":)", p.qdisc_backlog);
        o.field(R"(,"qlen":)", p.qdisc_qlen);
        o.ch('}');
    }
    if (p.gso_segs > 1) {
        o.field(R"(,"gso":{"segs":)", p.gso_segs);
        o.field(R"(,"size":)", p.gso_size);
        o.ch('}');
    }
    if (p.has_bql) {  // format 1.2
        o.field(R"(,"bql":{"inflight":)", p.bql_inflight);
        o.field(R"(,"limit":)", p.bql_limit);
        o.ch('}');
    }
    if (p.stopped_by_driver) o.lit(R"(,"stopped_by_driver":true)");
    if (p.stopped_by_bql) o.lit(R"(,"stopped_by_bql":true)");
    o.lit(R"(,"outcome":)");
    if (outcome) o.str(*outcome);
    else o.lit(R"("sent")");
    if (!p.send_errno.empty()) {
        o.lit(R"(,"errno":)");
        o.str(p.send_errno);
    }
    if (!p.headers.empty()) {
        o.lit(R"(,"headers":")");
        for (std::uint8_t b : p.headers) {
            o.ch(kHex[b >> 4]);
            o.ch(kHex[b & 15]);
        }
        o.ch('"');
    }
    o.lit(R"(,"stages":[)");
    std::uint64_t prev = 0;
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
        const auto& m = p.stages[i];
        if (i) o.ch(',');
        o.lit(R"({"name":")");
        o.text(stage_name(m.stage));  // txray's own names: nothing to escape
        o.field(R"(","ts_ns":)", m.ts_ns);
        o.field(R"(,"dt_ns":)", i ? m.ts_ns - prev : 0);
        prev = m.ts_ns;
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
    o.lit("]}");
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
    const std::size_t at = out.size();
    out.resize(at + json_bound(p, outcome));
    RawOut o(out.data() + at);
    write_packet(o, p, plain_sent ? nullptr : &outcome);
    out.resize(static_cast<std::size_t>(o.end() - out.data()));
}

}  // namespace txray
