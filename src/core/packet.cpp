#include "packet.h"

#include <cstdio>

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace txray {

std::string addr_to_string(std::uint8_t family, const std::array<std::uint8_t, 16>& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 4) inet_ntop(AF_INET, a.data(), buf, sizeof buf);
    else if (family == 6) inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
    else return "";
    return buf;
}

std::optional<std::array<std::uint8_t, 16>> addr_from_string(std::uint8_t family, const std::string& s) {
    std::array<std::uint8_t, 16> a{};
    int af = family == 4 ? AF_INET : family == 6 ? AF_INET6 : -1;
    if (af < 0 || inet_pton(af, s.c_str(), a.data()) != 1) return std::nullopt;
    return a;
}

std::string proto_name(std::uint8_t proto) {
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    case 132: return "sctp";
    default: return std::to_string(proto);
    }
}

std::optional<std::uint8_t> proto_from_name(const std::string& s) {
    for (int p : {6, 17, 1, 58, 132})
        if (proto_name(static_cast<std::uint8_t>(p)) == s) return static_cast<std::uint8_t>(p);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || v > 255) return std::nullopt;
    return static_cast<std::uint8_t>(v);
}

namespace {
const char* icmp_name(std::uint8_t proto, std::uint8_t type) {
    if (proto == 1) {
        switch (type) {
        case 0: return "echo-reply";
        case 3: return "dest-unreachable";
        case 5: return "redirect";
        case 8: return "echo-request";
        case 11: return "time-exceeded";
        case 12: return "parameter-problem";
        case 13: return "timestamp";
        case 14: return "timestamp-reply";
        }
    } else if (proto == 58) {
        switch (type) {
        case 1: return "dest-unreachable";
        case 2: return "packet-too-big";
        case 3: return "time-exceeded";
        case 4: return "parameter-problem";
        case 128: return "echo-request";
        case 129: return "echo-reply";
        case 130: return "mld-query";
        case 131: return "mld-report";
        case 132: return "mld-done";
        case 133: return "router-solicitation";
        case 134: return "router-advertisement";
        case 135: return "neighbor-solicitation";
        case 136: return "neighbor-advertisement";
        case 137: return "redirect";
        case 143: return "mldv2-report";
        }
    }
    return "type";
}
}  // namespace

std::string icmp_to_string(std::uint8_t proto, std::uint8_t type, std::uint8_t code) {
    return std::string(icmp_name(proto, type)) + " " + std::to_string(type) + "/" + std::to_string(code);
}

std::string ethertype_to_string(std::uint16_t ethertype) {
    switch (ethertype) {
    case 0x0806: return "arp";
    case 0x8035: return "rarp";
    case 0x88cc: return "lldp";
    case 0x8100: return "vlan";
    }
    char buf[24];
    std::snprintf(buf, sizeof buf, "ethertype 0x%04x", ethertype);
    return buf;
}

std::string flow_to_string(const Flow& f) {
    if (f.family == 0) return f.ethertype ? ethertype_to_string(f.ethertype) : "non-IP";
    auto addr = [&](const std::array<std::uint8_t, 16>& a) {
        std::string s = addr_to_string(f.family, a);
        return f.family == 6 ? "[" + s + "]" : s;
    };
    if (f.has_icmp)
        return proto_name(f.proto) + " " + addr_to_string(f.family, f.saddr) + " -> " +
               addr_to_string(f.family, f.daddr) + " " + icmp_to_string(f.proto, f.icmp_type, f.icmp_code);
    return proto_name(f.proto) + " " + addr(f.saddr) + ":" + std::to_string(f.sport) + " -> " + addr(f.daddr) + ":" +
           std::to_string(f.dport);
}

std::string_view outcome_kind_name(OutcomeKind k) {
    switch (k) {
    case OutcomeKind::sent: return "sent";
    case OutcomeKind::dropped: return "dropped";
    case OutcomeKind::error: return "error";
    case OutcomeKind::consumed: return "consumed";
    case OutcomeKind::unfinished: return "unfinished";
    }
    return "unfinished";
}

std::string Packet::outcome_string() const {
    std::string s(outcome_kind_name(outcome));
    if (outcome == OutcomeKind::dropped) s += ":" + (drop_reason.empty() ? std::string("UNKNOWN") : drop_reason);
    if (outcome == OutcomeKind::error) s += ":" + (send_errno.empty() ? std::string("UNKNOWN") : send_errno);
    return s;
}

bool parse_outcome(const std::string& s, Packet& p) {
    auto colon = s.find(':');
    std::string kind = s.substr(0, colon);
    std::string detail = colon == std::string::npos ? "" : s.substr(colon + 1);
    for (auto k : {OutcomeKind::sent, OutcomeKind::dropped, OutcomeKind::error, OutcomeKind::consumed,
                   OutcomeKind::unfinished}) {
        if (outcome_kind_name(k) != kind) continue;
        p.outcome = k;
        if (k == OutcomeKind::dropped) p.drop_reason = detail;
        if (k == OutcomeKind::error) p.send_errno = detail;
        return true;
    }
    return false;
}

const StageMark* Packet::find(Stage s) const {
    for (const auto& m : stages)
        if (m.stage == s) return &m;
    return nullptr;
}

std::uint64_t Packet::ring_ns() const {
    // On the hop it was freed on (a packet that crossed devices completes on its last).
    const StageMark* freed = find(Stage::free);
    const StageMark* done = nullptr;
    for (const StageMark& m : stages)
        if (m.stage == Stage::xmit_done && (!freed || m.hop == freed->hop)) done = &m;
    return done && freed && freed->ts_ns >= done->ts_ns ? freed->ts_ns - done->ts_ns : 0;
}

void Packet::sort_stages() {
    // Stable on equal timestamps, with ties broken by kernel order. An
    // insertion sort: a packet has about ten stages, nearly in order already,
    // and std::stable_sort allocates a temporary buffer on every call (with
    // its merge, ~8% of the collector's time in `txray record`, perf).
    const auto before = [](const StageMark& a, const StageMark& b) {
        if (a.ts_ns != b.ts_ns) return a.ts_ns < b.ts_ns;
        if (a.hop != b.hop) return a.hop < b.hop;
        return index(a.stage) < index(b.stage);
    };
    for (std::size_t i = 1; i < stages.size(); ++i) {
        if (!before(stages[i], stages[i - 1])) continue;
        const StageMark m = stages[i];
        std::size_t j = i;
        for (; j > 0 && before(m, stages[j - 1]); --j) stages[j] = stages[j - 1];
        stages[j] = m;
    }
}

}  // namespace txray
